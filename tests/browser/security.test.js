// Browser test of security management (安全管理, SEC-2 … SEC-4, Art. 44–45):
// 市公安局 sees its demo officer and drills on /security, records a
// disaster-recovery drill and a confidentiality review on the page (a
// future day is refused beside the form); 市数据局 reads the agency's
// records in English and the alerts table, without the agency's forms
// (the demo server and Chromium: harness.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useDemo, signIn, shots, base, browser } from './harness.js';

useDemo();

test('an agency records a drill and a review on its security page', async () => {
  const gaj = await (await browser.newContext()).newPage();
  await signIn(gaj, 'qy-gaj');
  await gaj.click('#nav-security');
  await gaj.waitForSelector('#officer-form');
  assert.match(await gaj.textContent('#officer-current'), /陈伟/);
  const before = await gaj.locator('#record-list tr').count();

  // Held, not planned: a future day is refused beside the form.
  await gaj.selectOption('#r-kind', 'check');
  await gaj.evaluate(() => document.querySelector('#r-held').removeAttribute('max'));
  await gaj.fill('#r-held', '2999-01-01');
  await gaj.fill('#r-scope', '未来的检查');
  await gaj.fill('#r-findings', '无');
  await gaj.click('#record-form button[type=submit]');
  await gaj.waitForSelector('#sec-error');
  assert.match(await gaj.textContent('#sec-error'), /held_on/);

  await gaj.goto(`${base}/security`);
  await gaj.selectOption('#r-kind', 'recovery_drill');
  await gaj.fill('#r-scope', '机房断电后切换至异地灾备中心');
  await gaj.fill('#r-findings', '45分钟完成切换，数据无丢失');
  await gaj.fill('#r-follow', '补充切换操作手册');
  await gaj.click('#record-form button[type=submit]');
  await gaj.waitForSelector('#record-list');
  assert.equal(await gaj.locator('#record-list tr').count(), before + 1);
  assert.match(await gaj.textContent('#record-list'), /异地灾备中心/);

  // A review that does not pass states why; this one passes.
  const reviews = await gaj.locator('#review-list tr').count();
  const entry = await gaj.locator('#review-list a').first().textContent();
  await gaj.fill('#v-entry', entry.replace('#', '').trim());
  await gaj.selectOption('#v-of', 'version');
  await gaj.fill('#v-number', '1');
  await gaj.fill('#v-reviewer', '保密办 何静');
  await gaj.selectOption('#v-passed', 'yes');
  await gaj.click('#review-form button[type=submit]');
  await gaj.waitForSelector('#review-list');
  assert.equal(await gaj.locator('#review-list tr').count(), reviews + 1);
  await gaj.screenshot({ path: path.join(shots, 'security.png'), fullPage: true });
});

test('the authority reads the agency in English with the alerts, without its forms', async () => {
  const sjj = await (await browser.newContext()).newPage();
  await signIn(sjj, 'qy-sjj');
  await sjj.click('#lang-switch');
  await sjj.click('#nav-security');
  await sjj.waitForSelector('#alert-list');
  assert.match(await sjj.textContent('h1'), /Security management/);
  assert.match(await sjj.textContent('#sec-alerts'), /Unusual-access alerts/);
  await sjj.selectOption('#org', { label: '清远市公安局' });
  await sjj.click('#sec-org button[type=submit]');
  await sjj.waitForSelector('#sec-officer');
  assert.match(await sjj.textContent('#sec-org-name'), /清远市公安局/);
  assert.match(await sjj.textContent('#record-list'), /Disaster-recovery drill/);
  assert.equal(await sjj.locator('#officer-form').count(), 0);
  assert.equal(await sjj.locator('#record-form').count(), 0);
  assert.ok(await sjj.locator('#settings-form input[type=checkbox][disabled]').count() > 0);
  await sjj.screenshot({ path: path.join(shots, 'security-authority.png'), fullPage: true });
});
