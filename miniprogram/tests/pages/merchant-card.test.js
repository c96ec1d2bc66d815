// 核销 → 刷积分卡: the card, a reservation or an offer, the PIN pad, and every refusal.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, texts, exists, tap } = require('../helpers/page');

const CARD = 'RPC1.7KQ3M4TXP9WZ.ABCDEFGHJKMNPQRS';

async function openMerchant(extra) {
  jest.useFakeTimers({ now: Date.parse('2026-11-20T06:00:00Z'), doNotFake: ['setTimeout'] });
  const fake = serveDemo(
    installFakeWx(),
    Object.assign(
      {
        'GET /api/v1/me': 'me_merchant',
        'POST /api/v1/merchant/card-scan': 'card_scan_ok',
        'POST /api/v1/merchant/card-redemptions': 'card_redeem_ok',
      },
      extra
    )
  );
  const page = renderPage('merchant');
  await fake.settle();
  return { fake, page };
}

async function swipe(fake, page, qr = CARD) {
  await fake.settle();
  fake.scanResults.push({ result: qr });
  tap(page, '.card-scan-btn');
  await fake.settle();
}

async function typePin(fake, page, digits) {
  await fake.settle();
  for (const d of digits) tap(page, `.pin >>> .pin-pad__key--${d}`);
  await fake.settle();
}

async function enterPin(fake, page, digits = '2580') {
  await typePin(fake, page, digits);
  tap(page, '.pin >>> .pin-pad__submit');
  await fake.settle();
}

const redeemed = (fake) => fake.requestsTo('POST /api/v1/merchant/card-redemptions');

afterEach(() => {
  jest.useRealTimers();
});

test('刷积分卡 beside 扫码核销 shows the card: masked name, points, reservations', async () => {
  const { fake, page } = await openMerchant();
  expect(texts(page, '.verify__buttons .btn')).toEqual(['扫码核销', '刷积分卡']);
  await swipe(fake, page);
  expect(fake.requestsTo('POST /api/v1/merchant/card-scan')[0].data).toEqual({ card: CARD });
  expect(text(page, '.holder-card__name')).toBe('郭*兰');
  expect(text(page, '.holder-card__available')).toBe('45');
  expect(texts(page, '.reservation__title')).toEqual(['毛巾一条']);
  // This shop's offers, the ones above the card's points marked.
  expect(fake.requestsTo('GET /api/v1/offers')[0].query).toEqual({
    merchant_id: '3',
    limit: '50',
  });
  expect(texts(page, '.card-offer__title')).toEqual(['理发券', '大米 5 斤']);
  expect(exists(page, '.pin')).toBe(false);
  expect(redeemed(fake)).toHaveLength(0);
});

test('a reservation: PIN → card-redemptions → 兑换成功 in large type', async () => {
  const { fake, page } = await openMerchant();
  await swipe(fake, page);
  tap(page, '.reservation');
  await fake.settle();
  expect(text(page, '.pin-step__choice')).toBe('预约「毛巾一条」15 分');
  await enterPin(fake, page);

  const [sent] = redeemed(fake);
  expect(sent.data).toEqual({ card: CARD, pin: '2580', redemption_id: 51 });
  expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
  expect(sent.header['X-Acting-For']).toBeUndefined();
  expect(text(page, '.card-done__title')).toBe('兑换成功');
  expect(text(page, '.card-done__offer')).toBe('毛巾一条');
  expect(text(page, '.card-done__points')).toBe('-15 分');
  expect(text(page, '.card-done__resident')).toBe('郭*兰');
  // The PIN is kept nowhere: not in the page's data, the pad's, or storage.
  expect(JSON.stringify(page.instance.data)).not.toContain('2580');
  expect(JSON.stringify([...fake.storage.values()])).not.toContain('2580');
});

test('an offer of this shop is reserved and redeemed at once', async () => {
  const { fake, page } = await openMerchant();
  await swipe(fake, page);
  tap(page, '.card-offer', 0);
  await fake.settle();
  expect(text(page, '.pin-step__choice')).toBe('兑换「理发券」20 分');
  await enterPin(fake, page, '258013');
  expect(redeemed(fake)[0].data).toEqual({ card: CARD, pin: '258013', offer_id: 21 });
});

