// Browser test of authorised operation (授权运营, OPS-1..3, Art. 40–42):
// 市数据局 lists the demo's agreements and earlier arrangements, tries to
// return a filed agreement without a reason (refused on the page), accepts
// it on record; the current agreement shows its revenue records; 市公安局
// records a new agreement on the page; the public products registry lists
// the demo's product (the demo server and Chromium: harness.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useDemo, signIn, shots, base, browser } from './harness.js';

useDemo();

test('the city authority reviews a filed agreement and sees revenue and arrangements', async () => {
  const sjj = await (await browser.newContext()).newPage();
  await signIn(sjj, 'qy-sjj');
  await sjj.click('#nav-operation');
  await sjj.waitForSelector('#agreements');
  assert.equal(await sjj.locator('#agreements tr.agreement[data-status="accepted"]').count(), 1);
  assert.equal(await sjj.locator('#arrangements tr.arrangement[data-state="under_review"]').count(), 1);
  // The arrangement under review shows its due date (20 working days, platform default).
  assert.match(await sjj.locator('#arrangements tr.arrangement').first().textContent(), /\d{4}-\d{2}-\d{2}/);
  await sjj.screenshot({ path: path.join(shots, 'operation.png'), fullPage: true });

  // The filed agreement: returning it needs a reason.
  await sjj.locator('#agreements tr.agreement[data-status="filed"] a').first().click();
  await sjj.waitForSelector('#review-form');
  assert.equal(await sjj.getAttribute('#status', 'data-status'), 'filed');
  const url = sjj.url();
  await sjj.check('#decision-return');
  await sjj.click('#review');
  await sjj.waitForSelector('#error');
  assert.match(await sjj.textContent('#error'), /reason/);
  await sjj.goto(url);
  assert.equal(await sjj.getAttribute('#status', 'data-status'), 'filed');
  await sjj.check('#decision-accept');
  await sjj.click('#review');
  await sjj.waitForSelector('#status[data-status="pending"], #status[data-status="accepted"]');
  assert.equal(await sjj.locator('#review-form').count(), 0);

  // The current agreement's revenue records and totals.
  await sjj.goto(`${base}/operation`);
  await sjj.locator('#agreements tr.agreement[data-status="accepted"] a').first().click();
  await sjj.waitForSelector('#revenue');
  assert.match(await sjj.textContent('#revenue'), /2026-Q3/);
  assert.ok((await sjj.textContent('#total-revenue')).trim().length > 0);
});

test('an agency records an agreement and the public sees the products registry', async () => {
  const gaj = await (await browser.newContext()).newPage();
  await signIn(gaj, 'qy-gaj');
  await gaj.goto(`${base}/operation`);
  await gaj.click('#new-agreement');
  await gaj.waitForSelector('#agreement-form');
  await gaj.fill('#title', '户籍人口数据授权运营（养老服务）');
  await gaj.selectOption('#operator_org', { label: '清远市示范数据科技有限公司' });
  await gaj.locator('#datasets input[type=checkbox]').first().check();
  await gaj.fill('#scenarios', '为居家养老服务平台核验老人身份');
  await gaj.fill('#term_from', '2026-12-01');
  await gaj.fill('#term_to', '2028-11-30');
  await gaj.fill('#revenue_terms', '收益的10%上缴市公安局');
  await gaj.screenshot({ path: path.join(shots, 'operation-new.png'), fullPage: true });
  await gaj.click('#save-agreement');
  await gaj.waitForSelector('#status');
  assert.equal(await gaj.getAttribute('#status', 'data-status'), 'draft');
  assert.match(await gaj.textContent('h1'), /养老服务/);
  // The agency files it with the city authority.
  await gaj.click('#file');
  await gaj.waitForSelector('#status[data-status="filed"]');

  const anon = await (await browser.newContext()).newPage();
  await anon.goto(`${base}/open/products`);
  await anon.waitForSelector('#products');
  assert.ok(await anon.locator('#products li.product').count() >= 1);
  assert.match(await anon.textContent('#products'), /清远政务数据查询助手/);
});
