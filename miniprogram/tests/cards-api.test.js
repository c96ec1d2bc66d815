// utils/cards-api.js through utils/api.js: X-Acting-For only where the server takes it,
// the printed cards' PDF (bytes from a POST, refusals still in Chinese), and saving it.

const { installFakeWx } = require('./helpers/fake-wx');
const api = require('../utils/api');
const documents = require('../utils/documents');

describe('acting for a card holder', () => {
  test('acting calls send X-Acting-For; the same calls without it do not', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/points/balance', 'balance');
    fake.on('POST /api/v1/tasks/{task_id}/signups', 'signup_confirmed');
    await api.actingFor(41).getBalance();
    await api.actingFor(41).signUp(11);
    await api.getBalance();
    const [forHolder, mine] = fake.requestsTo('GET /api/v1/points/balance');
    expect(forHolder.header['X-Acting-For']).toBe('41');
    expect(mine.header['X-Acting-For']).toBeUndefined();
    const signup = fake.requestsTo('POST /api/v1/tasks/{task_id}/signups')[0];
    expect(signup.header['X-Acting-For']).toBe('41');
    expect(signup.path).toBe('/api/v1/tasks/11/signups');
  });

  test('a photo uploaded for the holder carries the header too', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/uploads', 'upload_ok');
    await api.actingFor(41).upload('wxfile://tmp/a.jpg');
    const upload = fake.requestsTo('POST /api/v1/uploads')[0];
    expect(upload.kind).toBe('upload');
    expect(upload.header['X-Acting-For']).toBe('41');
  });

  test('a check-in for the holder sends the token, the location and the header', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/tasks/{task_id}/checkin', 'checkin_ok');
    await api.actingFor(41).checkin(11, 'tok-1', { latitude: 31.2, longitude: 121.4 });
    const sent = fake.requestsTo('POST /api/v1/tasks/{task_id}/checkin')[0];
    expect(sent.data).toEqual({ token: 'tok-1', location: { latitude: 31.2, longitude: 121.4 } });
    expect(sent.header['X-Acting-For']).toBe('41');
  });

  test('a route that does not take the header is refused before anything is sent', async () => {
    const fake = installFakeWx();
    await expect(api.call('getMe', { actingFor: 41 })).rejects.toMatchObject({
      code: 'acting_not_allowed',
      message: '此操作不能代办',
    });
    await expect(
      api.call('getRedemptionCode', { params: { redemption_id: 11 }, actingFor: 41 })
    ).rejects.toMatchObject({ code: 'acting_not_allowed' });
    expect(fake.requests).toHaveLength(0);
  });

  test('the fake server, like the real one, fails the header where it is not taken', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/me', 'me_resident').on('GET /api/v1/points/balance', 'balance');
    await api.login();
    const header = { Authorization: `Bearer ${fake.validTokens.values().next().value}` };
    wx.request({ url: `${fake.baseUrl}/api/v1/me`, header: { ...header, 'X-Acting-For': '41' } });
    wx.request({
      url: `${fake.baseUrl}/api/v1/points/balance`,
      header: { ...header, 'X-Acting-For': 'x' },
    });
    await fake.settle();
    expect(fake.violations).toEqual([
      'GET /api/v1/me: does not take X-Acting-For',
      'GET /api/v1/points/balance: X-Acting-For x is not a user id',
    ]);
    fake.violations.length = 0;
  });

  test('the header survives the silent re-login', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/points/balance', 'balance');
    await api.login();
    fake.expireTokens();
    await api.actingFor(41).getBalance();
    const sent = fake.requestsTo('GET /api/v1/points/balance');
    expect(sent.map((r) => r.status)).toEqual([401, 200]);
    expect(sent.map((r) => r.header['X-Acting-For'])).toEqual(['41', '41']);
  });
});

describe('printing cards', () => {
  test('the PDF comes as bytes from a POST with the bearer header', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/cards/print', { status: 200, body: null, bytes: '%PDF-1.4 cards' });
    const bytes = await api.printCards([41, 42]);
    const sent = fake.requestsTo('POST /api/v1/cards/print')[0];
    expect(sent.data).toEqual({ holder_ids: [41, 42] });
    expect(sent.header.Authorization).toMatch(/^Bearer /);
    expect(String.fromCharCode(...new Uint8Array(bytes))).toBe('%PDF-1.4 cards');
  });

  test('a refusal is decoded from the bytes into its Chinese message', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/cards/print', 'cards_print_forbidden');
    await expect(api.printCards([99])).rejects.toMatchObject({
      code: 'card_holder_not_found',
      status: 404,
      message: '持卡居民不存在，或不在您负责的范围内',
    });
  });

  test('an answer that is not our envelope still says what its status means', async () => {
    installFakeWx();
    wx.request = (options) =>
      setTimeout(() => options.success({ statusCode: 502, data: new ArrayBuffer(3) }), 0);
    await expect(api.printCards([41])).rejects.toMatchObject({
      code: 'http_502',
      message: '系统繁忙，请稍后重试',
    });
  });

  test('the bytes are saved in the user folder and opened with the menu to print', async () => {
    const fake = installFakeWx();
    const bytes = new Uint8Array([37, 80, 68, 70]).buffer;
    const path = await documents.openPdf(bytes, 'card-41.pdf');
    expect(path).toBe('wxfile://usr/card-41.pdf');
    expect(fake.files[path]).toBe(bytes);
    expect(fake.documents).toEqual([
      { filePath: 'wxfile://usr/card-41.pdf', fileType: 'pdf', showMenu: true },
    ]);
  });

  test('a full phone says so', async () => {
    const fake = installFakeWx();
    fake.writeFails = true;
    await expect(documents.openPdf(new ArrayBuffer(1), 'x.pdf')).rejects.toMatchObject({
      message: '文件保存失败，请检查手机存储空间',
    });
    expect(fake.documents).toEqual([]);
  });
});

describe('the other card endpoints', () => {
  test('unlock sends a new PIN only when there is one', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/card-holders/{holder_id}/unlock', 'card_holder_unlocked');
    await api.unlockCard(41);
    await api.unlockCard(41, '3691');
    const sent = fake.requestsTo('POST /api/v1/card-holders/{holder_id}/unlock');
    expect(sent.map((r) => r.data)).toEqual([{}, { pin: '3691' }]);
  });

  test('card-scan sends the merchant only when the staff member chose one', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/merchant/card-scan', 'card_scan_ok');
    await api.scanCard('RPC1.A.B');
    await api.scanCard('RPC1.A.B', 2);
    const bodies = fake.requestsTo('POST /api/v1/merchant/card-scan').map((r) => r.data);
    expect(bodies).toEqual([{ card: 'RPC1.A.B' }, { card: 'RPC1.A.B', merchant_id: 2 }]);
  });
});
