// The counter (issue 20, item 3): staff land on 商家核销; large type; the typed code when the
// camera fails; the screen kept on and bright; today's figures from the server; the month's
// statement shared as xlsx.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { fixture } = require('../helpers/fixtures');
const { renderPage, text, exists, tap, find } = require('../helpers/page');
const { LIT, RESTORED, expectHideShowLeave } = require('../helpers/screen');

const PREVIEW = 'POST /api/v1/merchant/verify/preview';
const VERIFY = 'POST /api/v1/merchant/verify';
const XLSX = 'GET /api/v1/merchant/statement.xlsx';
const VERIFIES = { [PREVIEW]: 'verify_preview', [VERIFY]: 'verify_ok' };

afterEach(() => {
  jest.useRealTimers();
});

describe('home', () => {
  async function openHome(me) {
    const fake = serveDemo(installFakeWx(), { 'GET /api/v1/me': me });
    const page = renderPage('tasks');
    await fake.settle();
    return { fake, page };
  }

  test('merchant staff land on 商家核销 once per launch', async () => {
    const { fake, page } = await openHome('me_merchant');
    expect(fake.navigations).toEqual([
      { type: 'navigateTo', url: '/pages/merchant/index?from=home' },
    ]);
    // Back on the tab (onShow) and a second home page of the same launch: no second trip.
    page.instance.onShow();
    await fake.settle();
    renderPage('tasks');
    await fake.settle();
    expect(fake.navigations).toHaveLength(1);
    // The home tab still loaded its tasks underneath.
    expect(fake.requestsTo('GET /api/v1/tasks').length).toBeGreaterThan(0);
  });

  test('a new launch decides again', async () => {
    await openHome('me_merchant');
    const { fake } = await openHome('me_merchant');
    expect(fake.navigations).toHaveLength(1);
  });

  test.each(['me_resident', 'me_reviewer', 'me_grid_worker'])('%s stays on 任务', async (me) => {
    const { fake } = await openHome(me);
    expect(fake.navigations).toEqual([]);
    expect(fake.requestsTo('GET /api/v1/tasks').length).toBeGreaterThan(0);
  });

  test('opened from home, the counter offers the way back to the tabs', async () => {
    const fake = serveDemo(installFakeWx(), { 'GET /api/v1/me': 'me_merchant' });
    const page = renderPage('merchant', { query: { from: 'home' } });
    await fake.settle();
    expect(text(page, '.home-link')).toBe('返回首页 · 切换到居民视图');
    tap(page, '.home-link');
    await fake.settle();
    expect(fake.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);

    const fromMe = renderPage('merchant');
    await fake.settle();
    expect(exists(fromMe, '.home-link')).toBe(false);
  });
});

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

