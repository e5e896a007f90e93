// Browser tests: real headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core, against `pubdata demo` started on a free port with a fresh
// database. Run with `npm test` here; scripts/test runs it after the Rust
// suite, on SQLite and on PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useDemo, signIn, shots, base, browser } from './harness.js';

useDemo();

test('an agency data admin logs in and sees the dashboard, in Chinese then English', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'qy-gaj');
  assert.equal(await page.textContent('#dashboard-title'), '工作台');
  assert.match(await page.textContent('#home-org'), /清远市公安局/);
  // The demo's share requests wait for 公安局's answer, with their due dates.
  assert.match(await page.textContent('#pending-list'), /共享申请答复/);
  assert.match(await page.textContent('#today'), /^\d{4}-\d{2}-\d{2}$/);
  await page.screenshot({ path: path.join(shots, 'dashboard-zh.png'), fullPage: true });

  await page.click('#lang-switch');
  await page.waitForSelector('text=Dashboard');
  assert.equal(await page.textContent('#dashboard-title'), 'Dashboard');
  await page.screenshot({ path: path.join(shots, 'dashboard-en.png'), fullPage: true });
  await context.close();
});

test('a wrong password shows an error and stays on the login page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#username', 'qy-mzj');
  await page.fill('#password', 'not-the-password');
  await page.click('#login-submit');
  await page.waitForSelector('#error');
  assert.match(await page.textContent('#error'), /用户名或密码错误/);
  await context.close();
});

test('the platform admin creates a user on the page; the auditor sees it in the audit log', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'admin');
  await page.click('a[href="/users"]');
  await page.fill('#username', 'qy-jyj-admin');
  await page.fill('#display_name', '市教育局数据管理员');
  await page.fill('#password', 'a-long-password');
  await page.selectOption('#org_id', { label: '　清远市教育局' });
  await page.selectOption('#role', 'agency_data_admin');
  await page.click('#user-form button[type=submit]');
  await page.waitForSelector('#role-list');
  assert.match(await page.textContent('#role-list'), /部门数据管理员/);
  await context.close();

  const ctx2 = await browser.newContext();
  const p2 = await ctx2.newPage();
  await signIn(p2, 'auditor');
  await p2.click('a[href="/audit"]');
  await p2.fill('input[name=action]', 'user.create');
  await p2.click('#audit-filters button[type=submit]');
  await p2.waitForSelector('#audit-list');
  assert.match(await p2.textContent('#audit-list'), /qy-jyj-admin/);
  await p2.screenshot({ path: path.join(shots, 'audit.png'), fullPage: true });
  await ctx2.close();
});

test('the organisation tree lists the city, its counties and their data authorities', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'yd-mzj');
  await page.click('a[href="/orgs"]');
  const tree = await page.textContent('#org-tree');
  for (const name of ['清远市', '清城区', '英德市', '连南瑶族自治县', '英德市政务服务和数据管理局', '英德市民政局']) {
    assert.ok(tree.includes(name), `${name} missing from the tree`);
  }
  await context.close();
});

test('catalogue: an agency drafts and submits, the authority approves from its queue', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, 'qy-rsj');
  await page.click('a[href="/catalog"]');
  await page.click('#new-entry');
  await page.fill('#name', '技能人才评价信息');
  await page.fill('#summary', '全市职业技能等级认定结果');
  await page.selectOption('#classification', '201');
  await page.selectOption('#grade', 'L3');
  await page.fill('#items', '公民身份号码|string|是\n姓名|string|是\n证书编号|string|否');
  await page.selectOption('#share_type', 'conditional');
  await page.fill('#share_conditions', '用于人才补贴审核');
  await page.fill('#share_basis', '《职业技能等级认定管理办法》');
  await page.selectOption('#open_attribute', 'none');
  await page.check('input[name="open_clauses"][value="privacy_without_consent"]');
  await page.fill('#open_grounds', '涉及个人信息');
  await page.click('#save-entry');
  await page.waitForSelector('#entry-state');
  assert.match(await page.textContent('#entry-state'), /编制中/);
  await page.click('#submit-entry');
  await page.waitForSelector('#review-due');
  const due = (await page.textContent('#review-due')).trim();
  assert.match(due, /^\d{4}-\d{2}-\d{2}$/);
  const entryUrl = page.url();
  await page.screenshot({ path: path.join(shots, 'entry-submitted.png'), fullPage: true });
  await ctx.close();

  const ctx2 = await browser.newContext();
  const p2 = await ctx2.newPage();
  await signIn(p2, 'qy-sjj');
  await p2.click('a[href="/catalog/review"]');
  await p2.waitForSelector('#review-queue');
  assert.match(await p2.textContent('#review-queue'), /技能人才评价信息/);
  await p2.click('#review-queue >> text=技能人才评价信息');
  await p2.waitForSelector('#approve-entry');
  assert.equal(p2.url(), entryUrl);
  await p2.click('#approve-entry');
  await p2.waitForSelector('#entry-state');
  assert.match(await p2.textContent('#entry-state'), /已发布/);
  await p2.screenshot({ path: path.join(shots, 'entry-published.png'), fullPage: true });
  await ctx2.close();
});