test('an offer sold out or above the card’s points cannot be picked', async () => {
  const { fake, page } = await openMerchant({
    'POST /api/v1/merchant/card-scan': {
      status: 200,
      body: {
        holder_name: '郭*兰',
        merchant_id: 3,
        locked: false,
        available: 10,
        reservations: [],
      },
    },
  });
  await swipe(fake, page);
  expect(exists(page, '.reservations')).toBe(false);
  expect(texts(page, '.card-offer .muted')).toEqual([
    '20 分 · 库存 8 · 积分不足',
    '50 分 · 已兑完 · 积分不足',
  ]);
  tap(page, '.card-offer', 0); // 理发券: 20 points, the card has 10
  tap(page, '.card-offer', 1); // 大米 5 斤: stock 0
  await fake.settle();
  expect(exists(page, '.pin')).toBe(false);
});

test('a wrong PIN says how many tries are left; the fifth locks the card', async () => {
  const { fake, page } = await openMerchant();
  fake.once('POST /api/v1/merchant/card-redemptions', 'card_redeem_pin_wrong');
  fake.once('POST /api/v1/merchant/card-redemptions', 'card_redeem_locked');
  await swipe(fake, page);
  tap(page, '.reservation');
  await fake.settle();
  await enterPin(fake, page, '1111');
  expect(text(page, '.pin >>> .pin-pad__error')).toBe('密码错误，还可以再试 2 次');
  expect(exists(page, '.pin')).toBe(true);
  // Typing again clears the message; the pad starts empty.
  await typePin(fake, page, '9');
  expect(exists(page, '.pin >>> .pin-pad__error')).toBe(false);
  await enterPin(fake, page, '999');

  expect(redeemed(fake).map((r) => r.data.pin)).toEqual(['1111', '9999']);
  expect(exists(page, '.card-refused--card_locked')).toBe(true);
  expect(text(page, '.card-refused__title')).toBe('此卡已锁定');
  expect(text(page, '.card-refused__hint')).toBe('请联系社区工作人员解锁');
  expect(texts(page, '.card-refused__line')).toEqual([
    '密码错误次数过多，此卡已锁定，请联系社区工作人员解锁',
    '持卡人：郭*兰',
  ]);
  expect(exists(page, '.pin')).toBe(false);
});

test('a card already locked shows the locked screen at once, without a PIN pad', async () => {
  const { fake, page } = await openMerchant({
    'POST /api/v1/merchant/card-scan': 'card_scan_locked',
  });
  await swipe(fake, page);
  expect(text(page, '.card-refused__title')).toBe('此卡已锁定');
  expect(text(page, '.card-refused__hint')).toBe('请联系社区工作人员解锁');
  expect(exists(page, '.pin')).toBe(false);
  expect(exists(page, '.reservation')).toBe(false);
});

test.each([
  ['card_scan_replaced', 'card_replaced', '此卡已挂失补办', '旧卡已停用，请使用补办的新卡'],
  ['card_scan_invalid', 'card_invalid', '无法识别的积分卡', '请扫描社区发放的积分卡上的二维码'],
])('%s has its own screen, and 重新刷卡 scans again', async (fixture, code, title, hint) => {
  const { fake, page } = await openMerchant({ 'POST /api/v1/merchant/card-scan': fixture });
  await swipe(fake, page);
  expect(exists(page, `.card-refused--${code}`)).toBe(true);
  expect(text(page, '.card-refused__title')).toBe(title);
  expect(text(page, '.card-refused__hint')).toBe(hint);

  fake.on('POST /api/v1/merchant/card-scan', 'card_scan_ok');
  fake.scanResults.push({ result: CARD });
  tap(page, '.card-again');
  await fake.settle();
  expect(text(page, '.holder-card__name')).toBe('郭*兰');
});

test('a card replaced between the scan and the PIN gets the replaced screen', async () => {
  const { fake, page } = await openMerchant({
    'POST /api/v1/merchant/card-redemptions': 'card_redeem_replaced',
  });
  await swipe(fake, page);
  tap(page, '.reservation');
  await enterPin(fake, page);
  expect(text(page, '.card-refused__title')).toBe('此卡已挂失补办');
});

