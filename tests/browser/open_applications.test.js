// Browser test of conditional open data (有条件开放, OPN-4): an enterprise
// user applies on the portal, the agency approves, the applicant accepts the
// data use agreement (利用协议) and previews the data. Real headless Chromium
// driven by playwright-core against `pubdata demo` on a fresh database
// (harness.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useDemo, signIn, shots, base, browser, logIn } from './harness.js';

useDemo();

test('ent-demo applies on the portal, the agency approves, ent-demo accepts the agreement and previews the data', async () => {
  const applicant = await browser.newContext();
  const page = await applicant.newPage();

  // The portal lists conditionally open datasets with their badge.
  await page.goto(`${base}/open?q=${encodeURIComponent('企业登记')}`);
  const card = page.locator('#open-list li', { has: page.locator('.tag.conditional') }).first();
  await card.locator('h2 a').click();
  await page.waitForSelector('#conditional-badge');
  assert.equal(await page.locator('#open-preview').count(), 0, 'no preview of conditional data');
  assert.equal(await page.locator('#download-csv').count(), 0, 'no download of conditional data');

  // Apply: sign in first, then the form.
  await page.click('#apply-link');
  await page.waitForURL(/\/login\?next=/);
  await logIn(page, 'ent-demo');
  await page.waitForSelector('#apply-form');
  const boxes = page.locator('#apply-fields input[type=checkbox]');
  assert.ok((await boxes.count()) >= 2);
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.fill('#purpose', '区域产业研究');
  await page.fill('#use_scenario', '编制企业发展分析报告');
  await page.click('#apply-button');
  await page.waitForSelector('#application-state');
  assert.equal((await page.textContent('#application-state')).trim(), '待答复');
  assert.match(await page.textContent('#answer-due'), /10/);
  const url = page.url();
  assert.match(url, /\/open\/applications\/\d+$/);
  assert.equal(await page.locator('#agreement-text').count(), 0);
  await page.screenshot({ path: path.join(shots, 'open-application-pending.png'), fullPage: true });

  // The agency sees it to answer, and approves.
  const agency = await browser.newContext();
  const staff = await agency.newPage();
  await staff.goto(url);
  await logIn(staff, 'qy-scjgj');
  await staff.waitForSelector('#approve-form');
  await staff.fill('#approve-note', '符合开放条件');
  await staff.click('#approve-button');
  await staff.waitForSelector('#agreement-text');
  assert.equal((await staff.textContent('#application-state')).trim(), '已通过，待签署利用协议');
  assert.equal(await staff.locator('#accept-form').count(), 0, 'only the applicant accepts');
  await agency.close();

  // The applicant reads the agreement, accepts it, and sees the data.
  await page.reload();
  assert.match(await page.textContent('#agreement-text'), /公共数据利用协议/);
  assert.equal(await page.locator('#application-preview').count(), 0, 'no data before acceptance');
  await page.check('#accept-check');
  await page.click('#accept-button');
  await page.waitForSelector('#application-preview');
  assert.equal((await page.textContent('#application-state')).trim(), '已签署利用协议');
  const headers = await page.locator('#application-preview th').allTextContents();
  const approved = (await page.textContent('#approved-fields')).split('、');
  assert.deepEqual(headers, approved);
  assert.ok((await page.locator('#application-preview tr').count()) > 1, 'rows are shown');
  assert.equal(await page.locator('#download-csv').count(), 1);
  await page.screenshot({ path: path.join(shots, 'open-application-accepted.png'), fullPage: true });

  // Listed among the applicant's applications.
  await page.goto(`${base}/open/applications`);
  assert.match(await page.textContent('#application-list'), /已签署利用协议/);
  await applicant.close();
});
