// 商家核销: scan → preview → confirm, the refusal screens, today's and this month's lists.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, texts, exists, tap } = require('../helpers/page');

async function openMerchant(extra) {
  jest.useFakeTimers({ now: Date.parse('2026-11-20T06:00:00Z'), doNotFake: ['setTimeout'] });
  const fake = serveDemo(
    installFakeWx(),
    Object.assign({ 'GET /api/v1/me': 'me_merchant' }, extra)
  );
  const page = renderPage('merchant');
  await fake.settle();
  return { fake, page };
}

async function scan(fake, page, token = 'eyJ.redemption-one.sig') {
  fake.scanResults.push({ result: token });
  tap(page, '.scan-btn');
  await fake.settle();
}

afterEach(() => {
  jest.useRealTimers();
});

test('scan → preview (offer, points, masked name) → 确认核销 → 核销成功', async () => {
  const { fake, page } = await openMerchant({
    'POST /api/v1/merchant/verify/preview': 'verify_preview',
    'POST /api/v1/merchant/verify': 'verify_ok',
  });
  await scan(fake, page);
  expect(fake.requestsTo('POST /api/v1/merchant/verify/preview')[0].data).toEqual({
    token: 'eyJ.redemption-one.sig',
  });
  expect(text(page, '.preview__title')).toBe('理发券');
  expect(text(page, '.preview__points')).toBe('20 分');
  expect(text(page, '.preview__resident')).toBe('张*明');
  expect(fake.requestsTo('POST /api/v1/merchant/verify')).toHaveLength(0);

  tap(page, '.confirm-btn');
  await fake.settle();
  expect(fake.requestsTo('POST /api/v1/merchant/verify')[0].data).toEqual({
    token: 'eyJ.redemption-one.sig',
  });
  expect(text(page, '.result__title')).toBe('核销成功');
  expect(text(page, '.done__title')).toBe('理发券');
  expect(text(page, '.done__points')).toBe('20 分');
  expect(text(page, '.done__resident')).toBe('张*明');
});

test('already redeemed: when and by whom', async () => {
  const { fake, page } = await openMerchant({
    'POST /api/v1/merchant/verify/preview': 'verify_preview',
    'POST /api/v1/merchant/verify': 'verify_already_redeemed',
  });
  await scan(fake, page);
  tap(page, '.confirm-btn');
  await fake.settle();
  expect(exists(page, '.refused--already_redeemed')).toBe(true);
  expect(text(page, '.refused__title')).toBe('该兑换已核销');
  expect(texts(page, '.refused__line')).toEqual(['核销时间：11月20日 10:03', '核销人：刘*']);
  expect(text(page, '.refused__hint')).toBe('积分已扣除，无需再次核销');
});

// The clauses of a refusal screen (title, lines, hint split at Chinese punctuation).
function refusalClauses(page) {
  const parts = [text(page, '.refused__title'), ...texts(page, '.refused__line')];
  if (exists(page, '.refused__hint')) parts.push(text(page, '.refused__hint'));
  return parts.flatMap((p) => p.split(/[，。；]/)).filter(Boolean);
}

test.each([
  ['preview_already_redeemed'],
  ['preview_code_expired'],
  ['preview_wrong_merchant'],
  ['preview_code_invalid'],
])('%s says each thing once', async (fixture) => {
  const { fake, page } = await openMerchant({ 'POST /api/v1/merchant/verify/preview': fixture });
  await scan(fake, page);
  const clauses = refusalClauses(page);
  expect(clauses.length).toBeGreaterThan(0);
  expect(new Set(clauses).size).toBe(clauses.length);
  expect(screenText(page).match(/请勿重复核销/g) || []).toHaveLength(0);
  expect(screenText(page).match(/二维码已过期/g) || []).toHaveLength(
    fixture === 'preview_code_expired' ? 1 : 0
  );
});

test('an unknown refusal shows the server message under 无法核销', async () => {
  const { fake, page } = await openMerchant({
    'POST /api/v1/merchant/verify/preview': 'preview_code_invalid',
  });
  fake.on('POST /api/v1/merchant/verify/preview', (req) => {
    const f = require('../helpers/fixtures').fixture('preview_code_invalid');
    f.body.error.code = 'something_new';
    f.body.error.message = '暂时无法核销';
    return { status: f.status, body: f.body };
  });
  await scan(fake, page);
  expect(text(page, '.refused__title')).toBe('无法核销');
  expect(texts(page, '.refused__line')).toEqual(['暂时无法核销']);
});

test.each([
  ['preview_already_redeemed', 'already_redeemed', '该兑换已核销'],
  ['preview_code_expired', 'code_expired', '二维码已过期'],
  ['preview_wrong_merchant', 'not_your_merchant', '不是本店的兑换码'],
  ['preview_code_invalid', 'code_invalid', '无法识别的二维码'],
])('%s has its own clear screen', async (fixture, code, title) => {
  const { fake, page } = await openMerchant({ 'POST /api/v1/merchant/verify/preview': fixture });
  await scan(fake, page);
  expect(exists(page, `.refused--${code}`)).toBe(true);
  expect(text(page, '.refused__title')).toBe(title);
  expect(exists(page, '.confirm-btn')).toBe(false);

  fake.on('POST /api/v1/merchant/verify/preview', 'verify_preview');
  fake.scanResults.push({ result: 'eyJ.fresh.sig' });
  tap(page, '.scan-again');
  await fake.settle();
  expect(text(page, '.preview__title')).toBe('理发券');
});

test("today's and this month's redemptions", async () => {
  const { fake, page } = await openMerchant();
  const q = fake.requestsTo('GET /api/v1/merchant/redemptions')[0].query;
  expect(q).toEqual({ status: 'redeemed', month: '2026-11', limit: '50' });
  expect(text(page, '.today-line')).toBe('今日已核销 1 笔 · 共 20 积分');
  expect(texts(page, '.row-item__title')).toHaveLength(1);
  tap(page, '.tab-month');
  await fake.settle();
  expect(text(page, '.month-summary')).toBe('本月核销 3 笔，共 80 分');
  expect(texts(page, '.row-item__title')).toHaveLength(3);
});

test('staff of several shops act for the first one', async () => {
  const { fake } = await openMerchant();
  fake.once('GET /api/v1/merchant/statement', 'merchant_statement_required');
  const page = renderPage('merchant');
  await fake.settle();
  const calls = fake.requestsTo('GET /api/v1/merchant/statement');
  expect(calls[calls.length - 1].query.merchant_id).toBe('2');
  expect(text(page, '.hero__sub')).toContain('幸福理发店');
});

test('closing the scanner changes nothing', async () => {
  const { fake, page } = await openMerchant();
  fake.scanResults.push({ cancel: true });
  tap(page, '.scan-btn');
  await fake.settle();
  expect(text(page, '.scan-btn')).toBe('扫码核销');
  expect(fake.requestsTo('POST /api/v1/merchant/verify/preview')).toHaveLength(0);
});
