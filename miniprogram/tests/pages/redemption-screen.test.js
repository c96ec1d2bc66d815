// The resident's redemption code at the counter: its typed digits under the QR code, and the
// screen kept on at full brightness while the code is shown, restored after.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, exists } = require('../helpers/page');
const { manualCodeText } = require('../../utils/rewards');
const { paintedOps } = require('../helpers/qr');
const { LIT, RESTORED, expectHideShowLeave } = require('../helpers/screen');

async function openCode(extra) {
  jest.useFakeTimers({ now: Date.parse('2026-11-20T02:00:00Z') });
  const fake = serveDemo(installFakeWx(), extra);
  fake.once('GET /api/v1/redemptions/{redemption_id}/code', 'redemption_code_1');
  fake.on('GET /api/v1/redemptions/{redemption_id}/code', 'redemption_code_2');
  const page = renderPage('redemption', { query: { id: '31' } });
  await fake.settle();
  return { fake, page };
}

afterEach(() => {
  jest.useRealTimers();
});

test('the typed code is grouped the way the merchant reads it back', () => {
  expect(manualCodeText('31482917')).toBe('31 482 917');
  expect(manualCodeText('1000123')).toBe('1 000 123');
  expect(manualCodeText('123456789012345678')).toBe('123456789012 345 678');
});

test('the digits under the QR code follow each refresh', async () => {
  const { fake, page } = await openCode();
  expect(text(page, '.manual-code__digits')).toBe('31 482 917');
  await jest.advanceTimersByTimeAsync(45000); // refresh_after_seconds
  await fake.settle();
  expect(text(page, '.manual-code__digits')).toBe('31 605 233');
  page.instance.onUnload();
});

test('bright and awake while the code is shown; restored when it is verified', async () => {
  const { fake, page } = await openCode();
  expect(fake.screen).toEqual(LIT);
  fake.on('GET /api/v1/redemptions/{redemption_id}', 'redemption_redeemed');
  await jest.advanceTimersByTimeAsync(3000); // the status poll
  await fake.settle();
  expect(text(page, '.result__title')).toBe('已核销');
  expect(fake.screen).toEqual(RESTORED);
  expect(exists(page, '.manual-code')).toBe(false);
});

test('restored on hide, raised again on show, restored on leaving', async () => {
  const { fake, page } = await openCode();
  expect(fake.screen).toEqual(LIT);
  await expectHideShowLeave(fake, page);
});

test('a closed redemption never touches the screen', async () => {
  const { fake } = await openCode({
    'GET /api/v1/redemptions/{redemption_id}': 'redemption_redeemed',
  });
  expect(fake.screenCalls).toEqual([]);
});

test('cancelling restores the screen', async () => {
  const { fake, page } = await openCode({
    'DELETE /api/v1/redemptions/{redemption_id}': 'redemption_cancelled',
  });
  page.instance.cancel();
  await fake.settle();
  expect(text(page, '.result__title')).toBe('已取消');
  expect(fake.screen).toEqual(RESTORED);
});

test('a failed refresh keeps the valid code; once it expires the QR is blanked', async () => {
  const { fake, page } = await openCode();
  fake.on('GET /api/v1/redemptions/{redemption_id}/code', { network: true });
  await jest.advanceTimersByTimeAsync(45000); // the refresh fails
  await fake.settle();
  expect(text(page, '.code-error')).toBe('网络连接失败，请检查网络后重试，正在重试…');
  expect(text(page, '.manual-code__digits')).toBe('31 482 917');
  expect(fake.lastDraw('redemption-qr')).toEqual(paintedOps('eyJ.redemption-one.sig'));

  await jest.advanceTimersByTimeAsync(15000); // the code's 60 s are over
  await fake.settle();
  expect(exists(page, '.manual-code')).toBe(false);
  expect(fake.lastDraw('redemption-qr')).toEqual([
    ['setFillStyle', '#ffffff'],
    ['fillRect', 0, 0, 240, 240],
  ]);

  fake.on('GET /api/v1/redemptions/{redemption_id}/code', 'redemption_code_2');
  await jest.advanceTimersByTimeAsync(5000); // the next retry
  await fake.settle();
  expect(fake.lastDraw('redemption-qr')).toEqual(paintedOps('eyJ.redemption-two.sig'));
  expect(text(page, '.manual-code__digits')).toBe('31 605 233');
  page.instance.onUnload();
});

test("a phone with a wrong clock still shows the code, counted from the server's TTL", async () => {
  jest.useFakeTimers({ now: Date.parse('2026-11-20T02:05:00Z') }); // 5 minutes ahead
  const fake = serveDemo(installFakeWx());
  fake.on('GET /api/v1/redemptions/{redemption_id}/code', 'redemption_code_1');
  const page = renderPage('redemption', { query: { id: '31' } });
  await fake.settle();
  expect(text(page, '.code-countdown')).toBe('二维码和数字码 60 秒后失效，到期前自动刷新');
  expect(fake.lastDraw('redemption-qr')).toEqual(paintedOps('eyJ.redemption-one.sig'));
  expect(text(page, '.manual-code__digits')).toBe('31 482 917');
  page.instance.onUnload();
});