test('datasets: the source department sees its population dataset with versions and quality', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, 'qy-gaj');
  await page.click('a[href="/datasets"]');
  await page.waitForSelector('#dataset-list');
  await page.click('#dataset-list >> text="户籍人口"');
  await page.waitForSelector('#dataset-schema');
  assert.equal((await page.textContent('#row-count')).trim(), '100000');
  assert.match(await page.textContent('#dataset-versions'), /户籍人口\.csv/);
  assert.match(await page.textContent('#quality-issues'), /联系电话/);
  await page.screenshot({ path: path.join(shots, 'dataset.png'), fullPage: false });
  await ctx.close();
});

test('sharing: the source answers an overdue request, implements the grant, the requester previews masked rows', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, 'qy-gaj');
  await page.click('#nav-sharing');
  await page.waitForSelector('#incoming-requests');
  const overdue = page.locator('#incoming-requests tr.bad a').first();
  assert.match(await page.textContent('#incoming-requests tr.bad'), /已超期/);
  await overdue.click();
  await page.waitForSelector('#answer-due');
  assert.match(await page.textContent('#answer-due'), /已超期/);
  await page.screenshot({ path: path.join(shots, 'share-request-overdue.png'), fullPage: true });
  // Refusing without a basis is refused; approving narrows to the ID number.
  await page.click('#refuse-button');
  await page.waitForSelector('#form-error');
  await page.uncheck('#approve-form input[value="姓名"]');
  await page.click('#approve-button');
  await page.waitForSelector('#implement-due');
  assert.match(await page.textContent('#request-state'), /已同意/);
  await page.click('#grant-link');
  await page.waitForSelector('#implement-button');
  await page.click('#implement-button');
  await page.waitForSelector('#grant-state');
  assert.match(await page.textContent('#grant-state'), /有效/);
  assert.equal((await page.textContent('#grant-fields')).includes('姓名'), false);
  const grantUrl = page.url();
  await ctx.close();

  const ctx2 = await browser.newContext();
  const p2 = await ctx2.newPage();
  await signIn(p2, 'qy-scjgj');
  await p2.goto(grantUrl);
  await p2.waitForSelector('#preview');
  const preview = await p2.textContent('#preview');
  assert.match(preview, /公民身份号码/);
  assert.match(preview, /\d{6}\*{8}[0-9X]{4}/);
  assert.equal(preview.includes('姓名'), false);
  await p2.screenshot({ path: path.join(shots, 'grant-preview.png'), fullPage: true });
  await ctx2.close();
});