describe('the merchant page', () => {
  test('offer and points in large type on the preview and on 核销成功', async () => {
    const { fake, page } = await openMerchant(VERIFIES);
    fake.scanResults.push({ result: 'eyJ.redemption-one.sig' });
    tap(page, '.scan-btn');
    await fake.settle();
    expect(exists(page, '.preview .big-item.preview__title')).toBe(true);
    expect(text(page, '.preview .big-points')).toBe('20 分');
    tap(page, '.confirm-btn');
    await fake.settle();
    expect(text(page, '.done .big-item')).toBe('理发券');
    expect(text(page, '.done .big-points')).toBe('20 分');
  });

  test('a cancelled scan offers the typed code, previewed and verified', async () => {
    const { fake, page } = await openMerchant(VERIFIES);
    expect(exists(page, '.manual-input')).toBe(false);
    fake.scanResults.push({ cancel: true });
    tap(page, '.scan-btn');
    await fake.settle();
    expect(text(page, '.manual__note')).toBe('没有扫到？请输入居民兑换码页上二维码下方的数字码');
    find(page, '.manual-input').dispatchEvent('input', { detail: { value: '31 482 917' } });
    tap(page, '.manual-submit');
    await fake.settle();
    expect(fake.requestsTo(PREVIEW).map((r) => r.data)).toEqual([{ token: '31482917' }]);
    expect(text(page, '.preview__title')).toBe('理发券');
    expect(exists(page, '.manual-input')).toBe(false);
    tap(page, '.confirm-btn');
    await fake.settle();
    expect(fake.requestsTo(VERIFY)[0].data).toEqual({ token: '31482917' });
    expect(text(page, '.result__title')).toBe('核销成功');
  });

  test('a camera that fails says so; an empty code sends nothing', async () => {
    const { fake, page } = await openMerchant();
    fake.scanResults.push({ fail: 'camera error' });
    tap(page, '.scan-btn');
    await fake.settle();
    expect(text(page, '.manual__note')).toBe('相机无法使用，请输入居民兑换码页上二维码下方的数字码');
    tap(page, '.manual-submit');
    await fake.settle();
    expect(fake.requestsTo(PREVIEW)).toHaveLength(0);
    tap(page, '.manual-close');
    await fake.settle();
    expect(exists(page, '.manual-input')).toBe(false);
    tap(page, '.manual-open');
    await fake.settle();
    expect(exists(page, '.manual-input')).toBe(true);
  });

  test('a wrong or old typed code has its own screen', async () => {
    const { fake, page } = await openMerchant({ [PREVIEW]: 'preview_code_invalid' });
    tap(page, '.manual-open');
    await fake.settle();
    find(page, '.manual-input').dispatchEvent('input', { detail: { value: '31000000' } });
    tap(page, '.manual-submit');
    await fake.settle();
    expect(text(page, '.refused__title')).toBe('数字码不正确或已过期');
    expect(text(page, '.refused__hint')).toBe(
      '请让居民打开兑换码页，输入二维码下方最新的数字码'
    );
    // 重新输入数字码 opens the input again, without the camera.
    tap(page, '.type-again');
    await fake.settle();
    expect(exists(page, '.manual-input')).toBe(true);
    expect(exists(page, '.refused')).toBe(false);
    expect(fake.scans).toBe(0);
    // A scanned code that is unreadable keeps the scanner's words, and offers no typing.
    fake.scanResults.push({ result: 'garbage' });
    tap(page, '.scan-btn');
    await fake.settle();
    expect(text(page, '.refused__title')).toBe('无法识别的二维码');
    expect(exists(page, '.type-again')).toBe(false);
  });

  test('重试 after a lost answer sends the same Idempotency-Key; a new code a new one', async () => {
    const { fake, page } = await openMerchant({ [PREVIEW]: 'verify_preview' });
    fake.once(VERIFY, { network: true });
    fake.on(VERIFY, 'verify_ok');
    fake.scanResults.push({ result: 'eyJ.redemption-one.sig' });
    tap(page, '.scan-btn');
    await fake.settle();
    tap(page, '.confirm-btn');
    await fake.settle(); // the modal's 重试 (modalAnswer: confirm) sends it again
    expect(fake.modals[0]).toMatchObject({ title: '网络异常', confirmText: '重试' });
    expect(text(page, '.result__title')).toBe('核销成功');
    const keys = fake.requestsTo(VERIFY).map((r) => r.header['Idempotency-Key']);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);

    fake.scanResults.push({ result: 'eyJ.redemption-two.sig' });
    tap(page, '.scan-again');
    await fake.settle();
    tap(page, '.confirm-btn');
    await fake.settle();
    const third = fake.requestsTo(VERIFY)[2].header['Idempotency-Key'];
    expect(third).toBeTruthy();
    expect(third).not.toBe(keys[0]);
  });

  test("today's count and points come from the statement, not the loaded page", async () => {
    const statement = fixture('merchant_statement');
    statement.body.today = { date: '2026-11-20', count: 57, points: 1140 };
    const { page } = await openMerchant({ 'GET /api/v1/merchant/statement': statement });
    expect(text(page, '.today-line')).toBe('今日已核销 57 笔 · 共 1140 积分');
  });

  test('verifying refreshes the day figures', async () => {
    const { fake, page } = await openMerchant(VERIFIES);
    const after = fixture('merchant_statement');
    after.body.today = { date: '2026-11-20', count: 2, points: 40 };
    fake.on('GET /api/v1/merchant/statement', after);
    fake.scanResults.push({ result: 'eyJ.redemption-one.sig' });
    tap(page, '.scan-btn');
    await fake.settle();
    tap(page, '.confirm-btn');
    await fake.settle();
    expect(text(page, '.today-line')).toBe('今日已核销 2 笔 · 共 40 积分');
  });
});

