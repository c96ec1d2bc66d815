// 兑换: offers, reserving with an Idempotency-Key per tap, refusals, and the redemption QR
// code refreshing before it expires until the merchant verifies it (已核销).

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { paintedOps } = require('../helpers/qr');
const { renderPage, screenText, text, texts, exists, tap } = require('../helpers/page');

async function open(name, extra, query) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

afterEach(() => {
  jest.useRealTimers();
});

describe('rewards tab', () => {
  test('offers with points and stock, my available points, 加载更多', async () => {
    const { fake, page } = await open('rewards');
    expect(text(page, '.available')).toBe('100');
    expect(texts(page, '.offer__title')).toEqual(['理发券', '大米 5 斤']);
    expect(texts(page, '.offer__stock')).toEqual(['库存 8', '已兑完']);
    expect(exists(page, '.window-state')).toBe(false); // always open: nothing to say
    fake.on('GET /api/v1/offers', 'offers_page2');
    tap(page, '.load-more');
    await fake.settle();
    expect(texts(page, '.offer__title')).toEqual(['理发券', '大米 5 斤', '洗衣液']);
    tap(page, '.offer', 2);
    await fake.settle();
    expect(fake.navigations).toEqual([
      { type: 'navigateTo', url: '/pages/offer-detail/index?id=23' },
    ]);
  });

  test('a closed window says when it opens next', async () => {
    const { page } = await open('rewards', {
      'GET /api/v1/redemption-windows/current': 'window_closed',
    });
    expect(text(page, '.window-state')).toBe('当前不在兑换时间内，下次开放：2027年1月1日');
  });
});

describe('reserving', () => {
  test('the stock line says 库存 once, then the count', async () => {
    const { fake, page } = await open('offer-detail', {}, { id: '21' });
    const stock = text(page, '.offer-stock');
    expect(stock).toMatch(/^\d+$/);
    const screen = screenText(page);
    expect(screen.match(/库存/g)).toHaveLength(1);
    expect(screen).toContain(`库存${stock}`); // the cell's label, then its value
    expect(fake.violations).toEqual([]);
  });

  test('a sold-out answer turns the stock line to 已兑完', async () => {
    const { fake, page } = await open(
      'offer-detail',
      { 'POST /api/v1/redemptions': 'reserve_out_of_stock' },
      { id: '21' }
    );
    tap(page, '.reserve-btn');
    await fake.settle();
    expect(text(page, '.offer-stock')).toBe('已兑完');
  });

  test('confirming reserves with a fresh Idempotency-Key per tap and opens the code', async () => {
    const { fake, page } = await open(
      'offer-detail',
      { 'POST /api/v1/redemptions': 'reserve_ok' },
      { id: '21' }
    );
    expect(text(page, '.offer-limit')).toBe('每月每人限兑 1 次');
    tap(page, '.reserve-btn');
    await fake.settle();
    tap(page, '.reserve-btn');
    await fake.settle();
    expect(fake.modals[0].content).toContain('使用 20 积分兑换「理发券」');
    const sent = fake.requestsTo('POST /api/v1/redemptions');
    expect(sent.map((r) => r.data)).toEqual([{ offer_id: 21 }, { offer_id: 21 }]);
    const keys = sent.map((r) => r.header['Idempotency-Key']);
    expect(keys[0]).toMatch(/^mp-/);
    expect(keys[1]).not.toBe(keys[0]);
    expect(fake.navigations[0]).toEqual({
      type: 'navigateTo',
      url: '/pages/redemption/index?id=31',
    });
  });

  test('a network failure offers 重试 with the same key', async () => {
    const { fake, page } = await open('offer-detail', {}, { id: '21' });
    fake.once('POST /api/v1/redemptions', { network: true });
    fake.on('POST /api/v1/redemptions', 'reserve_ok');
    tap(page, '.reserve-btn');
    await fake.settle();
    expect(fake.modals[1]).toMatchObject({ title: '网络异常', confirmText: '重试' });
    const keys = fake
      .requestsTo('POST /api/v1/redemptions')
      .map((r) => r.header['Idempotency-Key']);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(fake.navigations[0].url).toBe('/pages/redemption/index?id=31');
  });

  test.each([
    ['reserve_insufficient', '可用积分不足：需要 20 分，当前可用 5 分'],
    ['reserve_limit', '该商品每月每人限兑1次，您本月已达上限'],
    ['reserve_window_closed', '当前不在兑换时间内，下次开放时间：2027年1月1日'],
    ['reserve_out_of_stock', '该商品已兑完'],
  ])('%s (409) shows the right message', async (fixture, message) => {
    const { fake, page } = await open(
      'offer-detail',
      { 'POST /api/v1/redemptions': fixture },
      { id: '21' }
    );
    tap(page, '.reserve-btn');
    await fake.settle();
    expect(text(page, '.reserve-error')).toBe(message);
    expect(fake.navigations).toEqual([]);
  });
});

