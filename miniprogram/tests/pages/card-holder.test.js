// One card holder's page: 正在为 郭*兰 代办, their points read as them (X-Acting-For), the
// ways to file, sign up and reserve for them, and the card's own steps (unlock, reset the
// PIN, report lost, print, the binding code).

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, texts, exists, tap, find } = require('../helpers/page');

async function openHolder(extra) {
  jest.useFakeTimers({ now: Date.parse('2026-11-20T06:00:00Z'), doNotFake: ['setTimeout'] });
  const routes = Object.assign({ 'GET /api/v1/me': 'me_grid_worker' }, extra);
  const fake = serveDemo(installFakeWx(), routes);
  const page = renderPage('card-holder', { query: { id: '41' } });
  await fake.settle();
  return { fake, page };
}

const FOR = 'for=41&name=%E9%83%AD*%E5%85%B0'; // 郭*兰

afterEach(() => {
  jest.useRealTimers();
});

test('the banner says for whom; the holder is read without acting', async () => {
  const { fake, page } = await openHolder();
  expect(text(page, '.acting-banner')).toBe('正在为 郭*兰 代办');
  expect(text(page, '.holder-info__place')).toBe('5号楼 2单元301');
  expect(text(page, '.holder-info__grid')).toBe('第一网格（幸福里）');
  expect(text(page, '.holder-info__card')).toBe('卡号尾号 7KQ3');
  expect(text(page, '.holder-info__phone')).toBe('138****5678');
  const get = fake.requestsTo('GET /api/v1/card-holders/{holder_id}')[0];
  expect(get.path).toBe('/api/v1/card-holders/41');
  expect(get.header['X-Acting-For']).toBeUndefined();
  expect(texts(page, '.act')).toEqual([
    '查看积分',
    '代为申报',
    '代为报名',
    '代为预约兑换',
    '代办记录',
    '重设密码',
    '挂失补卡',
    '打印积分卡',
    '打印绑定码',
  ]);
});

test('查看积分: balance and history, read as the holder', async () => {
  const { fake, page } = await openHolder();
  tap(page, '.act--points');
  await fake.settle();
  expect(text(page, '.points__balance')).toBe('120');
  expect(text(page, '.points__available')).toBe('100');
  expect(texts(page, '.ledger__reason')).toEqual(['志愿服务：幸福里垃圾分类宣传', '兑换：理发券']);
  const balance = fake.requestsTo('GET /api/v1/points/balance')[0];
  const ledger = fake.requestsTo('GET /api/v1/points/ledger')[0];
  expect(balance.header['X-Acting-For']).toBe('41');
  expect(ledger.header['X-Acting-For']).toBe('41');
  expect(ledger.query).toEqual({ limit: '20' });

  // Back from filing for them: the open panel is read again.
  page.instance.onShow();
  await fake.settle();
  expect(fake.requestsTo('GET /api/v1/points/balance')).toHaveLength(2);
  expect(fake.requestsTo('GET /api/v1/points/ledger')).toHaveLength(2);
});

test('代为申报 opens the claim form for the holder', async () => {
  const { fake, page } = await openHolder();
  tap(page, '.act--claim');
  await fake.settle();
  expect(fake.navigations).toEqual([
    { type: 'navigateTo', url: `/pages/claim-form/index?${FOR}` },
  ]);
});

test('代为报名 lists upcoming tasks (not as the holder) and opens one for them', async () => {
  const { fake, page } = await openHolder();
  tap(page, '.act--tasks');
  await fake.settle();
  const list = fake.requestsTo('GET /api/v1/tasks')[0];
  expect(list.query).toEqual({ when: 'upcoming', limit: '10' });
  expect(list.header['X-Acting-For']).toBeUndefined();
  expect(texts(page, '.task__title')).toEqual(['幸福里垃圾分类宣传', '敬老院探访']);
  tap(page, '.task', 1);
  await fake.settle();
  expect(fake.navigations).toEqual([
    { type: 'navigateTo', url: `/pages/task-detail/index?id=12&${FOR}` },
  ]);
});

