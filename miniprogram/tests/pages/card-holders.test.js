// 代办: finding card holders and registering one (the PIN typed twice, 422s beside their
// fields, the grid picker only when there is a choice).

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, texts, exists, tap, find } = require('../helpers/page');

async function open(name, extra, query) {
  const routes = Object.assign({ 'GET /api/v1/me': 'me_grid_worker' }, extra);
  const fake = serveDemo(installFakeWx(), routes);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

describe('the card holders I may act for', () => {
  test('masked names, building and unit, grid, card hint and 已锁定; 加载更多', async () => {
    const { fake, page } = await open('card-holders');
    expect(fake.requestsTo('GET /api/v1/card-holders')[0].query).toEqual({ limit: '20' });
    expect(texts(page, '.holder__name')).toEqual(['郭*兰', '孙*福']);
    expect(texts(page, '.holder__place')).toEqual([
      '5号楼 2单元301 · 第一网格（幸福里）',
      '8号楼 1单元102 · 第一网格（幸福里）',
    ]);
    expect(texts(page, '.holder__card')).toEqual(['卡号尾号 7KQ3', '卡号尾号 M4TX']);
    expect(texts(page, '.holder__locked')).toEqual(['已锁定']);
    expect(screenText(page)).not.toMatch(/138|phone/);

    fake.on('GET /api/v1/card-holders', 'card_holders_page2');
    tap(page, '.load-more');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/card-holders')[1].query).toEqual({
      limit: '20',
      cursor: 'c-holders-2',
    });
    expect(texts(page, '.holder__name')).toEqual(['郭*兰', '孙*福', '刘*兰']);
    expect(texts(page, '.holder__bound')).toEqual(['已绑定微信']);
    expect(exists(page, '.load-more')).toBe(false);
  });

  test('search by a part of the name; nothing found says so', async () => {
    const { fake, page } = await open('card-holders');
    fake.on('GET /api/v1/card-holders', 'card_holders_empty');
    find(page, '.holder-search').dispatchEvent('input', { detail: { value: ' 桂 ' } });
    tap(page, '.search-btn');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/card-holders')[1].query).toEqual({ q: '桂', limit: '20' });
    expect(text(page, '.holders-empty')).toBe('没有找到姓名含「桂」的持卡居民');
  });

  test('no holders yet says so', async () => {
    const { page } = await open('card-holders', {
      'GET /api/v1/card-holders': 'card_holders_empty',
    });
    expect(text(page, '.holders-empty')).toBe('还没有登记持卡居民');
  });

  test('a refusal or a network failure shows why, and 点此重试 loads again', async () => {
    const fake = serveDemo(installFakeWx());
    fake.once('GET /api/v1/card-holders', 'card_holders_forbidden');
    const page = renderPage('card-holders');
    await fake.settle();
    expect(text(page, '.holders-error')).toBe('只有社区工作人员或网格员可以查看持卡居民，点此重试');
    fake.once('GET /api/v1/card-holders', { network: true });
    tap(page, '.holders-error');
    await fake.settle();
    expect(text(page, '.holders-error')).toBe('网络连接失败，请检查网络后重试，点此重试');
    tap(page, '.holders-error');
    await fake.settle();
    expect(texts(page, '.holder__name')).toHaveLength(2);
  });

  test('a holder opens their page; 登记持卡居民 opens the form', async () => {
    const { fake, page } = await open('card-holders');
    tap(page, '.holder', 1);
    tap(page, '.register-btn');
    await fake.settle();
    expect(fake.navigations.map((n) => n.url)).toEqual([
      '/pages/card-holder/index?id=42',
      '/pages/card-holder-form/index',
    ]);
  });

  test('coming back (after registering) reloads the list', async () => {
    const { fake, page } = await open('card-holders');
    page.instance.onShow();
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/card-holders')).toHaveLength(2);
  });

  test('the grid desk leads here (我的 does for reviewers and admins)', async () => {
    const { fake, page } = await open('grid-desk');
    tap(page, '.card-holders-entry');
    await fake.settle();
    expect(fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/card-holders/index' }]);
  });
});

