// The last balance the server gave is kept on the phone; without a network the 积分 and 兑换
// tabs show it, marked 离线 · 更新于 HH:MM, instead of only an error. A refusal is not offline.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, exists } = require('../helpers/page');
const lastBalance = require('../../utils/last-balance');

const T0 = Date.parse('2026-11-20T01:30:00Z'); // 09:30 in Shanghai
const LATER = Date.parse('2026-11-20T04:05:00Z'); // 12:05
const NEXT_DAY = Date.parse('2026-11-21T02:00:00Z');

function at(now) {
  jest.setSystemTime(now);
}

beforeEach(() => {
  jest.useFakeTimers({ now: T0, doNotFake: ['setTimeout', 'setInterval', 'nextTick'] });
});

afterEach(() => {
  jest.useRealTimers();
});

async function render(fake, name) {
  const page = renderPage(name);
  await fake.settle();
  return page;
}

describe('积分 tab', () => {
  test('a network failure shows the last balance with when it was read', async () => {
    const fake = serveDemo(installFakeWx());
    let page = await render(fake, 'points');
    expect(text(page, '.balance__value')).toBe('120');
    expect(exists(page, '.offline-note')).toBe(false);
    expect(fake.storage.get(lastBalance.KEY)).toMatchObject({
      balance: 120,
      held: 20,
      available: 100,
      year_earned: 180,
      at: T0,
    });

    at(LATER);
    fake.on('GET /api/v1/points/balance', { network: true });
    page = await render(fake, 'points'); // the profile is cached; the balance call fails
    expect(text(page, '.balance__value')).toBe('120');
    expect(text(page, '.balance__available')).toBe('100');
    expect(text(page, '.balance__year')).toBe('180');
    expect(text(page, '.offline-note')).toBe('离线 · 更新于 09:30');
    expect(exists(page, '.balance-error')).toBe(false);
  });

  test('no network at all: the page says so, the hero still shows the last balance', async () => {
    const fake = serveDemo(installFakeWx());
    await render(fake, 'points');
    // A new start of the mini-program: no profile cached, the same phone's storage.
    const offline = serveDemo(installFakeWx(), { 'GET /api/v1/me': { network: true } });
    offline.storage.set(lastBalance.KEY, fake.storage.get(lastBalance.KEY));
    at(NEXT_DAY);
    const page = await render(offline, 'points');
    expect(page.instance.data.error).toBe('网络连接失败，请检查网络后重试');
    expect(text(page, '.balance__value')).toBe('120');
    expect(text(page, '.offline-note')).toBe('离线 · 更新于 11月20日 09:30');
  });

  test('offline with nothing remembered: only the error, as before', async () => {
    const fake = serveDemo(installFakeWx(), { 'GET /api/v1/points/balance': { network: true } });
    const page = await render(fake, 'points');
    expect(text(page, '.balance-error')).toBe('网络连接失败，请检查网络后重试，点此重试');
    expect(exists(page, '.balance__value')).toBe(false);
    expect(exists(page, '.offline-note')).toBe(false);
  });

  test('a server refusal is shown as such, not as offline', async () => {
    const fake = serveDemo(installFakeWx());
    await render(fake, 'points');
    fake.on('GET /api/v1/points/balance', {
      status: 404,
      body: { error: { code: 'not_a_member', message: '请先加入社区', details: {} } },
    });
    const page = await render(fake, 'points');
    expect(text(page, '.balance-error')).toBe('请先加入社区，点此重试');
    expect(exists(page, '.offline-note')).toBe(false);
  });

  test('back online, the new figure replaces the old and the note goes', async () => {
    const fake = serveDemo(installFakeWx());
    await render(fake, 'points');
    fake.on('GET /api/v1/points/balance', { network: true });
    const page = await render(fake, 'points');
    expect(exists(page, '.offline-note')).toBe(true);
    fake.on('GET /api/v1/points/balance', 'balance');
    at(LATER);
    page.instance.retryBalance();
    await fake.settle();
    expect(exists(page, '.offline-note')).toBe(false);
    expect(fake.storage.get(lastBalance.KEY).at).toBe(LATER);
  });
});

describe('兑换 tab', () => {
  test('the profile unreachable: the last available points, marked offline', async () => {
    const fake = serveDemo(installFakeWx());
    await render(fake, 'rewards'); // /me's points are remembered
    expect(fake.storage.get(lastBalance.KEY)).toMatchObject({ available: 100, at: T0 });

    const offline = serveDemo(installFakeWx(), { 'GET /api/v1/me': { network: true } });
    offline.storage.set(lastBalance.KEY, fake.storage.get(lastBalance.KEY));
    at(LATER);
    const page = await render(offline, 'rewards');
    expect(text(page, '.available')).toBe('100');
    expect(text(page, '.offline-note')).toBe('离线 · 更新于 09:30');
  });

  test('/me without year_earned keeps the remembered one while the figures agree', () => {
    installFakeWx();
    lastBalance.remember({ balance: 120, held: 20, available: 100, year_earned: 180 });
    lastBalance.remember({ balance: 120, held: 20, available: 100 });
    expect(lastBalance.lastKnown().year_earned).toBe(180);
    lastBalance.remember({ balance: 130, held: 20, available: 110 });
    expect(lastBalance.lastKnown()).toMatchObject({ available: 110, year_earned: null });
  });
});
