// Browser test of supervision (监督考核, SUP-1, Art. 46): the city data
// authority opens /supervision and sees its level's figures per agency,
// drills down from a number to the items behind it, and downloads the
// year's evaluation report as XLSX and as PDF from the page's links (the
// downloads arrive, with the right content types). Real headless Chromium
// driven by playwright-core against `pubdata demo` on a fresh database
// (harness.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { useDemo, shots, base, browser, logIn } from './harness.js';

useDemo();

test('an authority sees its figures, drills down and downloads the XLSX and PDF reports', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(`${base}/supervision`);
  await logIn(page, 'qy-sjj');
  await page.waitForSelector('#supervision-table');

  // The level's figures: the city's agencies (the counties' too) and the total.
  assert.match(await page.textContent('h1'), /清远市/);
  const table = await page.textContent('#supervision-table');
  assert.match(table, /清远市民政局/);
  assert.match(table, /英德市民政局/, 'the county agencies are within the city level');
  assert.match(table, /计划逾期未开放项/, 'open plan fulfilment is among the figures');
  assert.ok((await page.locator('#supervision-table tr[data-org]').count()) >= 4);

  // Drill down: the level's overdue plan items (due before today, not
  // open), as many as the number says.
  const cell = page.locator('#supervision-table tr.total a.figure[data-figure="plan_overdue"]');
  const n = Number((await cell.textContent()).trim());
  assert.ok(n >= 2, `overdue plan items: ${n}`);
  await cell.click();
  await page.waitForSelector('#items-table');
  assert.match(page.url(), /\/supervision\/items\?org=\d+&figure=plan_overdue/);
  assert.match(await page.textContent('#items-total'), new RegExp(`${n}$`));
  assert.equal(await page.locator('#items-table tr.item').count(), n);
  assert.match(await page.textContent('#items-table'), /英德市婚姻登记服务点/);
  await page.screenshot({ path: path.join(shots, 'supervision-items.png'), fullPage: true });

  // The items lead to the plan they belong to.
  await page.locator('#items-table tr.item a').first().click();
  await page.waitForURL(/\/plans\/\d+$/);

  // Back on the dashboard: the year's reports as XLSX and PDF.
  await page.goto(`${base}/supervision`);
  const year = String(new Date().getFullYear());
  const xlsxHref = await page.getAttribute('#annual-xlsx', 'href');
  const pdfHref = await page.getAttribute('#annual-pdf', 'href');
  assert.match(xlsxHref, new RegExp(`^/api/v1/supervision/reports/${year}\\.xlsx\\?level=\\d+$`));
  assert.match(pdfHref, new RegExp(`^/api/v1/supervision/reports/${year}\\.pdf\\?level=\\d+$`));
  await page.screenshot({ path: path.join(shots, 'supervision-dashboard.png'), fullPage: true });

  // The links download (the session's cookie is enough).
  for (const [id, ext, magic] of [['#annual-xlsx', 'xlsx', 'PK'], ['#annual-pdf', 'pdf', '%PDF-']]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
    assert.match(download.suggestedFilename(), new RegExp(`^evaluation-\\d+-${year}\\.${ext}$`));
    const file = await download.path();
    const bytes = readFileSync(file);
    assert.equal(bytes.subarray(0, magic.length).toString('latin1'), magic, `${ext} download`);
    assert.ok(bytes.length > 2000, `${ext} is ${bytes.length} bytes`);
  }
  // And answer with the right content types.
  const xlsx = await page.request.get(`${base}${xlsxHref}`);
  assert.equal(xlsx.status(), 200);
  assert.equal(xlsx.headers()['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const pdf = await page.request.get(`${base}${pdfHref}`);
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.match(pdf.headers()['content-disposition'], /attachment/);
  await ctx.close();
});

test('an agency user sees its own figures and is refused the city report', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${base}/supervision`);
  await logIn(page, 'qy-mzj');
  await page.waitForLoadState('load');
  // Its own figures only: the dashboard opens on its own agency.
  assert.match(await page.textContent('#supervision-table'), /清远市民政局/);
  assert.doesNotMatch(await page.textContent('#supervision-table'), /英德市民政局/);
  // Its own annual report is its agency's; the city authority's is refused.
  const year = String(new Date().getFullYear());
  const own = await page.request.get(`${base}/api/v1/supervision/reports/${year}.xlsx`);
  assert.equal(own.status(), 200);
  const orgs = await (await page.request.get(`${base}/api/v1/orgs`)).json();
  const authority = orgs.items.find((o) => o.code === 'qy-sjj');
  assert.ok(authority, 'the city authority is in the tree');
  const city = await page.request.get(`${base}/api/v1/supervision/reports/${year}.pdf?level=${authority.id}`);
  assert.equal(city.status(), 403);
  assert.equal(city.headers()['content-type'], 'application/problem+json');
  await ctx.close();
});
