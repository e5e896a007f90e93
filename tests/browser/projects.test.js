// Browser test of government IT projects (政务信息化项目, SUP-2, Art. 47) and
// procurement of social data (社会数据统一采购, COL-3, Art. 17):
// 市数据局 opens the demo's non-compliant project, sees ✓/✗ per listed entry
// with the reason, is refused acceptance without a reason and accepts with
// one; 市公安局 registers a project on the page with its public data list
// (the demo server and Chromium: harness.js). The procurement test is at the
// end of the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useDemo, signIn, shots, base, browser } from './harness.js';

useDemo();

test('the authority sees the compliance table and accepts only with a reason', async () => {
  const sjj = await (await browser.newContext()).newPage();
  await signIn(sjj, 'qy-sjj');
  await sjj.click('#nav-projects');
  await sjj.waitForSelector('#projects');
  assert.equal(await sjj.locator('#projects tr.project').count(), 2);
  await sjj.locator('#projects tr.project[data-state="approved"] a').first().click();
  await sjj.waitForSelector('#compliance');
  assert.equal(await sjj.getAttribute('#verdict', 'data-compliant'), 'false');
  // 出入境证件信息: not yet published, never aggregated — ✗ with the reason.
  const bad = sjj.locator('#compliance tr.compliance-item[data-ok="false"]');
  assert.equal(await bad.count(), 1);
  assert.match(await bad.textContent(), /出入境证件信息/);
  assert.match(await bad.textContent(), /✗/);
  assert.equal(await bad.locator('td.check[data-code="no_dataset"]').count(), 1);
  assert.equal(await bad.locator('td.check[data-code="not_catalogued"]').count(), 1);
  const good = sjj.locator('#compliance tr.compliance-item[data-ok="true"]');
  assert.match(await good.first().textContent(), /✓/);
  await sjj.screenshot({ path: path.join(shots, 'project.png'), fullPage: true });

  // Without a reason: refused (the textarea is required; remove that to see the server refuse).
  await sjj.evaluate(() => document.querySelector('#override-reason-input').removeAttribute('required'));
  await sjj.click('#accept');
  await sjj.waitForSelector('#error');
  assert.match(await sjj.textContent('#error'), /override reason/);
  assert.equal(await sjj.getAttribute('#state', 'data-state'), 'approved');
  await sjj.fill('#override-reason-input', '出入境证件信息依法不予共享，经市政府同意予以验收');
  await sjj.click('#accept');
  await sjj.waitForSelector('#state[data-state="accepted"]');
  assert.match(await sjj.textContent('#override-reason'), /经市政府同意/);
  assert.equal(await sjj.locator('#accept-form').count(), 0);
});

test('an agency registers a project with its public data list', async () => {
  const gaj = await (await browser.newContext()).newPage();
  await signIn(gaj, 'qy-gaj');
  await gaj.goto(`${base}/projects`);
  await gaj.waitForSelector('#project-form');
  await gaj.fill('#project-name', '清远市公安交通管理信息系统升级改造');
  await gaj.fill('#project-code', 'QY-ZW-2026-099');
  await gaj.fill('#approved-on', '2026-06-01');
  await gaj.fill('#planned-acceptance-on', '2027-05-31');
  const selects = gaj.locator('#entry-choices select');
  await selects.nth(0).selectOption('produce');
  await selects.nth(1).selectOption('use');
  await gaj.screenshot({ path: path.join(shots, 'project-new.png'), fullPage: true });
  await gaj.click('#register-project');
  await gaj.waitForSelector('#compliance');
  assert.equal(await gaj.textContent('#code'), 'QY-ZW-2026-099');
  assert.equal(await gaj.locator('#compliance tr.compliance-item').count(), 2);
  assert.equal(await gaj.getAttribute('#state', 'data-state'), 'approved');
  // The agency does not accept its own project.
  assert.equal(await gaj.locator('#accept-form').count(), 0);
});

// Procurement of social data (社会数据统一采购, COL-3, Art. 17) on the same
// demo: 市公安局 files a demand; 市数据局 approves it and records the unified
// procurement under the agency's catalogue entry, whose checks show.
test('a procurement demand is filed, approved and recorded under a catalogue entry', async () => {
  const gaj = await (await browser.newContext()).newPage();
  await signIn(gaj, 'qy-gaj');
  await gaj.click('#nav-procurement');
  await gaj.waitForSelector('#demand-form');
  await gaj.selectOption('#demand-kind', 'low_altitude');
  await gaj.fill('#demand-title', '城区低空遥感影像数据服务');
  await gaj.fill('#demand-description', '中心城区季度0.1米分辨率正射影像');
  await gaj.fill('#demand-justification', '平台无同类影像数据');
  await gaj.fill('#demand-budget', '360000.00');
  await gaj.click('#file-demand');
  await gaj.waitForSelector('#demand');
  assert.equal(await gaj.getAttribute('#state', 'data-state'), 'evaluating');
  assert.equal(await gaj.getAttribute('#kind', 'data-kind'), 'low_altitude');
  assert.match(await gaj.textContent('#due'), /\d{4}-\d{2}-\d{2}/);
  assert.equal(await gaj.locator('#evaluate-form').count(), 0);
  const url = gaj.url();

  const sjj = await (await browser.newContext()).newPage();
  await signIn(sjj, 'qy-sjj');
  await sjj.goto(url);
  await sjj.waitForSelector('#evaluate-form');
  // Refusing needs a reason.
  await sjj.check('#decision-refuse');
  await sjj.click('#evaluate');
  await sjj.waitForSelector('#error');
  await sjj.goto(url);
  await sjj.check('#decision-approve');
  await sjj.fill('#evaluate-reason', '纳入统采共用');
  await sjj.click('#evaluate');
  await sjj.waitForSelector('#record-form');
  assert.equal(await sjj.getAttribute('#state', 'data-state'), 'approved');
  await sjj.fill('#record-supplier', '清远市示范测绘地理信息有限公司');
  await sjj.fill('#record-contract', 'QYSJ-CG-2026-077');
  await sjj.fill('#record-amount', '352000');
  await sjj.fill('#record-from', '2027-01-01');
  await sjj.fill('#record-to', '2027-12-31');
  await sjj.selectOption('#record-entry-id', { index: 0 });
  await sjj.click('#record-submit');
  await sjj.waitForSelector('#record');
  assert.equal(await sjj.getAttribute('#state', 'data-state'), 'procured');
  assert.equal(await sjj.textContent('#contract-no'), 'QYSJ-CG-2026-077');
  assert.equal(await sjj.textContent('#amount'), '352000.00');
  assert.equal(await sjj.locator('#entry-checks td.check').count(), 3);
  await sjj.screenshot({ path: path.join(shots, 'procurement.png'), fullPage: true });
});
