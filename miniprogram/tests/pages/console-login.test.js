// 扫码登录办公台: the page a staff member lands on after scanning the console's code. It reads
// the scene from the launch options, shows which browser asks, and confirms or cancels.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, exists, tap } = require('../helpers/page');

const SCENE = 'cAbC123xyz_-AbC123xy';
const READ = 'GET /api/v1/console-logins/{scene}';
const CONFIRM = 'POST /api/v1/console-logins/{scene}/confirm';
const CANCEL = 'POST /api/v1/console-logins/{scene}/cancel';

async function openScan(routes, scene = encodeURIComponent(SCENE)) {
  const fake = serveDemo(installFakeWx(), Object.assign({ [READ]: 'console_login_pending' }, routes));
  const page = renderPage('console-login', { query: { scene } });
  await fake.settle();
  return { fake, page };
}

describe('扫码登录办公台', () => {
  test('shows the asking browser and confirms the login with the scanned scene', async () => {
    const { fake, page } = await openScan({ [CONFIRM]: 'console_login_confirmed' });
    expect(text(page, '.console-login__title')).toBe('确认登录办公台？');
    expect(text(page, '.console-login__browser')).toBe('Chrome（Windows）');
    expect(text(page, '.console-login__meta')).toBe('192.168.1.20 · 11月20日 09:05');
    expect(fake.requestsTo(READ)[0].url).toMatch(`/api/v1/console-logins/${SCENE}`);
    tap(page, '.console-login__confirm');
    await fake.settle();
    expect(fake.requestsTo(CONFIRM)).toHaveLength(1);
    expect(fake.requestsTo(CONFIRM)[0].header.Authorization).toMatch(/^Bearer /);
    expect(text(page, '.console-login__result')).toBe('已确认登录，请在电脑上继续操作');
    expect(exists(page, '.console-login__confirm')).toBe(false);
    expect(fake.toasts).toEqual([]);
  });

  test('cancel tells the browser no', async () => {
    const { fake, page } = await openScan({ [CANCEL]: 'console_login_cancelled' });
    tap(page, '.console-login__cancel');
    await fake.settle();
    expect(fake.requestsTo(CANCEL)).toHaveLength(1);
    expect(fake.requestsTo(CONFIRM)).toHaveLength(0);
    expect(text(page, '.console-login__result')).toBe('已取消本次登录');
  });

  test('a resident without a staff role sees why, and nothing is confirmed', async () => {
    const { fake, page } = await openScan({ [CONFIRM]: 'console_login_no_role' });
    tap(page, '.console-login__confirm');
    await fake.settle();
    expect(text(page, '.console-login__error')).toBe('您没有办公台权限，请联系社区管理员');
    expect(exists(page, '.console-login__result')).toBe(false);
  });

  test('an expired code says to refresh on the computer', async () => {
    const { fake, page } = await openScan({ [CONFIRM]: 'console_login_expired' });
    tap(page, '.console-login__confirm');
    await fake.settle();
    expect(text(page, '.console-login__error')).toBe('二维码已过期，请在电脑上刷新后重新扫码');
  });

  test('opened without a scene it asks to scan again and calls nothing', async () => {
    const { fake, page } = await openScan({}, '');
    expect(text(page, '.console-login__error')).toBe('二维码无效，请重新扫码');
    expect(fake.requestsTo(READ)).toHaveLength(0);
  });
});
