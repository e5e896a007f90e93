// Browser test of disputes between agencies (争议处理, DSP-1, Art. 48):
// 市民政局 raises a dispute against 市公安局 on the page, 市公安局 answers
// and moves the failed negotiation to coordination, 市数据局 moves it to the
// joint consultation and — after the page refuses a report without its
// leaning (倾向性意见) — to the government; each side sees the stage and
// the current case's deadline change (the demo server and Chromium:
// harness.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useDemo, signIn, shots, base, browser } from './harness.js';

useDemo();

const TITLE = '低保核对所需婚姻状况字段共享争议（浏览器测试）';

/** The dispute page's stage and current deadline. */
async function where(page) {
  return {
    stage: await page.getAttribute('#dispute-stage', 'data-stage'),
    due: await page.getAttribute('#deadline', 'data-due'),
  };
}

test('a dispute is raised, answered and escalated to the government on the pages', async () => {
  // 市民政局 raises it from the navigation.
  const mzj = await (await browser.newContext()).newPage();
  await signIn(mzj, 'qy-mzj');
  await mzj.click('#nav-disputes');
  await mzj.waitForSelector('#disputes-title');
  // The demo's disputes are listed with their stage and deadline.
  assert.ok(await mzj.locator('#open-disputes tr.dispute').count() >= 1);
  assert.match(await mzj.locator('#open-disputes td.deadline').first().textContent(), /\d{4}-\d{2}-\d{2}/);
  await mzj.click('#new-dispute');
  await mzj.waitForSelector('#dispute-form');
  await mzj.selectOption('#respondent_org', { label: '清远市公安局' });
  await mzj.selectOption('#dispute_type', 'sharing');
  const respondent = await mzj.inputValue('#respondent_org');
  // The share request concerned: 市民政局's request of 市公安局's data.
  const request = mzj.locator('#subject option', { hasText: '清远市民政局 → 清远市公安局' }).first();
  const subject = await request.getAttribute('value');
  assert.match(subject, /^share_request:\d+$/);
  await mzj.selectOption('#subject', subject);
  await mzj.fill('#title', TITLE);
  await mzj.fill('#grounds', '共享目录列明婚姻状况为无条件共享，市公安局要求另行申请。');
  await mzj.screenshot({ path: path.join(shots, 'disputes-new.png'), fullPage: true });
  await mzj.click('#file-dispute');
  await mzj.waitForSelector('#dispute-stage');
  const url = mzj.url();
  assert.match(url, /\/disputes\/\d+$/);
  const filed = await where(mzj);
  assert.equal(filed.stage, 'negotiation');
  assert.match(filed.due, /^\d{4}-\d{2}-\d{2}$/);
  assert.match(await mzj.textContent('#deadline'), /10/);
  assert.match(await mzj.textContent('#authority'), /清远市政务服务和数据管理局/);
  // The record concerned is linked; its page offers a dispute about it,
  // with the other party as the respondent.
  assert.equal(await mzj.getAttribute('#dispute-subject', 'href'), `/sharing/requests/${subject.split(':')[1]}`);
  await mzj.click('#dispute-subject');
  await mzj.click('#raise-dispute');
  await mzj.waitForSelector('#dispute-form');
  assert.equal(await mzj.inputValue('#subject'), subject);
  assert.equal(await mzj.inputValue('#respondent_org'), respondent);

  // 市公安局 finds it in its list, answers and moves the negotiation on.
  const gaj = await (await browser.newContext()).newPage();
  await signIn(gaj, 'qy-gaj');
  await gaj.click('#nav-disputes');
  const row = gaj.locator('#open-disputes tr.dispute', { hasText: TITLE });
  assert.equal(await row.getAttribute('data-stage'), 'negotiation');
  assert.match(await row.textContent(), new RegExp(filed.due));
  await row.locator('a').first().click();
  await gaj.waitForSelector('#statement-form');
  assert.equal(await gaj.getAttribute('#my-side', 'data-side'), 'respondent');
  await gaj.fill('#statement-text', '婚姻状况涉及个人信息，应按有条件共享办理。');
  await gaj.click('#send-statement');
  await gaj.waitForSelector('li.stage[data-stage="negotiation"] tr.step[data-kind="statement"]');
  assert.match(await gaj.textContent('li.stage[data-stage="negotiation"]'), /应按有条件共享办理/);
  await gaj.fill('#escalate-reason', '双方协商未达成一致');
  await gaj.click('#send-escalation');
  await gaj.waitForSelector('#dispute-stage[data-stage="coordination"]');
  const coordination = await where(gaj);
  assert.notEqual(coordination.due, filed.due);
  assert.ok(coordination.due > filed.due, `${coordination.due} after ${filed.due}`);
  // A party does not move it on after negotiation.
  assert.equal(await gaj.locator('#escalate-form').count(), 0);

  // The complainant sees the stage and the deadline change.
  await mzj.goto(url);
  assert.deepEqual(await where(mzj), coordination);
  assert.match(await mzj.textContent('li.stage[data-stage="negotiation"]'), /双方协商未达成一致/);

  // 市数据局 (the handling authority): coordination → consultation → government.
  const sjj = await (await browser.newContext()).newPage();
  await signIn(sjj, 'qy-sjj');
  await sjj.goto(url);
  assert.equal(await sjj.getAttribute('#my-side', 'data-side'), 'authority');
  await sjj.fill('#escalate-reason', '主管部门协调未果');
  await sjj.click('#send-escalation');
  await sjj.waitForSelector('#dispute-stage[data-stage="consultation"]');
  await sjj.fill('#statement-text', '会同市委编办联合会商，未形成一致意见。');
  await sjj.click('#send-statement');
  await sjj.waitForSelector('li.stage[data-stage="consultation"] tr.step[data-kind="statement"]');
  // Reporting to the government without the leaning: the API's problem shown.
  await sjj.fill('#escalate-reason', '联合会商未果');
  await sjj.click('#send-escalation');
  await sjj.waitForSelector('#error');
  assert.match(await sjj.textContent('#error'), /leaning/);
  assert.equal(await sjj.getAttribute('#dispute-stage', 'data-stage'), 'consultation');
  await sjj.fill('#escalate-reason', '联合会商未果');
  await sjj.fill('#escalate-leaning', '倾向于按目录无条件共享婚姻状况。');
  await sjj.click('#send-escalation');
  await sjj.waitForSelector('#dispute-stage[data-stage="government"]');
  const government = await where(sjj);
  assert.ok(government.due > coordination.due, `${government.due} after ${coordination.due}`);
  assert.match(await sjj.textContent('#leaning'), /倾向于按目录无条件共享/);
  assert.equal(await sjj.locator('#settle-decision-no').count(), 1);
  assert.equal(await sjj.locator('li.stage[data-status="done"]').count(), 3);
  await sjj.screenshot({ path: path.join(shots, 'disputes-government.png'), fullPage: true });

  // Both parties see the government stage and its deadline, in their list too.
  await mzj.goto(`${base}/disputes`);
  const mine = mzj.locator('#open-disputes tr.dispute', { hasText: TITLE });
  assert.equal(await mine.getAttribute('data-stage'), 'government');
  assert.match(await mine.textContent(), new RegExp(government.due));
  await gaj.goto(url);
  assert.deepEqual(await where(gaj), government);
  // In English after the switch.
  await gaj.click('#lang-switch');
  await gaj.waitForSelector('#dispute-stage');
  assert.match(await gaj.textContent('#dispute-stage'), /Decision by the government/);
});
