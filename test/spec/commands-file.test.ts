// Commands files read as a stream: the same commands as reading the whole text, every check kept
// (strict UTF-8 with the offset, NUL, over-long commands), a file changed while it is planned
// refused, and a memory use that does not grow with the file.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchplanError, SpecError } from '../../src/errors.js';
import { compile } from '../../src/plan/compile.js';
import { writePlanDir } from '../../src/plan/write.js';
import { MAX_LINE_BYTES } from '../../src/spec/commands-file.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { BIN, scratch } from '../helpers.js';

const dir = scratch();

function write(name: string, text: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** What a commands file meant before it was streamed: split, trim, skip blanks and comments. */
function reference(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((c) => c && !c.startsWith('#'));
}

function records(file: string): { id: string; cmd: string }[] {
  return [...compile(loadSpecFile(file)).stages[0]!.records()] as { id: string; cmd: string }[];
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('commands files read as a stream', () => {
  it('give the commands String#trim gives, across chunk boundaries, Unicode spaces and a BOM', () => {
    // Lines of every kind, long enough that many straddle the reader's chunks.
    const kinds = [
      'echo plain',
      '   indented\t',
      '',
      '   ',
      '# comment',
      '  # indented comment',
      '\u00a0\u3000# comment after Unicode spaces',
      '\u00a0echo after a no-break space\u2028',
      '\ufeffecho after a BOM',
      'echo "é ü 字 🎉"',
      'echo crlf\r',
      '\u0001echo control char kept',
      `echo ${'x'.repeat(5000)}`,
    ];
    const lines: string[] = [];
    for (let k = 0; k < 6000; k++) lines.push(kinds[(k * 7919) % kinds.length]!);
    const text = `\ufeff${lines.join('\n')}\necho last line without newline`;
    const file = write('mixed.txt', text);
    const want = reference(text);
    const loaded = loadSpecFile(file);
    expect(loaded.commands!.count).toBe(want.length);
    expect(records(file).map((r) => r.cmd)).toEqual(want);
    expect(records(file).map((r) => r.id)).toEqual(want.map((_, k) => `mixed.${k}`));
    // The spec's task list still reads as before, for API users, and the digest is the file's.
    expect(loaded.spec.stages[0]!.tasks!.map((t) => t.cmd)).toEqual(want);
    expect(loaded.source.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    expect(loaded.source.text).toBe(text);
  });

  it('standard input gives the same commands and digest', () => {
    const text = 'echo a\n  # c\n\n\u3000echo b\u3000\n';
    const loaded = loadSpecFile('-', { stdin: () => Buffer.from(text) });
    expect([...compile(loaded).stages[0]!.records()].map((r) => r.cmd)).toEqual(['echo a', 'echo b']);
    expect(loaded.source.sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('invalid UTF-8 far into the file is E_SPEC_PARSE with its byte offset, from a file and stdin', () => {
    const head = Buffer.from('echo ok\n'.repeat(40_000)); // 320,000 bytes: several chunks in
    const bytes = Buffer.concat([head, Buffer.from('echo caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    const at = head.length + 'echo caf'.length;
    for (const load of [
      () => loadSpecFile(write('latin1.txt', bytes)),
      () => loadSpecFile('-', { stdin: () => bytes }),
    ]) {
      const err = thrown(load) as BatchplanError;
      expect(err).toBeInstanceOf(BatchplanError);
      expect(err.code).toBe('E_SPEC_PARSE');
      expect(err.message).toContain(`is not valid UTF-8: byte ${at} (0xe9)`);
    }
    // A character split by a chunk boundary is fine.
    const split = Buffer.concat([Buffer.from('#'.repeat((64 << 10) - 1)), Buffer.from('\necho é\n')]);
    expect(records(write('split.txt', split)).map((r) => r.cmd)).toEqual(['echo é']);
  });

  it('a NUL byte and a command over 128 KiB are refused naming the task', () => {
    const nul = write('nul.txt', 'echo ok\necho safe\u0000; rm -rf x\n');
    const e1 = thrown(() => records(nul)) as SpecError;
    expect(e1).toBeInstanceOf(SpecError);
    expect(e1.message).toContain('task nul.1: its command has a NUL byte at character 9');
    const long = write('long.txt', `echo ok\n  echo ${'x'.repeat(140_000)}  \n`);
    const e2 = thrown(() => records(long)) as SpecError;
    expect(e2.code).toBe('E_SPEC_INVALID');
    expect(e2.message).toContain('task long.1: its command is 140,005 bytes');
  });

  it('a line too long to be any command is refused with its line number, not buffered', () => {
    const file = write('huge-line.txt', `echo a\n\n${'y'.repeat(MAX_LINE_BYTES + 10)}\necho b\n`);
    const err = thrown(() => loadSpecFile(file)) as SpecError;
    expect(err).toBeInstanceOf(SpecError);
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.issues[0]!.location).toEqual({ file, line: 3 });
  });

  it('a file changed after it was loaded is refused while planning, and nothing is written', async () => {
    for (const [name, change] of [
      ['longer', (f: string) => appendFileSync(f, 'echo three\n')],
      ['shorter', (f: string) => writeFileSync(f, 'echo one\n')],
      ['same-count', (f: string) => writeFileSync(f, 'echo uno\necho two\n')],
    ] as const) {
      const file = write(`${name}.txt`, 'echo one\necho two\n');
      const loaded = loadSpecFile(file);
      change(file);
      const out = join(dir, `${name}.plan`);
      const err = await writePlanDir(out, compile(loaded), {
        batchplanVersion: 'test',
        source: { file, format: 'commands', sha256: loaded.source.sha256 },
      }).catch((e: unknown) => e);
      expect((err as BatchplanError).code).toBe('E_SPEC_PARSE');
      expect((err as Error).message).toContain('changed while it was being planned');
      expect(readdirSync(dir).filter((f) => f.includes(`${name}.plan`))).toEqual([]);
    }
  });

  it('an empty commands file is still a stage without tasks', () => {
    const err = thrown(() => compile(loadSpecFile(write('empty.txt', '# nothing\n\n')))) as SpecError;
    expect(err.message).toContain('a stage needs at least one task');
  });

  it('plan of a 200,000-line file fits in a 48 MiB heap (the whole-text form needed over 96 MiB)', () => {
    const file = write(
      'many.txt',
      Array.from({ length: 200_000 }, (_, k) => `echo ${k} ${k % 997}`).join('\n'),
    );
    const out = join(dir, 'many.plan');
    const r = spawnSync(process.execPath, ['--max-old-space-size=48', BIN, 'plan', file, '-o', out], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
