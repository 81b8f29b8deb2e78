// Runs the commands of a Markdown page: ```sh doctest blocks (each command must exit 0 unless its
// comment says `# exit status N`) and ```console doctest blocks (`$ command` lines, with the same
// comment, each followed by its exact output), in order, in one bash session in a scratch directory (conventions: docs/contributing.md).
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, FIXTURES } from '../helpers.js';

export interface DocCommand {
  cmd: string;
  /** The exit status the page promises. */
  exit: number;
  /** For console blocks: the output the page shows. */
  output?: string;
  /** 1-based line of the command in the page. */
  line: number;
}

export interface DocBlock {
  lang: string;
  doctest: boolean;
  body: string;
  /** 1-based line of the block's first body line. */
  line: number;
}

/** The fenced code blocks of a Markdown page. */
export function codeBlocks(markdown: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`unclosed code block at line ${i + 1}`);
    blocks.push({
      lang: open[1]!,
      doctest: /\bdoctest\b/.test(open[2]!),
      body: lines.slice(i + 1, end).join('\n'),
      line: i + 2,
    });
    i = end;
  }
  return blocks;
}

/** The commands of a page's doctest blocks, in order. */
export function docCommands(markdown: string): DocCommand[] {
  const commands: DocCommand[] = [];
  for (const block of codeBlocks(markdown)) {
    if (!block.doctest) continue;
    const lines = block.body.split('\n');
    if (block.lang === 'sh') {
      for (let i = 0; i < lines.length; i++) {
        const line = block.line + i;
        let cmd = lines[i]!;
        while (cmd.endsWith('\\') && i + 1 < lines.length) cmd += '\n' + lines[++i];
        if (cmd.trim() === '' || cmd.trim().startsWith('#')) continue;
        const exit = /#.*\bexit status (\d+)/.exec(cmd);
        commands.push({ cmd, exit: exit ? Number(exit[1]) : 0, line });
      }
    } else if (block.lang === 'console') {
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i]!.startsWith('$ ')) throw new Error(`line ${block.line + i}: expected '$ command'`);
        const output: string[] = [];
        while (i + 1 < lines.length && !lines[i + 1]!.startsWith('$ ')) output.push(lines[++i]!);
        const cmd = lines[i - output.length]!.slice(2);
        const exit = /#.*\bexit status (\d+)/.exec(cmd);
        commands.push({
          cmd,
          exit: exit ? Number(exit[1]) : 0,
          output: output.join('\n'),
          line: block.line + i - output.length,
        });
      }
    } else throw new Error(`line ${block.line}: doctest blocks are sh or console, not '${block.lang}'`);
  }
  return commands;
}

export interface DocRun {
  command: DocCommand;
  code: number;
  output: string;
}

/** Shown in pages for the scratch directory the commands run in (a user's own directory). */
export const SHOWN_DIR = '/home/me';

/**
 * Run the commands in one bash session, in a fresh directory holding a copy of fixtures/examples,
 * with `batchplan` and `npx batchplan` running this checkout's build. Output is returned with the
 * directory's path written as SHOWN_DIR.
 */
export async function runDocCommands(commands: DocCommand[]): Promise<DocRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'batchplan-doc-'));
  try {
    const work = join(dir, 'work');
    const out = join(dir, 'out');
    mkdirSync(out);
    cpSync(join(FIXTURES, 'examples'), join(work, 'fixtures', 'examples'), { recursive: true });
    const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    const script = [
      `batchplan() { ${q(process.execPath)} ${q(BIN)} "$@"; }`,
      'npx() { if [ "$1" = batchplan ]; then shift; batchplan "$@"; else command npx "$@"; fi; }',
      'export -f batchplan npx',
      ...commands.map(
        (c, i) => `{\n${c.cmd}\n} >${q(join(out, `${i}.out`))} 2>&1\necho $? >${q(join(out, `${i}.rc`))}`,
      ),
    ].join('\n');
    writeFileSync(join(dir, 'script.sh'), script);
    // Asynchronously: a test thread blocked for long makes vitest's own RPC time out.
    const child = spawn('bash', [join(dir, 'script.sh')], {
      cwd: work,
      stdio: 'ignore',
      env: { ...process.env, NO_COLOR: '1', HOME: dir },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    await new Promise<void>((res, rej) => {
      child.on('error', rej);
      child.on('close', () => res());
    }).finally(() => clearTimeout(timer));
    return commands.map((command, i) => {
      let code = -1;
      let output = '';
      try {
        code = Number(readFileSync(join(out, `${i}.rc`), 'utf8'));
        output = readFileSync(join(out, `${i}.out`), 'utf8').replaceAll(work, SHOWN_DIR);
      } catch {
        /* not reached: the session ended before this command */
      }
      return { command, code, output };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
