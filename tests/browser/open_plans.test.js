// Browser test of open data plans (开放计划, OPN-2): a visitor without an
// account reads the published plans and the open catalogue with its
// responsibility list (also at a phone's width); an agency user edits its
// returned plan and files it on the page, the city authority acknowledges
// it and the visitor then sees it. Real headless Chromium driven by
// playwright-core against `pubdata demo` on a fresh database (harness.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useDemo, shots, base, browser, logIn } from './harness.js';

useDemo();

async function noSidewaysScroll(page) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width + 1, `page is ${scroll}px wide on a ${width}px screen`);
}

test('a visitor reads the published plans and the open catalogue, also on a phone', async () => {
  for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
    const ctx = await browser.newContext({ viewport });
    const page = await ctx.newPage();
    const phone = viewport.width < 600;

    await page.goto(`${base}/open/plans`);
    assert.match(await page.textContent('#priorities'), /开放重点/);
    assert.ok((await page.locator('#priorities li').count()) >= 4, 'the year\'s four priority areas');
    const plans = page.locator('li.plan');
    assert.ok((await plans.count()) >= 3, 'acknowledged plans are published');
    const text = await page.textContent('main');
    assert.match(text, /清远市市场监督管理局/);
    assert.match(text, /英德市/, 'the county\'s plans are gathered with the city\'s');
    assert.doesNotMatch(text, /清远市人力资源和社会保障局/, 'a filed plan is not yet public');
    await plans.first().locator('summary').click();
    assert.ok((await plans.first().locator('.plan-items li').count()) >= 1);
    assert.match(await plans.first().locator('.counts').textContent(), /已按期开放/);
    await noSidewaysScroll(page);
    await page.screenshot({ path: path.join(shots, `open-plans-${phone ? 'phone' : 'desktop'}.png`), fullPage: true });

    await page.goto(`${base}/open/catalogue`);
    const rows = page.locator('#open-catalogue tr');
    assert.ok((await rows.count()) > 30, 'more than thirty open entries');
    const table = await page.textContent('#open-catalogue');
    assert.match(table, /无条件开放/);
    assert.match(table, /有条件开放/);
    assert.doesNotMatch(table, /不予开放/);
    assert.match(table, /0763-/, 'responsible contacts are listed');
    // Filter by one agency.
    await page.selectOption('#org', { index: 1 });
    await page.click('#filter');
    await page.waitForURL(/org=\d+/);
    const agency = (await page.locator('#org option:checked').textContent()).trim();
    const names = await page.locator('#open-catalogue tr td:nth-child(3)').allTextContents();
    assert.ok(names.length >= 1);
    assert.ok(names.every((n) => n.trim() === agency), `${names} are all ${agency}`);
    await noSidewaysScroll(page);
    await page.screenshot({ path: path.join(shots, `open-catalogue-${phone ? 'phone' : 'desktop'}.png`), fullPage: true });
    await ctx.close();
  }
});

test('an agency user edits its returned plan and files it; the authority acknowledges; the visitor sees it', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${base}/plans`);
  await logIn(page, 'qy-gaj');
  await page.waitForSelector('#plan-list');
  await page.locator('#plan-list a').first().click();
  await page.waitForSelector('#plan-state');
  assert.equal((await page.textContent('#plan-state')).trim(), '已退回');
  assert.match(await page.textContent('#return-reason'), /公共安全/);

  await page.fill('#item-name', '公共安全视频监控点位分布');
  await page.selectOption('#item-area', 'public_governance');
  await page.click('#add-item-button');
  await page.waitForSelector('#plan-items');
  assert.match(await page.textContent('#plan-items'), /公共安全视频监控点位分布/);
  assert.equal((await page.textContent('#plan-state')).trim(), '草稿');
  await page.click('#file-button');
  await page.waitForSelector('#plan-state');
  assert.equal((await page.textContent('#plan-state')).trim(), '已报备案');
  assert.equal(await page.locator('#add-item').count(), 0, 'a filed plan is no longer edited');
  const url = page.url();
  await page.screenshot({ path: path.join(shots, 'open-plan-filed.png'), fullPage: true });
  await ctx.close();

  const authority = await browser.newContext();
  const reviewer = await authority.newPage();
  await reviewer.goto(`${base}/plans`);
  await logIn(reviewer, 'qy-sjj');
  await reviewer.waitForSelector('#plans-to-review');
  assert.match(await reviewer.textContent('#plans-to-review'), /清远市公安局/);
  await reviewer.goto(url);
  await reviewer.click('#acknowledge-button');
  await reviewer.waitForSelector('#plan-state');
  assert.equal((await reviewer.textContent('#plan-state')).trim(), '已备案');
  await authority.close();

  const visitor = await browser.newContext();
  const v = await visitor.newPage();
  await v.goto(`${base}/open/plans`);
  assert.match(await v.textContent('main'), /清远市公安局/);
  await visitor.close();
});
