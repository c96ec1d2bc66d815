// 我的数据与注销: the export downloaded with the bearer header, saved and shared (or opened);
// 注销账号 only after the phrase is typed and the modal confirmed, then the session forgotten.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, texts, exists, tap, find } = require('../helpers/page');
const api = require('../../utils/api');
const session = require('../../utils/session');
const lastBalance = require('../../utils/last-balance');

const XLSX = 'GET /api/v1/me/data-export.xlsx';
const DELETE = 'POST /api/v1/me/delete';
const xlsxBytes = 'PK\u0003\u0004 my data';

async function open(routes) {
  const fake = serveDemo(installFakeWx(), routes);
  const page = renderPage('my-data');
  await fake.settle();
  return { fake, page };
}

async function typePhrase(fake, page, value) {
  find(page, '.confirm-input').dispatchEvent('input', { detail: { value } });
  await fake.settle();
}

describe('导出我的数据', () => {
  test('downloaded with the bearer header, saved and sent to a chat', async () => {
    const { fake, page } = await open({ [XLSX]: { status: 200, body: null, bytes: xlsxBytes } });
    expect(text(page, '.export-btn')).toBe('导出我的数据（Excel）');
    tap(page, '.export-btn');
    await fake.settle();
    const sent = fake.requestsTo(XLSX);
    expect(sent).toHaveLength(1);
    expect(sent[0].header.Authorization).toMatch(/^Bearer /);
    const path = 'wxfile://usr/my-data.xlsx';
    expect(Buffer.from(fake.files[path]).toString('latin1')).toBe(xlsxBytes);
    expect(fake.shared).toEqual([{ filePath: path, fileName: '我的数据.xlsx' }]);
    expect(fake.lastToast().title).toBe('已发送');
  });

  test('opened in the viewer where files cannot be shared', async () => {
    const { fake, page } = await open({ [XLSX]: { status: 200, body: null, bytes: xlsxBytes } });
    delete wx.shareFileMessage;
    tap(page, '.export-btn');
    await fake.settle();
    expect(fake.documents).toEqual([
      { filePath: 'wxfile://usr/my-data.xlsx', fileType: 'xlsx', showMenu: true },
    ]);
    expect(fake.lastToast().title).toBe('已打开');
  });

  test("the server's refusal (too many exports) is shown on the page", async () => {
    const { fake, page } = await open({ [XLSX]: 'my_data_rate_limited' });
    tap(page, '.export-btn');
    await fake.settle();
    expect(text(page, '.export-error')).toBe('操作过于频繁，请稍后再试');
    expect(fake.files).toEqual({});
  });
});

describe('注销账号', () => {
  test('explains what is erased and what is kept', async () => {
    const { page } = await open();
    const lines = texts(page, '.consequence').join('');
    expect(lines).toContain('手机号将被清除');
    expect(lines).toContain('照片将被删除');
    expect(lines).toContain('已注销用户#编号');
    expect(lines).toContain('新的空账号');
  });

  test('nothing is sent until the phrase is typed exactly', async () => {
    const { fake, page } = await open({ [DELETE]: 'account_deleted' });
    tap(page, '.delete-btn');
    await typePhrase(fake, page, '注销');
    tap(page, '.delete-btn');
    await fake.settle();
    expect(fake.modals).toHaveLength(0);
    expect(fake.requestsTo(DELETE)).toHaveLength(0);
    expect(find(page, '.delete-btn').dom.className).toContain('btn--disabled');
  });

  test('typed and confirmed: deleted, the session forgotten, the result shown', async () => {
    const { fake, page } = await open({ [DELETE]: 'account_deleted' });
    await api.getMe(); // logged in, as on any page
    lastBalance.remember({ balance: 110, held: 0, available: 110 });
    expect(session.getToken()).toBeTruthy();
    await typePhrase(fake, page, '注销账号');
    tap(page, '.delete-btn');
    await fake.settle();
    expect(fake.modals[0].title).toBe('确定注销账号？');
    const sent = fake.requestsTo(DELETE);
    expect(sent).toHaveLength(1);
    expect(sent[0].data).toEqual({ confirm: '注销账号' });
    expect(session.getToken()).toBeNull();
    expect(lastBalance.lastKnown()).toBeNull();
    expect(text(page, '.deleted__title')).toBe('账号已注销');
    expect(text(page, '.deleted__pseudonym')).toContain('已注销用户#12');
    expect(texts(page, '.deleted__line')).toEqual([
      '个人信息已清除，3 张照片已删除',
      '1 个兑换预约已取消，积分已退回',
    ]);
    tap(page, '.deleted__finish');
    await fake.settle();
    expect(fake.navigations.pop()).toEqual({ type: 'switchTab', url: '/pages/tasks/index' });
  });

  test('cancelling the modal sends nothing', async () => {
    const { fake, page } = await open({ [DELETE]: 'account_deleted' });
    fake.modalAnswer = { confirm: false, cancel: true };
    await typePhrase(fake, page, '注销账号');
    tap(page, '.delete-btn');
    await fake.settle();
    expect(fake.requestsTo(DELETE)).toHaveLength(0);
    expect(exists(page, '.deleted')).toBe(false);
  });

  test("staff are told to hand over their roles; the session stays", async () => {
    const { fake, page } = await open({ [DELETE]: 'account_delete_roles' });
    await api.getMe();
    const token = session.getToken();
    await typePhrase(fake, page, '注销账号');
    tap(page, '.delete-btn');
    await fake.settle();
    expect(text(page, '.delete-error')).toBe(
      '您仍担任社区工作角色，请先联系社区管理员移交或撤销角色后再注销'
    );
    expect(session.getToken()).toBe(token);
    expect(exists(page, '.deleted')).toBe(false);
  });
});