test('verification console: 人社局 checks claims and sees match or no match, never a value', async () => {
  // A real ID number, read by the source department itself.
  const src = await browser.newContext();
  const sp = await src.newPage();
  await signIn(sp, 'qy-gaj');
  const list = await (await sp.request.get(`${base}/api/v1/datasets?limit=50`)).json();
  const ds = list.items.find((d) => d.name === '户籍人口');
  const rows = await (await sp.request.get(`${base}/api/v1/datasets/${ds.id}/rows?limit=1`)).json();
  const person = rows.items[0];
  await src.close();

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, 'qy-rsj');
  await page.click('#nav-sharing');
  await page.waitForSelector('#grants-received');
  await page.locator('#grants-received tr', { hasText: '核实比对' }).locator('a').first().click();
  await page.waitForSelector('#verify-form');
  await page.fill('#key-1', person['公民身份号码']);
  await page.fill('#claim-1', person['姓名']);
  await page.fill('#claim-2', '1900-01-01');
  await page.click('#verify-button');
  await page.waitForSelector('#verify-result');
  const result = await page.textContent('#verify-result');
  assert.match(result, /查有此记录/);
  assert.match(result, /姓名：一致/);
  assert.match(result, /出生日期：不一致/);
  assert.equal(result.includes(person['出生日期']), false, 'the stored birth date never shows');
  await page.screenshot({ path: path.join(shots, 'verification.png'), fullPage: true });
  await ctx.close();
});

test('derivatives: 公安局 refreshes the demo derivative and derives a new one from a dataset page', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, 'qy-gaj');
  await page.click('#nav-sharing');
  await page.click('#derivations-link');
  await page.waitForSelector('#derivations');
  // DOMAIN.md's masking rules are listed as data.
  assert.match(await page.textContent('#masking-rules'), /keep:6,4/);
  await page.locator('#derivations tr', { hasText: '户籍人口年龄与区县分布' }).locator('a').first().click();
  await page.waitForSelector('#derivation');
  assert.match(await page.textContent('#transforms'), /假名化/);
  assert.match(await page.textContent('#transforms'), /泛化到区县/);
  await page.click('#refresh');
  await page.waitForSelector('#message');
  assert.match(await page.textContent('#message'), /已刷新/);
  await page.screenshot({ path: path.join(shots, 'derivation.png'), fullPage: true });

  // A new derivative from the 户籍人口 dataset page: the key masked is refused …
  await page.click('a[href="/datasets"]');
  await page.waitForSelector('#dataset-list');
  await page.click('#dataset-list >> text="户籍人口"');
  await page.click('#derive-link');
  await page.waitForSelector('#derive-form');
  await page.fill('#name', '户籍人口婚姻状况（脱敏）');
  await page.selectOption('#share_type', 'unconditional');
  await page.selectOption('#grade', 'L2');
  await page.selectOption('select[data-field="公民身份号码"]', 'mask:keep:6,4');
  await page.click('#derive');
  await page.waitForSelector('#form-error');
  assert.match(await page.textContent('#form-error'), /公民身份号码/);
  // … pseudonymised, with the personal items dropped, it goes to review.
  await page.fill('#name', '户籍人口婚姻状况（脱敏）');
  await page.selectOption('#share_type', 'unconditional');
  await page.selectOption('#grade', 'L2');
  await page.selectOption('select[data-field="公民身份号码"]', 'pseudonym');
  for (const f of ['姓名', '性别', '出生日期', '民族', '户籍地址', '联系电话']) {
    await page.selectOption(`select[data-field="${f}"]`, 'drop');
  }
  await page.click('#derive');
  await page.waitForSelector('#derivation');
  assert.match(await page.textContent('#entry-state'), /待审核/);
  assert.match(await page.textContent('#derived-dataset'), /尚未生成/);
  await ctx.close();
});

