// `batchplan report`: a real run's page opened in real headless Chromium (Debian's chromium, driven by
// playwright-core): it loads with no console error, shows the right counts, draws its charts, and a
// screenshot is written to test-output/ for review (docs/report.png is a reviewed copy).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliAwait, engineAvailable, ROOT, scratch } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const dir = scratch('batchplan-report-');
const haveChromium = engineAvailable('chromium');

// 24 tasks: two fail for good (exit 3, with stderr), one fails once and succeeds on its retry, one
// is far slower than the rest (a straggler); `publish` depends on `work` and so never runs.
const SPEC = (marker: string) => `
defaults: {nprocs: 4, retries: 1, backoff: 0.05s}
stages:
  - name: work
    template: >-
      if [ {{k}} = 5 ] || [ {{k}} = 11 ]; then echo "bad <input> {{k}} \\033[31mred\\033[0m" >&2; exit 3; fi;
      if [ {{k}} = 7 ] && [ ! -e ${marker} ]; then touch ${marker}; echo flaky >&2; exit 1; fi;
      if [ {{k}} = 19 ]; then sleep 3; else sleep 0.3; fi
    matrix: {k: {range: [0, 24]}}
  - name: publish
    after: [work]
    tasks: [{cmd: "true"}]
`;

let plan = '';
let html = '';

beforeAll(async () => {
  writeFileSync(join(dir, 'sweep.yaml'), SPEC(join(dir, 'flaky-once')));
  plan = join(dir, 'sweep.plan');
  // Awaited, not spawnSync: a run of seconds would block vitest's RPC on a loaded machine.
  const run = await cliAwait(['run', join(dir, 'sweep.yaml'), '-o', plan], { cwd: dir });
  expect(run.code, run.stderr).toBe(1);
  const r = cli(['report', plan, '-o', join(dir, 'report.html'), '--json'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ tasks: 25, attempts: 22 + 2 + 3 });
  html = readFileSync(join(dir, 'report.html'), 'utf8');
}, 60_000);

describe('report page (static)', () => {
  it('is self-contained: no external script, style, image or font', () => {
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/@import|url\(/);
  });

  it('escapes task output: stderr markup and terminal escapes never reach the page raw', () => {
    expect(html).toContain('bad &lt;input&gt; 5');
    expect(html).not.toContain('bad <input>');
    expect(html).not.toContain('\x1b');
  });

  it('defaults to <plan>/report.html', () => {
    const r = cli(['report', plan]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(plan, 'report.html'));
    expect(readFileSync(join(plan, 'report.html'), 'utf8')).toContain('<canvas id="timeline"');
  });
});

describe.runIf(haveChromium)('report page in headless Chromium', () => {
  let browser: Browser | null = null;
  const profile = mkdtempSync(join(tmpdir(), 'batchplan-chromium-'));
  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('loads without console errors, shows the right counts and draws the charts', async () => {
    const { chromium } = await import('playwright-core');
    // A persistent context gives Chromium its own fresh profile directory (--user-data-dir).
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
    });
    browser = context.browser()!;
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    // Strings, not functions: they run in the page, and the tests are type-checked without DOM types.
    await page.waitForFunction("document.body.dataset.rendered === '1'");
    expect(errors).toEqual([]);
    // Nothing fetched but the page itself.
    expect(requests.filter((u) => !u.endsWith('/report.html'))).toEqual([]);

    const count = (sel: string) => page.locator(sel).first().innerText();
    expect(await count('#overall [data-count=total] b')).toBe('25');
    expect(await count('#overall [data-count=succeeded] b')).toBe('22');
    expect(await count('#overall [data-count=failed] b')).toBe('2');
    expect(await count('#stages [data-stage=work] [data-count=failed]')).toBe('2');
    expect(await count('#stages [data-stage=publish] [data-count=pending]')).toBe('1');
    expect(await page.locator('#summary').innerText()).toBe('22/25 succeeded (88.0%)');
    // Failures: the two tasks, exit code 3, their stderr tail.
    const failures = page.locator('#failures tr');
    expect(await failures.count()).toBe(3);
    expect(await failures.nth(1).innerText()).toMatch(/work\.5\s+work\s+failed\s+3\s+-/);
    expect(await failures.nth(1).innerText()).toContain('bad <input> 5 [31mred');
    // The legend counts attempts by outcome: the flaky task's first attempt shows as retried.
    const legend = await page.locator('.legend').innerText();
    expect(legend).toContain('succeeded (22)');
    expect(legend).toContain('failed (2)');
    expect(legend).toContain('failed, retried (3)');
    // The straggler is found and named first. (On a loaded machine a 0.3 s sibling can also run past
    // twice the median and count: the count must then match the table's rows, slowest first.)
    const stragglers = Number(await count('[data-count=stragglers]'));
    expect(stragglers).toBeGreaterThanOrEqual(1);
    expect(await page.locator('table.stragglers tr').count()).toBe(1 + stragglers);
    expect(await page.locator('table.stragglers tr').nth(1).innerText()).toMatch(/^work\.19\s/);
    expect(await page.locator('#jobs').innerText()).toContain('Not submitted');

    // The canvases carry drawn bars in the outcome colours (the red of failures among them).
    const drawn = (await page.evaluate(`(() => {
      const c = document.getElementById('timeline');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let green = 0, red = 0, orange = 0;
      for (let k = 0; k < px.length; k += 4) {
        const [r, g, b] = [px[k], px[k + 1], px[k + 2]];
        if (r === 0x2e && g === 0x9e && b === 0x5b) green++;
        if (r === 0xd1 && g === 0x36 && b === 0x3a) red++;
        if (r === 0xf0 && g === 0xa0 && b === 0x30) orange++;
      }
      return { green, red, orange, histograms: document.querySelectorAll('canvas.histogram').length };
    })()`)) as { green: number; red: number; orange: number; histograms: number };
    expect(drawn.green).toBeGreaterThan(100);
    expect(drawn.red).toBeGreaterThan(0);
    expect(drawn.orange).toBeGreaterThan(0);
    expect(drawn.histograms).toBe(1); // publish never ran: no durations to bin

    const out = join(ROOT, 'test-output');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'report.png'), fullPage: true });
    await context.close();
  }, 60_000);
});
