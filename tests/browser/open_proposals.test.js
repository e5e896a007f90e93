// Browser test of open attribute filings and proposals (开放属性备案与修改
// 建议, OPN-1, Art. 32–34): 市数据局 lists the filed not-open entries of
// 市公安局 and proposes another attribute on the page; 市公安局 answers
// (disagreeing with reasons) on the proposal's page; the authority then
// sees the escalation form (the demo server and Chromium: harness.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useDemo, signIn, shots, base, browser } from './harness.js';

useDemo();

test('the authority proposes another open attribute on the page and the agency answers', async () => {
  const sjj = await (await browser.newContext()).newPage();
  await signIn(sjj, 'qy-sjj');
  await sjj.click('#nav-open-filings');
  await sjj.waitForSelector('#filings');
  // Only 市公安局's not-open filings.
  const org = await sjj.locator('#filter-org option', { hasText: '公安局' }).first().getAttribute('value');
  await sjj.selectOption('#filter-org', org);
  await sjj.selectOption('#filter-attribute', 'none');
  await sjj.click('#filter-filings');
  await sjj.waitForURL(/attribute=none/);
  const rows = sjj.locator('#filings tr[data-attribute]');
  assert.ok(await rows.count() > 0, 'filed not-open entries are listed');
  for (const a of await rows.evaluateAll(rs => rs.map(r => r.dataset.attribute))) {
    assert.equal(a, 'none');
  }
  // Each filing states its basis (依据).
  assert.ok((await rows.first().locator('.basis').textContent()).trim().length > 0);
  // A filing without a pending proposal: propose 有条件开放 with the subjects' consent.
  const row = sjj.locator('#filings tr[data-attribute]', { has: sjj.locator('details.propose') }).first();
  const entryName = (await row.locator('td').nth(1).textContent()).trim();
  await row.locator('summary').click();
  const form = row.locator('form.propose-form');
  await form.locator('select[name=proposed_attribute]').selectOption('conditional');
  await form.locator('input[name=clauses][value=subject_consent]').check();
  await form.locator('textarea[name=reasons]').fill('数据主体已同意用于科研统计，建议有条件开放。');
  await sjj.screenshot({ path: path.join(shots, 'open-filings.png'), fullPage: true });
  await form.locator('button[type=submit]').click();
  await sjj.waitForSelector('#proposal-state');
  assert.equal(await sjj.getAttribute('#proposal-state', 'data-state'), 'open');
  assert.match(await sjj.textContent('#proposal-entry'), new RegExp(entryName));
  assert.match(await sjj.textContent('#proposal-cases'), /开放属性修改建议答复/);
  assert.match(await sjj.textContent('#proposal-cases'), /\d{4}-\d{2}-\d{2}/);
  const url = sjj.url();
  // The authority does not answer its own proposal.
  assert.equal(await sjj.locator('#answer-form').count(), 0);

  // 市公安局 answers: it disagrees, with reasons.
  const gaj = await (await browser.newContext()).newPage();
  await signIn(gaj, 'qy-gaj');
  await gaj.goto(url);
  await gaj.check('#answer-disagree');
  await gaj.click('#send-answer');
  // Disagreeing without reasons is refused and the form comes back.
  await gaj.waitForSelector('#form-error');
  assert.match(await gaj.textContent('#form-error'), /reasons/);
  await gaj.check('#answer-disagree');
  await gaj.fill('#answer-reasons-input', '数据主体人数众多，无法逐一取得同意，仍应不予开放。');
  await gaj.click('#send-answer');
  await gaj.waitForSelector('#proposal-state[data-state="disagreed"]');
  assert.match(await gaj.textContent('#answer-reasons'), /仍应不予开放/);

  // The authority may now escalate to the city government.
  await sjj.goto(url);
  assert.equal(await sjj.getAttribute('#proposal-state', 'data-state'), 'disagreed');
  assert.equal(await sjj.locator('#escalate-form').count(), 1);
  // The entry page shows its filing and the proposal.
  await sjj.click('#proposal-entry');
  await sjj.waitForSelector('#entry-filings');
  assert.ok(await sjj.locator(`#entry-proposals a[href="${new URL(url).pathname}"]`).count() === 1);
  await sjj.goto(`${base}/lang?to=en&next=${encodeURIComponent(new URL(url).pathname)}`);
  assert.match(await sjj.textContent('h1'), /Open attribute proposal/);
  await sjj.screenshot({ path: path.join(shots, 'open-proposal.png'), fullPage: true });
});
