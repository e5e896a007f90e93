// Browser test of violations and rectification (违规与整改, VIO-1, VIO-2,
// Art. 49–50): 市数据局 sees the demo's missed notice on the government's
// supervision list, records a violation against 市民政局 on the page and
// notifies a rectification with a time limit; 市民政局 reports; 市数据局
// returns an empty decision (refused on the page), then accepts, and the
// violation closes. The page switches to English (the demo server and
// Chromium: harness.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useDemo, signIn, shots, base, browser } from './harness.js';

useDemo();

test('a violation is recorded, notified, reported and accepted on the pages', async () => {
  const sjj = await (await browser.newContext()).newPage();
  await signIn(sjj, 'qy-sjj');
  await sjj.click('#nav-violations');
  await sjj.waitForSelector('#violations');
  // The demo's missed notice is on the supervision list (督查督办).
  assert.ok(await sjj.locator('#supervision-list tr.escalated-notice').count() >= 1);
  assert.match(await sjj.textContent('#supervision-list'), /社会保险目录|10个工作日/);
  assert.ok(await sjj.locator('#notices tr.notice-row[data-state="reported"]').count() >= 1);
  await sjj.screenshot({ path: path.join(shots, 'violations.png'), fullPage: true });

  // Run the checks now: the result is shown.
  await sjj.click('#run-checks button');
  await sjj.waitForSelector('#check-result');
  assert.match(await sjj.textContent('#check-result'), /\d/);

  // Record a violation against 市民政局.
  await sjj.selectOption('#record-violation select[name=org_id]', { label: '清远市民政局（公共管理和服务机构）' });
  await sjj.selectOption('#record-violation select[name=kind]', 'catalogue');
  await sjj.fill('#record-violation input[name=title]', '低保目录未按期更新');
  await sjj.fill('#record-violation textarea[name=description]', '政策调整后未在15个工作日内更新目录');
  await sjj.click('#record-violation button');
  await sjj.waitForSelector('#violation');
  assert.equal(await sjj.getAttribute('#state', 'data-state'), 'open');
  assert.match(await sjj.textContent('#citation'), /第四十九条第（二）项/);

  // Notify a rectification within 5 working days.
  await sjj.fill('#issue-notice textarea[name=requirement]', '5个工作日内完成目录更新');
  await sjj.fill('#issue-notice input[name=working_days]', '5');
  await sjj.click('#issue-notice button');
  await sjj.waitForSelector('#notice');
  assert.equal(await sjj.getAttribute('#state', 'data-state'), 'open');
  assert.match(await sjj.textContent('#due'), /5/);
  assert.equal(await sjj.locator('#covered li[data-state="rectifying"]').count(), 1);
  const notice = sjj.url();

  // 市民政局 reports on the notice's page.
  const mzj = await (await browser.newContext()).newPage();
  await signIn(mzj, 'qy-mzj');
  await mzj.goto(notice);
  await mzj.waitForSelector('#report-form');
  assert.ok(await mzj.locator('#days-left').count() === 1);
  await mzj.fill('#report-form textarea[name=report]', '已完成目录更新并报主管部门审核');
  await mzj.click('#report-form button');
  await mzj.waitForSelector('#state[data-state="reported"]');
  assert.equal(await mzj.locator('#decision-form').count(), 0);

  // 市数据局: a decision needs a note; then accepted, the violation closes.
  await sjj.goto(notice);
  await sjj.waitForSelector('#decision-form');
  await sjj.evaluate(() => document.querySelector('#decision-form textarea').removeAttribute('required'));
  await sjj.click('#decision-form button');
  await sjj.waitForSelector('#error');
  assert.match(await sjj.textContent('#error'), /note/);
  await sjj.goto(notice);
  await sjj.fill('#decision-form textarea[name=note]', '整改到位，验收通过');
  await sjj.click('#decision-form button');
  await sjj.waitForSelector('#state[data-state="accepted"]');
  assert.equal(await sjj.locator('#covered li[data-state="closed"]').count(), 1);
  await sjj.screenshot({ path: path.join(shots, 'rectification.png'), fullPage: true });

  // In English.
  await sjj.click('#lang-switch');
  await sjj.waitForSelector('#violations');
  assert.equal(await sjj.textContent('h1'), 'Violations and rectification');
  await sjj.goto(notice);
  assert.match(await sjj.textContent('h1'), /Rectification notice/);
});
