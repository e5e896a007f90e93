// The browser tests' shared harness: `pubdata demo` started on a free port
// with a fresh database (PUBDATA_BROWSER_DATABASE runs the same tests on
// another database: scripts/test passes a fresh PostgreSQL database) and
// real headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core. A test file calls `useDemo()` once; `base` and `browser`
// are live bindings set before its tests run.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const bin = process.env.PUBDATA_BIN || path.join(root, 'target', 'debug', 'pubdata');
/** Where the tests leave their screenshots. */
export const shots = path.join(root, 'target', 'browser');
export const PASSWORD = 'demo-password';

let server;
export let base, browser, dir;

/** Starts the demo server and Chromium before the file's tests, stops them after. */
export function useDemo() {
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pubdata-browser-'));
    mkdirSync(shots, { recursive: true });
    // PUBDATA_BROWSER_DATABASE runs the same tests on another database
    // (scripts/test passes a fresh PostgreSQL database).
    const database = process.env.PUBDATA_BROWSER_DATABASE || `sqlite://${dir}/pubdata.db`;
    server = spawn(bin, ['demo', '--listen', '127.0.0.1:0', '--database', database], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, RUST_LOG: 'warn' },
    });
    base = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('pubdata did not start in 60 s')), 60000);
      let out = '';
      server.stdout.on('data', (chunk) => {
        out += chunk;
        const m = out.match(/listening on (http:\/\/\S+)/);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      server.on('exit', (code) => reject(new Error(`pubdata exited with ${code}`)));
    });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/** Fills the login form the page is on (a protected page sent it there). */
export async function logIn(page, username) {
  assert.match(page.url(), /\/login\?next=/);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
}

/** Signs in from the front page and waits for the dashboard. */
export async function signIn(page, username) {
  await page.goto(`${base}/`);
  // Unauthenticated: sent to the login page.
  await logIn(page, username);
  await page.waitForSelector('#dashboard-title');
}