describe('the screen', () => {
  test('kept on and at full brightness while the counter is shown, restored on hide', async () => {
    const { fake, page } = await openMerchant();
    expect(fake.screen).toEqual(LIT);
    await expectHideShowLeave(fake, page);
    expect(fake.screenCalls).toEqual([
      ['keepOn', true],
      ['brightness', 1],
      ['keepOn', false],
      ['brightness', 0.4],
      ['keepOn', true],
      ['brightness', 1],
      ['keepOn', false],
      ['brightness', 0.4],
    ]);
  });

  test('leaving before the brightness is read never leaves it at full', async () => {
    const fake = serveDemo(installFakeWx(), { 'GET /api/v1/me': 'me_merchant' });
    const page = renderPage('merchant');
    page.instance.onUnload(); // before getScreenBrightness answered
    await fake.settle();
    expect(fake.screen).toEqual(RESTORED);
    expect(fake.screenCalls.filter((c) => c[0] === 'brightness')).toEqual([]);
  });
});

describe('the monthly statement', () => {
  const xlsxBytes = 'PK\u0003\u0004 fake xlsx';

  test('downloaded with the bearer header, saved and shared to a chat', async () => {
    const { fake, page } = await openMerchant({
      [XLSX]: { status: 200, body: null, bytes: xlsxBytes },
    });
    tap(page, '.tab-month');
    await fake.settle();
    tap(page, '.share-statement');
    await fake.settle();
    const sent = fake.requestsTo(XLSX);
    expect(sent).toHaveLength(1);
    expect(sent[0].query).toEqual({ month: '2026-11' });
    expect(sent[0].header.Authorization).toMatch(/^Bearer /);
    const path = 'wxfile://usr/statement-2026-11.xlsx';
    expect(Object.keys(fake.files)).toEqual([path]);
    expect(Buffer.from(fake.files[path]).toString('latin1')).toBe('PK\u0003\u0004 fake xlsx');
    expect(fake.shared).toEqual([{ filePath: path, fileName: '2026-11 对账单.xlsx' }]);
    expect(fake.documents).toEqual([]);
    expect(fake.lastToast().title).toBe('已发送');
  });

  test('staff of several shops get the statement of the shop shown', async () => {
    const { fake } = await openMerchant({ [XLSX]: { status: 200, body: null, bytes: xlsxBytes } });
    fake.once('GET /api/v1/merchant/statement', 'merchant_statement_required');
    const page = renderPage('merchant');
    await fake.settle();
    tap(page, '.tab-month');
    await fake.settle();
    tap(page, '.share-statement');
    await fake.settle();
    expect(fake.requestsTo(XLSX)[0].query).toEqual({ month: '2026-11', merchant_id: '2' });
  });

  test('opened in the viewer where files cannot be shared', async () => {
    const { fake, page } = await openMerchant({
      [XLSX]: { status: 200, body: null, bytes: xlsxBytes },
    });
    delete wx.shareFileMessage;
    tap(page, '.tab-month');
    await fake.settle();
    tap(page, '.share-statement');
    await fake.settle();
    expect(fake.shared).toEqual([]);
    expect(fake.documents).toEqual([
      { filePath: 'wxfile://usr/statement-2026-11.xlsx', fileType: 'xlsx', showMenu: true },
    ]);
  });

  test('a share that fails opens the viewer; closing the chat picker does nothing', async () => {
    const { fake, page } = await openMerchant({
      [XLSX]: { status: 200, body: null, bytes: xlsxBytes },
    });
    tap(page, '.tab-month');
    await fake.settle();
    fake.shareAnswer = 'not supported';
    tap(page, '.share-statement');
    await fake.settle();
    expect(fake.documents).toHaveLength(1);
    fake.shareAnswer = 'cancel';
    tap(page, '.share-statement');
    await fake.settle();
    expect(fake.shared).toHaveLength(2);
    expect(fake.documents).toHaveLength(1);
    expect(fake.toasts).toEqual([]);
  });

  test("the server's refusal is shown and nothing is written", async () => {
    const refusal = {
      status: 422,
      body: {
        error: { code: 'export_too_large', message: '本月核销记录过多，请联系社区导出', details: {} },
      },
    };
    const { fake, page } = await openMerchant({ [XLSX]: refusal });
    tap(page, '.tab-month');
    await fake.settle();
    tap(page, '.share-statement');
    await fake.settle();
    expect(fake.lastToast().title).toBe('本月核销记录过多，请联系社区导出');
    expect(fake.files).toEqual({});
    expect(text(page, '.share-statement')).toBe('发送本月对账单（Excel）');
  });
});
