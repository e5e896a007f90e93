// Browser test of objections (异议与更正, OBJ-1): citizen-demo files an
// objection with a proof, 市公安局 corrects it, the citizen sees before and
// after (the demo server and Chromium: harness.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { useDemo, signIn, shots, base, browser, dir } from './harness.js';

useDemo();

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