describe('登记持卡居民', () => {
  async function fill(page, fake, values) {
    const fields = Object.assign(
      {
        '.name-input': '郭桂兰',
        '.building-input': '5号楼',
        '.unit-input': '2单元301',
        '.pin-input': '2580',
        '.pin2-input': '2580',
      },
      values
    );
    for (const [selector, value] of Object.entries(fields)) {
      find(page, selector).dispatchEvent('input', { detail: { value } });
    }
    await fake.settle();
  }

  const created = (fake) => fake.requestsTo('POST /api/v1/card-holders');

  test('registers with a key and opens the new holder’s page', async () => {
    const { fake, page } = await open('card-holder-form', {
      'POST /api/v1/card-holders': 'card_holder_created',
    });
    expect(exists(page, '.grid-picker')).toBe(false); // a worker of one grid: the server knows it
    await fill(page, fake, { '.phone-input': '13912341234' });
    tap(page, '.submit-btn');
    await fake.settle();
    const [sent] = created(fake);
    expect(sent.data).toEqual({
      real_name: '郭桂兰',
      building: '5号楼',
      unit: '2单元301',
      phone: '13912341234',
      pin: '2580',
    });
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(fake.navigations).toEqual([
      { type: 'redirectTo', url: '/pages/card-holder/index?id=44&created=1' },
    ]);
    expect(page.instance.data.pin).toBe('');
  });

  test('the PIN typed twice must match, is 4-6 digits and not one digit repeated', async () => {
    const { fake, page } = await open('card-holder-form');
    await fill(page, fake, { '.pin2-input': '2581' });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-pin2')).toBe('两次输入的密码不一致');

    await fill(page, fake, { '.pin-input': '258', '.pin2-input': '258' });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-pin')).toBe('密码应为 4 到 6 位数字');

    await fill(page, fake, { '.pin-input': '7777', '.pin2-input': '7777' });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-pin')).toBe('密码不能是同一个数字');
    expect(created(fake)).toHaveLength(0);
  });

  test('name, building and a well-formed phone are checked before sending', async () => {
    const { fake, page } = await open('card-holder-form');
    await fill(page, fake, { '.name-input': ' ', '.building-input': '', '.phone-input': '123' });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-real_name')).toBe('请填写居民姓名');
    expect(text(page, '.error-building')).toBe('请填写楼栋');
    expect(text(page, '.error-phone')).toBe('手机号格式不正确');
    expect(created(fake)).toHaveLength(0);
    // Typing in a field clears its message.
    find(page, '.building-input').dispatchEvent('input', { detail: { value: '5号楼' } });
    await fake.settle();
    expect(exists(page, '.error-building')).toBe(false);
  });

  test.each([
    ['card_holder_invalid', '.error-building', '长度应在 1 到 32 之间'],
    ['card_holder_weak_pin', '.error-pin', '密码不能是同一个数字'],
  ])('a 422 (%s) is shown beside its field', async (fixture, selector, message) => {
    const { fake, page } = await open('card-holder-form', { 'POST /api/v1/card-holders': fixture });
    await fill(page, fake);
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, selector)).toBe(message);
    expect(exists(page, '.form-error')).toBe(false);
    expect(fake.navigations).toEqual([]);
  });

  test('a timeout is retried with the same key', async () => {
    const { fake, page } = await open('card-holder-form', {
      'POST /api/v1/card-holders': 'card_holder_created',
    });
    fake.once('POST /api/v1/card-holders', { network: true });
    await fill(page, fake);
    tap(page, '.submit-btn');
    await fake.settle();
    expect(fake.modals[0].confirmText).toBe('重试');
    await fake.settle();
    const keys = created(fake).map((r) => r.header['Idempotency-Key']);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(fake.navigations[0].url).toBe('/pages/card-holder/index?id=44&created=1');
  });

  test('a worker of two grids picks one of theirs', async () => {
    const { fake, page } = await open('card-holder-form', {
      'GET /api/v1/me': 'me_grid_worker_two_grids',
      'POST /api/v1/card-holders': 'card_holder_created',
    });
    const picker = page.instance.data.grids.map((g) => g.name);
    expect(picker).toEqual(['第一网格（幸福里）', '第二网格（和平苑）']);
    await fill(page, fake);
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-grid_id')).toBe('请选择所在网格');
    find(page, '.grid-picker').dispatchEvent('change', { detail: { value: '1' } });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(created(fake)[0].data.grid_id).toBe(2);
  });

  test('office staff pick any grid of the community, or none', async () => {
    const { fake, page } = await open('card-holder-form', {
      'GET /api/v1/me': 'me_reviewer',
      'POST /api/v1/card-holders': 'card_holder_created',
    });
    expect(page.instance.data.grids.map((g) => g.name)).toEqual([
      '第一网格（幸福里）',
      '第二网格（和平苑）',
      '第三网格（光明小区）',
      '不分配网格（仅社区工作人员可代办）',
    ]);
    await fill(page, fake);
    find(page, '.grid-picker').dispatchEvent('change', { detail: { value: '3' } });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(created(fake)[0].data.grid_id).toBeUndefined();
  });

  test('the server asking for a grid is shown beside the grid', async () => {
    const { fake, page } = await open('card-holder-form', {
      'POST /api/v1/card-holders': 'card_holder_grid_required',
    });
    await fill(page, fake);
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-grid_id')).toBe('请选择网格');
  });
});
