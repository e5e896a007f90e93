// Objections (异议与更正, OBJ-1): citizen-demo files an objection with a proof, 市公安局 corrects it, the citizen sees before and after. Browser tests: real headless
// playwright-core, against `pubdata demo` started on a free port with a fresh
// database. Run with `npm test` here; scripts/test runs it after the Rust
// suite, on SQLite and on PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const bin = process.env.PUBDATA_BIN || path.join(root, 'target', 'debug', 'pubdata');
const shots = path.join(root, 'target', 'browser');
const PASSWORD = 'demo-password';

let server, base, browser, dir;

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

async function signIn(page, username) {
  await page.goto(`${base}/`);
  // Unauthenticated: sent to the login page.
  assert.match(page.url(), /\/login\?next=/);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#dashboard-title');
}

// A 1×1 PNG: a proof document recognised by its content.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478' +
  '9c63f8cfc0f01f0005000101ff89993d1d0000000049454e44ae426082', 'hex');

test('citizen-demo objects with a proof, the source agency corrects it, the citizen sees before and after', async () => {
  const citizen = await (await browser.newContext()).newPage();
  await signIn(citizen, 'citizen-demo');
  await citizen.goto(`${base}/objections/new`);
  // The population dataset, keyed by the citizen's own identity number (read only).
  const option = citizen.locator('#dataset-choice option', { hasText: '户籍人口' });
  const dataset = await option.getAttribute('value');
  await citizen.goto(`${base}/objections/new?dataset=${dataset}`);
  const key = citizen.locator('#key-1');
  assert.equal(await key.getAttribute('readonly'), '');
  assert.match(await key.inputValue(), /^\d{17}[\dX]$/);
  await citizen.fill('#field', '姓名');
  await citizen.fill('#claimed-value', '王晓明');
  await citizen.fill('#description', '姓名用字有误，户口簿为“晓”。');
  await citizen.click('#file-objection');
  await citizen.waitForSelector('#objection-state');
  assert.equal(await citizen.getAttribute('#objection-state', 'data-state'), 'open');
  assert.match(await citizen.textContent('#proceed-notice'), /证明材料/);
  assert.match(await citizen.textContent('#deadline'), /\d{4}-\d{2}-\d{2}/);
  const url = citizen.url();
  const proofFile = path.join(dir, '户口簿.png');
  writeFileSync(proofFile, PNG);
  await citizen.setInputFiles('#proof-file', proofFile);
  await citizen.click('#upload-proof');
  await citizen.waitForSelector('#proofs a');
  assert.match(await citizen.textContent('#proofs'), /户口簿\.png/);
  await citizen.screenshot({ path: path.join(shots, 'objection-filed.png'), fullPage: true });

  // 市公安局 (the source) corrects it: a new dataset version.
  const gaj = await (await browser.newContext()).newPage();
  await signIn(gaj, 'qy-gaj');
  await gaj.goto(url);
  assert.equal(await gaj.inputValue('#correct-value'), '王晓明');
  await gaj.fill('#resolve-reply', '经核查户籍档案，已更正。');
  await gaj.click('#resolve');
  await gaj.waitForSelector('#objection-state[data-state="corrected"]');

  // The citizen sees the result: before and after.
  await citizen.goto(url);
  assert.equal(await citizen.getAttribute('#objection-state', 'data-state'), 'corrected');
  const row = citizen.locator('#record tr[data-field="姓名"]');
  assert.equal((await row.locator('.after').textContent()).trim(), '王晓明');
  assert.notEqual((await row.locator('.before').textContent()).trim(), '王晓明');
  assert.match(await citizen.textContent('#reply'), /已更正/);
  await citizen.goto(`${base}/lang?to=en&next=${encodeURIComponent(new URL(url).pathname)}`);
  assert.match(await citizen.textContent('h1'), /Objection/);
  await citizen.screenshot({ path: path.join(shots, 'objection-corrected.png'), fullPage: true });
});