test('a QR that is not a card is refused without asking the server', async () => {
  const { fake, page } = await openMerchant();
  await swipe(fake, page, 'eyJ.redemption-one.sig');
  expect(text(page, '.card-refused__title')).toBe('无法识别的积分卡');
  expect(fake.requestsTo('POST /api/v1/merchant/card-scan')).toHaveLength(0);
});

test('a timeout keeps the Idempotency-Key (and the request) for 重试', async () => {
  const { fake, page } = await openMerchant();
  fake.once('POST /api/v1/merchant/card-redemptions', { network: true });
  await swipe(fake, page);
  tap(page, '.reservation');
  await enterPin(fake, page);
  expect(text(page, '.card-timeout__message')).toBe('网络超时，未能确认是否兑换成功');
  expect(exists(page, '.pin')).toBe(false);

  tap(page, '.card-retry');
  await fake.settle();
  const [first, second] = redeemed(fake);
  expect(second.header['Idempotency-Key']).toBe(first.header['Idempotency-Key']);
  expect(second.data).toEqual(first.data);
  expect(text(page, '.card-done__title')).toBe('兑换成功');

  // The next card is a new redemption with a new key.
  tap(page, '.card-close');
  await swipe(fake, page);
  tap(page, '.reservation');
  await enterPin(fake, page);
  expect(redeemed(fake)[2].header['Idempotency-Key']).not.toBe(first.header['Idempotency-Key']);
});

test('the server still working on it (409 idempotency_in_flight) also offers 重试', async () => {
  const { fake, page } = await openMerchant();
  fake.once('POST /api/v1/merchant/card-redemptions', { network: true });
  fake.once('POST /api/v1/merchant/card-redemptions', {
    status: 409,
    body: {
      error: {
        code: 'idempotency_in_flight',
        message: '相同的请求正在处理中，请稍后查看结果',
        details: {},
      },
    },
  });
  await swipe(fake, page);
  tap(page, '.reservation');
  await enterPin(fake, page);
  tap(page, '.card-retry');
  await fake.settle();
  expect(text(page, '.card-timeout__message')).toBe('相同的请求正在处理中，请稍后查看结果');
  tap(page, '.card-retry');
  await fake.settle();
  const keys = redeemed(fake).map((r) => r.header['Idempotency-Key']);
  expect(new Set(keys).size).toBe(1);
  expect(keys).toHaveLength(3);
  expect(text(page, '.card-done__title')).toBe('兑换成功');
});

test.each([
  ['card_redeem_insufficient', '可用积分不足：需要 50 分，当前可用 45 分'],
  ['card_redeem_rate_limited', '操作过于频繁，请稍后再试'],
])('%s is shown as a refusal', async (fixture, line) => {
  const { fake, page } = await openMerchant({ 'POST /api/v1/merchant/card-redemptions': fixture });
  await swipe(fake, page);
  tap(page, '.reservation');
  await enterPin(fake, page);
  expect(texts(page, '.card-refused__line')[0]).toBe(line);
});

test('pin_busy stays on the pad with the message', async () => {
  const { fake, page } = await openMerchant();
  fake.once('POST /api/v1/merchant/card-redemptions', 'card_redeem_pin_busy');
  await swipe(fake, page);
  tap(page, '.reservation');
  await enterPin(fake, page);
  expect(text(page, '.pin >>> .pin-pad__error')).toBe('此卡正在验证密码，请稍后重试');
  await enterPin(fake, page);
  expect(text(page, '.card-done__title')).toBe('兑换成功');
});

test('重新选择 goes back to the list; 取消 back to the scan buttons', async () => {
  const { fake, page } = await openMerchant();
  await swipe(fake, page);
  tap(page, '.reservation');
  await fake.settle();
  tap(page, '.card-back');
  await fake.settle();
  expect(exists(page, '.reservation')).toBe(true);
  tap(page, '.card-cancel');
  await fake.settle();
  expect(exists(page, '.card-scan-btn')).toBe(true);
  expect(screenText(page)).not.toContain('郭*兰');
});

test('staff of several shops scan for the shop they act for', async () => {
  const { fake } = await openMerchant();
  fake.once('GET /api/v1/merchant/statement', 'merchant_statement_required');
  const page = renderPage('merchant');
  await fake.settle();
  await swipe(fake, page);
  expect(fake.requestsTo('POST /api/v1/merchant/card-scan')[0].data).toEqual({
    card: CARD,
    merchant_id: 2,
  });
});
