// `tasks` streams its listing: the same bytes as building the whole table or JSON array, in a
// memory that does not grow with the number of rows (a million-row listing once took 500 MiB,
// then overflowed the stack).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { table } from '../../src/commands/output.js';
import { StreamOut, TableShape } from '../../src/commands/stream-out.js';
import { BIN, cli, scratch } from '../helpers.js';

const dir = scratch();

describe('streamed tables', () => {
  it('lay rows out exactly as table() does', async () => {
    const header = ['id', 'n', 'text', 'last'];
    const cases: (string | number)[][][] = [
      [],
      [['a', 1, 'x', 'tail']],
      [
        ['a-long-id', 12345, '', 'c'],
        ['b', 7, 'wide text here', 'last column unpadded'],
        ['c', 'not a number', 'x', 'y'],
      ],
      [
        ['a', 1, 'x', 9],
        ['bb', 22, 'yy', 10],
      ],
    ];
    for (const rows of cases) {
      let got = '';
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          got += chunk.toString();
          done();
        },
      });
      const out = new StreamOut(sink as unknown as NodeJS.WritableStream);
      const shape = new TableShape(header);
      for (const r of rows) shape.measure(r);
      await out.write(shape.line(header));
      for (const r of rows) await out.write(shape.line(r));
      await out.flush();
      expect(got).toBe(table(header, rows));
    }
  });
});

describe('tasks of a 200,000-task plan', () => {
  const spec = join(dir, 'big.json');
  writeFileSync(
    spec,
    JSON.stringify({
      stages: [
        {
          name: 'm',
          template: 'echo {{a}} {{b}}',
          matrix: { a: { range: [0, 400] }, b: { range: [0, 500] } },
        },
      ],
    }),
  );
  const plan = join(dir, 'big.plan');
  const inSmallHeap = (...args: string[]) =>
    spawnSync(process.execPath, ['--max-old-space-size=48', BIN, 'tasks', plan, ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });

  it('lists every task in a 48 MiB heap, as JSON and as a table', () => {
    expect(cli(['plan', spec, '-o', plan]).code).toBe(0);
    const json = inSmallHeap('--json');
    expect(json.stderr).toBe('');
    expect(json.status).toBe(0);
    const rows = JSON.parse(json.stdout) as { id: string; cmd: string; state: string }[];
    expect(rows).toHaveLength(200_000);
    expect(rows[199_999]).toMatchObject({ id: 'm.199999', cmd: 'echo 399 499', state: 'pending' });
    // Byte for byte what JSON.stringify of the whole array prints.
    expect(json.stdout).toBe(JSON.stringify(rows, null, 2) + '\n');
    const text = inSmallHeap();
    expect(text.status).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(200_001);
    expect(lines[0]).toMatch(/^id +stage +state +exit +attempts +duration +host +cmd$/);
    expect(lines[200_000]).toMatch(/^m\.199999 +m +pending +- +0 +- +- +echo 399 499$/);
  });
});