test('代为预约兑换 lists offers and opens one for the holder', async () => {
  const { fake, page } = await openHolder();
  tap(page, '.act--offers');
  await fake.settle();
  expect(texts(page, '.offer__title')).toEqual(['理发券', '大米 5 斤']);
  tap(page, '.offer');
  await fake.settle();
  expect(fake.navigations).toEqual([
    { type: 'navigateTo', url: `/pages/offer-detail/index?id=21&${FOR}` },
  ]);
});

test('代办记录 opens the acts done for the holder', async () => {
  const { fake, page } = await openHolder();
  tap(page, '.act--acts');
  await fake.settle();
  expect(fake.navigations[0].url).toBe(
    '/pages/acts-on-behalf/index?holder_id=41&name=%E9%83%AD*%E5%85%B0'
  );
});

describe('the card', () => {
  test('a locked card is unlocked with its PIN kept', async () => {
    const { fake, page } = await openHolder({
      'GET /api/v1/card-holders/{holder_id}': 'card_holder_locked',
      'POST /api/v1/card-holders/{holder_id}/unlock': 'card_holder_unlocked',
    });
    expect(text(page, '.holder-info__locked')).toBe('已锁定');
    tap(page, '.act--pin');
    await fake.settle();
    tap(page, '.unlock-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/card-holders/{holder_id}/unlock')[0].data).toEqual({});
    expect(exists(page, '.holder-info__locked')).toBe(false);
    expect(fake.lastToast().title).toBe('已解锁');
  });

  test('a new PIN is typed twice; a weak one is refused beside the field', async () => {
    const { fake, page } = await openHolder({
      'POST /api/v1/card-holders/{holder_id}/unlock': 'card_holder_unlocked',
    });
    tap(page, '.act--pin');
    await fake.settle();
    find(page, '.new-pin').dispatchEvent('input', { detail: { value: '3691' } });
    find(page, '.new-pin2').dispatchEvent('input', { detail: { value: '3690' } });
    tap(page, '.reset-pin-btn');
    await fake.settle();
    expect(text(page, '.error-pin2')).toBe('两次输入的密码不一致');
    const unlocks = () => fake.requestsTo('POST /api/v1/card-holders/{holder_id}/unlock');
    expect(unlocks()).toHaveLength(0);

    const weak = { code: 'weak_pin', message: '密码不能是同一个数字', details: { field: 'pin' } };
    const unlock = 'POST /api/v1/card-holders/{holder_id}/unlock';
    fake.once(unlock, { status: 422, body: { error: weak } });
    find(page, '.new-pin2').dispatchEvent('input', { detail: { value: '3691' } });
    tap(page, '.reset-pin-btn');
    await fake.settle();
    expect(text(page, '.error-pin')).toBe('密码不能是同一个数字');

    tap(page, '.reset-pin-btn');
    await fake.settle();
    expect(unlocks().map((r) => r.data)).toEqual([{ pin: '3691' }, { pin: '3691' }]);
    expect(fake.lastToast().title).toBe('密码已重设');
    expect(page.instance.data.pin).toBe('');
  });

  test('挂失补卡: confirm, then the reason; the new card can be printed', async () => {
    const { fake, page } = await openHolder({
      'POST /api/v1/card-holders/{holder_id}/replace-card': 'card_replaced_new',
      'POST /api/v1/cards/print': { status: 200, body: null, bytes: '%PDF-1.4 new card' },
    });
    fake.actionSheetIndex = 1; // 损坏
    tap(page, '.act--replace');
    await fake.settle();
    expect(fake.modals[0].content).toBe(
      '挂失后旧卡立即停用，积分和记录不变。确定为 郭*兰 补办新卡？'
    );
    expect(fake.actionSheets[0].itemList).toEqual(['丢失', '损坏', '其他原因']);
    const sent = fake.requestsTo('POST /api/v1/card-holders/{holder_id}/replace-card')[0];
    expect(sent.data).toEqual({ reason: 'damaged' });
    expect(text(page, '.holder-info__card')).toBe('卡号尾号 Z8KD');
    expect(fake.modals[1].content).toBe('新卡尾号 Z8KD，旧卡已停用。现在打印新卡？');
    expect(fake.requestsTo('POST /api/v1/cards/print')[0].data).toEqual({ holder_ids: [41] });
    expect(fake.documents).toHaveLength(1);
  });

  test('declining the confirmation reports nothing', async () => {
    const { fake, page } = await openHolder();
    fake.modalAnswer = { confirm: false, cancel: true };
    tap(page, '.act--replace');
    await fake.settle();
    expect(fake.actionSheets).toHaveLength(0);
    expect(fake.requestsTo('POST /api/v1/card-holders/{holder_id}/replace-card')).toHaveLength(0);
  });

  test('打印积分卡 downloads the PDF with the bearer header and opens it', async () => {
    const { fake, page } = await openHolder({
      'POST /api/v1/cards/print': { status: 200, body: null, bytes: '%PDF-1.4 card' },
    });
    tap(page, '.act--print');
    await fake.settle();
    const sent = fake.requestsTo('POST /api/v1/cards/print')[0];
    expect(sent.header.Authorization).toMatch(/^Bearer /);
    expect(sent.header['X-Acting-For']).toBeUndefined();
    expect(fake.documents).toEqual([
      { filePath: 'wxfile://usr/card-41.pdf', fileType: 'pdf', showMenu: true },
    ]);
    expect(Object.keys(fake.files)).toEqual(['wxfile://usr/card-41.pdf']);
    expect(text(page, '.act--print')).toBe('打印积分卡');
  });

  test('a refused print says why', async () => {
    const { fake, page } = await openHolder({
      'POST /api/v1/cards/print': 'cards_print_forbidden',
    });
    tap(page, '.act--print');
    await fake.settle();
    expect(fake.lastToast().title).toBe('持卡居民不存在，或不在您负责的范围内');
    expect(fake.documents).toEqual([]);
  });

  test('打印绑定码 shows the 8 digits big, once, with the expiry', async () => {
    const { fake, page } = await openHolder({
      'POST /api/v1/card-holders/{holder_id}/bind-code': 'bind_code_issued',
    });
    tap(page, '.act--code');
    await fake.settle();
    expect(fake.modals[0].title).toBe('打印绑定码');
    expect(text(page, '.bind-code__code')).toBe('4821 3075');
    expect(text(page, '.bind-code__expires')).toBe('11月23日 14:00 前有效，只显示这一次');
    tap(page, '.bind-code__close');
    await fake.settle();
    expect(exists(page, '.bind-code')).toBe(false);
    expect(screenText(page)).not.toContain('4821');
  });

  test('leaving the page forgets the code', async () => {
    const { fake, page } = await openHolder({
      'POST /api/v1/card-holders/{holder_id}/bind-code': 'bind_code_issued',
    });
    tap(page, '.act--code');
    await fake.settle();
    page.instance.onHide();
    expect(page.instance.data.bindCode).toBeNull();
  });

  test('a holder already bound has no binding code to print', async () => {
    const { fake, page } = await openHolder({
      'POST /api/v1/card-holders/{holder_id}/bind-code': 'bind_code_already_bound',
    });
    tap(page, '.act--code');
    await fake.settle();
    expect(fake.lastToast().title).toBe('该居民已绑定微信');
    expect(exists(page, '.bind-code')).toBe(false);
  });
});

test('a holder out of reach shows the 404 with 重试', async () => {
  const { page } = await openHolder({
    'GET /api/v1/card-holders/{holder_id}': 'card_holder_not_found',
  });
  expect(screenText(page)).toContain('持卡居民不存在，或不在您负责的范围内');
  expect(exists(page, '.acting-banner')).toBe(false);
});

test('just registered: the next step is said', async () => {
  const fake = serveDemo(installFakeWx(), { 'GET /api/v1/me': 'me_grid_worker' });
  const page = renderPage('card-holder', { query: { id: '44', created: '1' } });
  await fake.settle();
  expect(text(page, '.created-note')).toBe('已登记并发卡。下一步：打印积分卡交给居民。');
});