test('open data portal: a visitor without an account searches, previews and downloads, also at a phone width', async () => {
  for (const viewport of [{ width: 1280, height: 900 }, { width: 375, height: 740 }]) {
    const ctx = await browser.newContext({ viewport });
    const page = await ctx.newPage();
    await page.goto(`${base}/open`);
    await page.waitForSelector('#open-list');
    assert.match(await page.textContent('#open-total'), /共 \d+ 个数据集/);
    // Search, then open a dataset from the results.
    await page.fill('#q', '空气');
    await page.click('#search');
    await page.waitForSelector('#open-list');
    await page.locator('#open-list a', { hasText: '环境空气质量监测信息' }).click();
    await page.waitForSelector('#open-preview');
    assert.match(await page.textContent('#open-title'), /环境空气质量监测信息/);
    const rows = await page.locator('#open-preview tr').count();
    assert.ok(rows > 1 && rows <= 11, `preview rows ${rows}`);
    // The example is the full address (the script filled it in).
    assert.match(await page.textContent('#api-example'), /curl 'http:\/\/127\.0\.0\.1:\d+\/api\/v1\/open\/datasets\/\d+\/rows/);
    // The CSV download works without an account.
    const href = await page.getAttribute('#download-csv', 'href');
    const csv = await (await page.request.get(`${base}${href}`)).text();
    assert.match(csv, /监测点位/);
    // Nothing wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page wider than the viewport by ${overflow}px at ${viewport.width}`);
    await page.screenshot({ path: path.join(shots, `open-${viewport.width}.png`), fullPage: true });
    await ctx.close();
  }
});

test('re-identification: an open derivative whose people stand out is refused; the demo one shows its passed checks', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, 'qy-gaj');
  await page.click('a[href="/datasets"]');
  await page.waitForSelector('#dataset-list');
  await page.click('#dataset-list >> text="户籍人口"');
  await page.click('#derive-link');
  await page.waitForSelector('#derive-form');
  // Birth date and district as quasi-identifiers: nearly everyone stands alone.
  await page.fill('#name', '户籍人口出生月份分布（开放）');
  await page.selectOption('#share_type', 'conditional');
  await page.selectOption('#open_attribute', 'conditional');
  await page.selectOption('select[data-field="公民身份号码"]', 'pseudonym');
  for (const f of ['姓名', '性别', '民族', '户籍地址', '联系电话', '婚姻状况']) {
    const sel = page.locator(`select[data-field="${f}"]`);
    if (await sel.count()) await sel.selectOption('drop');
  }
  await page.selectOption('select[data-field="出生日期"]', 'keep');
  assert.equal(await page.isChecked('input[data-qi="出生日期"]'), true);
  await page.click('#derive');
  await page.waitForSelector('#form-error');
  assert.match(await page.textContent('#form-error'), /重识别风险/);
  assert.match(await page.textContent('#form-error'), /等价类/);

  // The demo's conditionally open derivative passed on creation and refresh.
  await page.click('#nav-sharing');
  await page.click('#derivations-link');
  await page.locator('#derivations tr', { hasText: '有条件开放' }).locator('a').first().click();
  await page.waitForSelector('#reid-checks');
  assert.match(await page.textContent('#open-attribute'), /有条件开放/);
  assert.match(await page.textContent('#quasi-identifiers'), /出生日期/);
  assert.match(await page.textContent('#reid-checks'), /通过/);
  await page.click('#reid-check');
  await page.waitForSelector('#message');
  assert.match(await page.textContent('#message'), /满足 k 匿名/);
  assert.match(await page.textContent('#reid-checks'), /定期复评/);
  await page.screenshot({ path: path.join(shots, 'reidentification.png'), fullPage: true });
  await ctx.close();
});

test('open data charts: what each agency opened and how it is used, drawn by ECharts without a CDN, also at a phone width', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(base)) outside.push(r.url()); });
  await page.goto(`${base}/open`);
  await page.click('#open-stats');
  await page.waitForSelector('#stats-table');
  // Thirty and more open datasets across the agencies (the demo's open catalogue).
  const total = Number((await page.textContent('#stats-summary')).match(/(\d+)/)[1]);
  assert.ok(total >= 30, `open datasets: ${total}`);
  assert.ok((await page.locator('#stats-table tr').count()) > 10);
  // Both charts drawn on a canvas by ECharts, served from the platform itself.
  await page.waitForSelector('#chart-datasets[data-drawn="true"] canvas');
  await page.waitForSelector('#chart-reads[data-drawn="true"] canvas');
  assert.deepEqual(outside, []);
  await page.screenshot({ path: path.join(shots, 'open-stats.png'), fullPage: true });
  await page.setViewportSize({ width: 375, height: 800 });
  await page.reload();
  await page.waitForSelector('#chart-datasets[data-drawn="true"] canvas');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 400, `no sideways scrolling on a phone: ${width}px`);
  await page.screenshot({ path: path.join(shots, 'open-stats-phone.png'), fullPage: true });
  await ctx.close();
});
