// 绑定积分卡 (the 8-digit code → this WeChat becomes the card holder, with their token) and
// 代办记录 (what was done for a holder, for staff and for the holder once bound).

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, texts, exists, tap, find } = require('../helpers/page');
const api = require('../../utils/api');
const session = require('../../utils/session');

async function openBind(extra) {
  const routes = Object.assign({ 'GET /api/v1/me': 'me_newcomer' }, extra);
  const fake = serveDemo(installFakeWx(), routes);
  const page = renderPage('card-bind');
  await fake.settle();
  return { fake, page };
}

async function typeCode(fake, page, value) {
  find(page, '.code-input').dispatchEvent('input', { detail: { value } });
  await fake.settle();
}

const binds = (fake) => fake.requestsTo('POST /api/v1/cards/bind');

describe('绑定积分卡', () => {
  test('binding stores the new token, reloads the profile and shows 绑定成功', async () => {
    const { fake, page } = await openBind({ 'POST /api/v1/cards/bind': 'card_bind_ok' });
    await api.login(); // the fresh WeChat login the code is typed with
    const before = session.getToken();
    fake.validTokens.add('holder-token-41');
    fake.on('GET /api/v1/me', 'me_card_holder'); // the holder's profile from now on
    await typeCode(fake, page, '48213075');
    tap(page, '.bind-btn');
    await fake.settle();

    expect(binds(fake)[0].data).toEqual({ code: '48213075' });
    expect(binds(fake)[0].header.Authorization).toBe(`Bearer ${before}`);
    expect(session.getToken()).toBe('holder-token-41');
    expect(fake.storage.get(session.TOKEN_KEY).token).toBe('holder-token-41');
    const me = fake.requestsTo('GET /api/v1/me').pop();
    expect(me.header.Authorization).toBe('Bearer holder-token-41');
    expect(text(page, '.bind-done__title')).toBe('绑定成功');
    expect(text(page, '.bind-done__line')).toBe('郭桂兰，您的积分卡账户已绑定到此微信');
    expect(text(page, '.bind-done__community')).toBe('幸福社区');
    expect(text(page, '.bind-done__points')).toBe('可用积分 45');
    expect(fake.toasts).toEqual([]);
    tap(page, '.bind-done__finish');
    await fake.settle();
    expect(fake.navigations).toEqual([{ type: 'switchTab', url: '/pages/me/index' }]);
  });

  test('the code is 8 digits: anything else is refused before sending', async () => {
    const { fake, page } = await openBind();
    await typeCode(fake, page, '4821-30');
    expect(page.instance.data.code).toBe('482130');
    tap(page, '.bind-btn');
    await fake.settle();
    expect(text(page, '.error-code')).toBe('请输入 8 位数字绑定码');
    await typeCode(fake, page, '482130751234');
    expect(page.instance.data.code).toBe('48213075');
    expect(binds(fake)).toHaveLength(0);
  });

  test('an invalid or expired code is shown beside the field', async () => {
    const { fake, page } = await openBind({ 'POST /api/v1/cards/bind': 'card_bind_invalid' });
    await typeCode(fake, page, '11112222');
    tap(page, '.bind-btn');
    await fake.settle();
    expect(text(page, '.error-code')).toBe('绑定码无效或已过期，请到社区重新打印');
    expect(exists(page, '.bind-done')).toBe(false);
  });

  test('a WeChat already in use cannot bind, and says what to do', async () => {
    const { fake, page } = await openBind({ 'POST /api/v1/cards/bind': 'card_bind_has_account' });
    await api.login();
    const before = session.getToken();
    expect(before).toMatch(/^test-token-/);
    await typeCode(fake, page, '48213075');
    tap(page, '.bind-btn');
    await fake.settle();
    expect(text(page, '.form-error')).toBe(
      '此微信已在使用，不能再绑定积分卡；请用未使用过的微信登录后绑定'
    );
    expect(session.getToken()).toBe(before);
  });
});

describe('代办记录', () => {
  test('staff see a holder’s acts: what, by whom, when; 加载更多', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-11-20T06:00:00Z'), doNotFake: ['setTimeout'] });
    try {
      const fake = serveDemo(installFakeWx(), { 'GET /api/v1/me': 'me_grid_worker' });
      const page = renderPage('acts-on-behalf', {
        query: { holder_id: '41', name: '%E9%83%AD*%E5%85%B0' },
      });
      await fake.settle();
      expect(text(page, '.acts-title')).toBe('郭*兰 的代办记录');
      expect(fake.requestsTo('GET /api/v1/acts-on-behalf')[0].query).toEqual({
        limit: '20',
        holder_id: '41',
      });
      expect(texts(page, '.act__label')).toEqual(['刷卡核销', '代为申报积分']);
      expect(texts(page, '.act__actor')).toEqual(['办理人：李*', '办理人：王*格']);
      expect(texts(page, '.act__when')).toEqual(['11月20日 14:01', '11月18日 11:00']);
      fake.on('GET /api/v1/acts-on-behalf', 'acts_page2');
      tap(page, '.load-more');
      await fake.settle();
      expect(fake.requestsTo('GET /api/v1/acts-on-behalf')[1].query.cursor).toBe('c-acts-2');
      expect(texts(page, '.act__label')).toHaveLength(3);
    } finally {
      jest.useRealTimers();
    }
  });

  test('a bound holder sees their own list, without naming anyone', async () => {
    const fake = serveDemo(installFakeWx(), { 'GET /api/v1/acts-on-behalf': 'acts_empty' });
    const page = renderPage('acts-on-behalf');
    await fake.settle();
    expect(text(page, '.acts-title')).toBe('代办记录');
    expect(fake.requestsTo('GET /api/v1/acts-on-behalf')[0].query).toEqual({ limit: '20' });
    expect(text(page, '.acts-empty')).toBe('还没有代办记录');
  });

  test('someone who holds no card is told so, with 重试', async () => {
    const fake = serveDemo(installFakeWx(), { 'GET /api/v1/acts-on-behalf': 'acts_not_holder' });
    const page = renderPage('acts-on-behalf');
    await fake.settle();
    expect(text(page, '.acts-error')).toBe('您不是持卡居民，没有代办记录，点此重试');
  });
});
