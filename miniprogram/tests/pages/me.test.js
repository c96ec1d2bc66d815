// 我的: what each kind of user sees, phone binding and the role-based entries.

const { installFakeWx } = require('../helpers/fake-wx');
const { renderPage, screenText, text, texts, exists, tap, find } = require('../helpers/page');

async function showMe(fixtureName, options) {
  const fake = installFakeWx(options);
  fake.on('GET /api/v1/me', fixtureName);
  fake.on('GET /api/v1/acts-on-behalf', 'acts_not_holder');
  const page = renderPage('me');
  await fake.settle();
  return { fake, page };
}

test('a resident sees name, community, grid and the bind-phone button', async () => {
  const { page } = await showMe('me_resident');
  expect(text(page, '.profile__name')).toBe('张晓明');
  expect(text(page, '.profile__phone')).toBe('未绑定手机号');
  expect(text(page, '.bind-phone')).toBe('绑定手机号');
  expect(text(page, '.membership__community')).toBe('幸福社区');
  expect(text(page, '.membership__grid')).toBe('第一网格（幸福里）');
  expect(texts(page, '.role')).toEqual(['居民']);
  expect(exists(page, '.entries')).toBe(false);
});

test('a merchant sees the masked phone and only the 商家核销 entry', async () => {
  const { fake, page } = await showMe('me_merchant');
  expect(text(page, '.profile__phone')).toBe('手机号 139****1234');
  expect(exists(page, '.bind-phone')).toBe(false);
  expect(texts(page, '.entry')).toEqual(['商家核销']);
  expect(texts(page, '.role')).toEqual(['居民', '商家店员']);

  tap(page, '.entry--merchant');
  await fake.settle();
  expect(fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/merchant/index' }]);
});

test('a reviewer sees 积分审核, 问题处理, 心愿审核 and 持卡居民代办', async () => {
  const { fake, page } = await showMe('me_reviewer');
  expect(texts(page, '.entry')).toEqual(['积分审核', '问题处理', '心愿审核', '持卡居民代办']);
  expect(exists(page, '.entry--merchant')).toBe(false);
  tap(page, '.entry--review');
  tap(page, '.entry--report-queue');
  tap(page, '.entry--wish-review');
  tap(page, '.entry--card-holders');
  await fake.settle();
  expect(fake.navigations.map((n) => n.url)).toEqual([
    '/pages/review/index',
    '/pages/report-queue/index',
    '/pages/wish-review/index',
    '/pages/card-holders/index',
  ]);
});

test('an admin sees 问题处理, 心愿审核 and 持卡居民代办', async () => {
  const { page } = await showMe('me_admin');
  expect(texts(page, '.entry')).toEqual(['问题处理', '心愿审核', '持卡居民代办']);
});

test('an admin who is also a reviewer sees each entry once', async () => {
  const { page } = await showMe('me_admin_reviewer');
  expect(texts(page, '.entry')).toEqual(['积分审核', '问题处理', '心愿审核', '持卡居民代办']);
});

test('someone new is asked to join a community', async () => {
  const { fake, page } = await showMe('me_newcomer');
  expect(text(page, '.profile__name')).toBe('微信用户');
  expect(text(page, '.membership__none')).toContain('尚未加入社区');
  expect(exists(page, '.role')).toBe(false);
  tap(page, '.join-btn');
  await fake.settle();
  expect(fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/community-join/index' }]);
});

test('binding the phone shows the masked number', async () => {
  const { fake, page } = await showMe('me_resident');
  fake.on('POST /api/v1/auth/phone', 'auth_phone_bound');

  find(page, '.bind-phone').dispatchEvent('getphonenumber', {
    detail: { code: 'phone-code-1', errMsg: 'getPhoneNumber:ok' },
  });
  await fake.settle();

  expect(fake.requestsTo('POST /api/v1/auth/phone')[0].data).toEqual({ code: 'phone-code-1' });
  expect(text(page, '.profile__phone')).toBe('手机号 138****8000');
  expect(exists(page, '.bind-phone')).toBe(false);
  expect(fake.lastToast()).toEqual({ title: '手机号已绑定', icon: 'success' });
});

test('declining the phone prompt sends nothing', async () => {
  const { fake, page } = await showMe('me_resident');
  find(page, '.bind-phone').dispatchEvent('getphonenumber', {
    detail: { errMsg: 'getPhoneNumber:fail user deny' },
  });
  await fake.settle();
  expect(fake.requestsTo('POST /api/v1/auth/phone')).toHaveLength(0);
  expect(fake.lastToast().title).toBe('未授权手机号');
});

test('against the local server the dev phone code goes to the emulator', async () => {
  const { fake, page } = await showMe('me_resident', {
    baseUrl: 'http://127.0.0.1:8000',
    config: { devIdentity: 'resident-1', devPhone: '13800138000' },
  });
  fake.on('POST /api/v1/auth/phone', 'auth_phone_bound');
  find(page, '.bind-phone').dispatchEvent('getphonenumber', { detail: { errMsg: 'fail' } });
  await fake.settle();
  const sent = fake.requestsTo('POST /api/v1/auth/phone')[0].data.code;
  expect(sent).toMatch(/^13800138000\.[A-Za-z0-9_.-]+$/);
  expect(text(page, '.dev__identity')).toBe('resident-1');
});

test('switching the dev identity logs in again as that person', async () => {
  const { fake, page } = await showMe('me_resident', { baseUrl: 'http://127.0.0.1:8000' });
  fake.on('GET /api/v1/me', 'me_merchant');
  fake.actionSheetIndex = 2; // merchant-1
  tap(page, '.dev .cell');
  await fake.settle();
  const codes = fake.requestsTo('POST /api/v1/auth/wechat-login').map((r) => r.data.code);
  expect(codes[1]).toMatch(/^merchant-1\./);
  expect(texts(page, '.entry')).toEqual(['商家核销']);
  expect(text(page, '.dev__identity')).toBe('merchant-1');
});

test('no dev block against a real server', async () => {
  const { page } = await showMe('me_resident');
  expect(exists(page, '.dev')).toBe(false);
});

test('a network failure says so on the page and 重试 loads it', async () => {
  const fake = installFakeWx();
  fake.once('GET /api/v1/me', { network: true });
  fake.on('GET /api/v1/me', 'me_resident');
  fake.on('GET /api/v1/acts-on-behalf', 'acts_not_holder');
  const page = renderPage('me');
  await fake.settle();
  expect(screenText(page)).toContain('网络连接失败，请检查网络后重试');
  expect(exists(page, '.profile__name')).toBe(false);

  tap(page, '.page-state >>> .state__retry');
  await fake.settle();
  expect(text(page, '.profile__name')).toBe('张晓明');
  expect(screenText(page)).not.toContain('网络连接失败');
});

test('a server error shows its Chinese message', async () => {
  const { page } = await showMe('me_server_error');
  expect(screenText(page)).toContain('系统繁忙，请稍后重试');
});

test('a member has 我的兑换 / 我的任务 / 我的申报 / 我的随手拍 / 我的心愿', async () => {
  const { fake, page } = await showMe('me_resident');
  expect(texts(page, '.records .cell__label')).toEqual([
    '我的兑换',
    '我的任务',
    '我的申报',
    '我的随手拍',
    '我的心愿',
  ]);
  expect(text(page, '.my-redemptions .cell__value')).toBe('可用积分 100');
  expect(text(page, '.my-tasks .cell__value')).toBe('今年 12.5 小时');
  tap(page, '.my-redemptions');
  await fake.settle();
  expect(fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/my-redemptions/index' }]);
});

test('my reports and my wishes open their lists', async () => {
  const { fake, page } = await showMe('me_resident');
  tap(page, '.my-reports');
  tap(page, '.my-wishes');
  await fake.settle();
  expect(fake.navigations.map((n) => n.url)).toEqual([
    '/pages/my-reports/index',
    '/pages/wishes/index?scope=mine',
  ]);
});

test('我的数据与注销 is there for everyone, with or without a community', async () => {
  for (const fixture of ['me_resident', 'me_newcomer']) {
    const { fake, page } = await showMe(fixture);
    tap(page, '.my-data');
    await fake.settle();
    expect(fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/my-data/index' }]);
  }
});

test('信用证明 opens the references page for a member; a newcomer has none to issue', async () => {
  const { fake, page } = await showMe('me_resident');
  tap(page, '.credit-references');
  await fake.settle();
  expect(fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/credit-references/index' }]);
  const newcomer = await showMe('me_newcomer');
  expect(exists(newcomer.page, '.credit-references')).toBe(false);
});

test('a grid worker has the 网格工作台 entry', async () => {
  const { fake, page } = await showMe('me_grid_worker');
  expect(texts(page, '.entry')).toEqual(['网格工作台']);
  tap(page, '.entry--grid');
  await fake.settle();
  expect(fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/grid-desk/index' }]);
});

test('someone new has no records card', async () => {
  const { page } = await showMe('me_newcomer');
  expect(exists(page, '.records')).toBe(false);
});

describe('point cards', () => {
  test('someone without a community can bind a point card', async () => {
    const { fake, page } = await showMe('me_newcomer');
    expect(text(page, '.card-bind-entry .cell__label')).toBe('绑定积分卡');
    tap(page, '.card-bind-entry');
    await fake.settle();
    expect(fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/card-bind/index' }]);
    // Nobody without a community is a card holder: their acts are not asked for.
    expect(fake.requestsTo('GET /api/v1/acts-on-behalf')).toHaveLength(0);
  });

  test('a member has no 绑定积分卡, a resident who holds no card no 代办记录', async () => {
    const { fake, page } = await showMe('me_resident');
    expect(exists(page, '.card-bind')).toBe(false);
    expect(exists(page, '.my-acts')).toBe(false);
    expect(fake.requestsTo('GET /api/v1/acts-on-behalf')[0].query).toEqual({ limit: '1' });
    // Asked once: coming back to the tab does not ask again.
    page.instance.onShow();
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/acts-on-behalf')).toHaveLength(1);
  });

  test('a card holder bound to this WeChat has 代办记录', async () => {
    const { fake, page } = await showMe('me_resident');
    fake.on('GET /api/v1/acts-on-behalf', 'acts_page1');
    const holderPage = renderPage('me');
    await fake.settle();
    expect(exists(page, '.my-acts')).toBe(false);
    expect(text(holderPage, '.my-acts .cell__label')).toBe('代办记录');
    tap(holderPage, '.my-acts');
    await fake.settle();
    expect(fake.navigations).toEqual([
      { type: 'navigateTo', url: '/pages/acts-on-behalf/index' },
    ]);
  });

  test('staff are never asked for acts of their own', async () => {
    const { fake } = await showMe('me_grid_worker');
    expect(fake.requestsTo('GET /api/v1/acts-on-behalf')).toHaveLength(0);
  });
});