describe('the redemption code', () => {
  async function openCode() {
    jest.useFakeTimers({ now: Date.parse('2026-11-20T02:00:00Z') });
    const fake = serveDemo(installFakeWx());
    fake.once('GET /api/v1/redemptions/{redemption_id}/code', 'redemption_code_1');
    fake.on('GET /api/v1/redemptions/{redemption_id}/code', 'redemption_code_2');
    const page = renderPage('redemption', { query: { id: '31' } });
    await fake.settle();
    return { fake, page };
  }
  const codeCalls = (fake) => fake.requestsTo('GET /api/v1/redemptions/{redemption_id}/code');

  test('is drawn, counts down and is replaced before it expires', async () => {
    const { fake, page } = await openCode();
    expect(text(page, '.redemption-status')).toContain('待核销');
    expect(fake.lastDraw('redemption-qr')).toEqual(paintedOps('eyJ.redemption-one.sig'));
    expect(text(page, '.code-countdown')).toBe('二维码和数字码 60 秒后失效，到期前自动刷新');

    await jest.advanceTimersByTimeAsync(30000);
    expect(text(page, '.code-countdown')).toBe('二维码和数字码 30 秒后失效，到期前自动刷新');
    expect(codeCalls(fake)).toHaveLength(1);

    await jest.advanceTimersByTimeAsync(15000); // refresh_after_seconds = 45
    await fake.settle();
    expect(codeCalls(fake)).toHaveLength(2);
    expect(fake.lastDraw('redemption-qr')).toEqual(paintedOps('eyJ.redemption-two.sig'));
    expect(text(page, '.code-countdown')).toBe('二维码和数字码 60 秒后失效，到期前自动刷新');
    page.instance.onUnload();
  });

  test('switches to 已核销 when the merchant verifies it, and stops refreshing', async () => {
    const { fake, page } = await openCode();
    fake.on('GET /api/v1/redemptions/{redemption_id}', 'redemption_redeemed');
    await jest.advanceTimersByTimeAsync(3000); // the status poll
    await fake.settle();
    expect(text(page, '.result__title')).toBe('已核销');
    expect(text(page, '.redeemed-at')).toBe('核销时间 11月20日 10:03');
    expect(exists(page, '.code-countdown')).toBe(false);
    expect(exists(page, '.cancel-btn')).toBe(false);
    const calls = fake.requests.length;
    await jest.advanceTimersByTimeAsync(120000);
    expect(fake.requests.length).toBe(calls);
  });

  test('a code refused as already redeemed shows 已核销 at once', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-11-20T02:00:00Z') });
    const fake = serveDemo(installFakeWx(), {
      'GET /api/v1/redemptions/{redemption_id}/code': 'redemption_code_redeemed',
    });
    fake.once('GET /api/v1/redemptions/{redemption_id}', 'redemption_reserved');
    fake.on('GET /api/v1/redemptions/{redemption_id}', 'redemption_redeemed');
    const page = renderPage('redemption', { query: { id: '31' } });
    await fake.settle();
    expect(text(page, '.result__title')).toBe('已核销');
  });

  test('leaving the page stops every timer', async () => {
    const { fake, page } = await openCode();
    page.instance.onUnload();
    const calls = fake.requests.length;
    await jest.advanceTimersByTimeAsync(300000);
    expect(fake.requests.length).toBe(calls);
  });

  test('cancelling gives the points back', async () => {
    const { fake, page } = await openCode();
    fake.on('DELETE /api/v1/redemptions/{redemption_id}', 'redemption_cancelled');
    tap(page, '.cancel-btn');
    await fake.settle();
    expect(text(page, '.result__title')).toBe('已取消');
    expect(screenText(page)).toContain('冻结的积分已退回');
    expect(fake.lastToast().title).toBe('积分已退回');
  });
});

test('my redemptions list their status and open the code', async () => {
  const { fake, page } = await open('my-redemptions');
  expect(texts(page, '.redemption__status')).toEqual(['待核销', '已核销', '已过期']);
  tap(page, '.redemption');
  await fake.settle();
  expect(fake.navigations[0].url).toBe('/pages/redemption/index?id=31');
});
