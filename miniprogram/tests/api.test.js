// utils/api.js: login, silent re-login after a 401, the error envelope, network failures.

const { installFakeWx } = require('./helpers/fake-wx');
const api = require('../utils/api');
const session = require('../utils/session');

describe('session and login', () => {
  test('the first call logs in with wx.login and sends the bearer token', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/me', 'me_resident');

    const me = await api.getMe();

    expect(me.real_name).toBe('张晓明');
    expect(fake.loginCalls).toBe(1);
    const [login, get] = fake.requests;
    expect(login.operation).toBe('POST /api/v1/auth/wechat-login');
    expect(login.data).toEqual({ code: 'wxcode-1' });
    expect(login.header.Authorization).toBeUndefined();
    expect(get.header.Authorization).toBe('Bearer test-token-1');
    expect(session.getToken()).toBe('test-token-1');
  });

  test('login sends the same device id every time, kept in storage', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/me', 'me_resident');
    await api.getMe();
    fake.expireTokens();
    await api.getMe();

    const ids = fake
      .requestsTo('POST /api/v1/auth/wechat-login')
      .map((r) => r.header['X-Device-Id']);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(fake.storage.get(session.DEVICE_KEY)).toBe(ids[0]);
    // Other calls do not carry it.
    expect(fake.requestsTo('GET /api/v1/me')[0].header['X-Device-Id']).toBeUndefined();
  });

  test('the token is kept in storage and reused', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/me', 'me_resident');
    await api.getMe();
    await api.getMe();
    expect(fake.loginCalls).toBe(1);
    expect(fake.storage.get(session.TOKEN_KEY).token).toBe('test-token-1');
  });

  test('a 401 logs in again silently once and retries the request', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/me', 'me_resident');
    await api.getMe();
    fake.expireTokens(); // e.g. the server rotated its signing key

    const me = await api.getMe();

    expect(me.id).toBe(7);
    expect(fake.loginCalls).toBe(2);
    const statuses = fake.requestsTo('GET /api/v1/me').map((r) => r.status);
    expect(statuses).toEqual([200, 401, 200]);
    const retried = fake.requestsTo('GET /api/v1/me')[2];
    expect(retried.header.Authorization).toBe('Bearer test-token-2');
    expect(fake.toasts).toEqual([]);
    expect(fake.modals).toEqual([]);
  });

  test('it retries only once: a second 401 becomes the error', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/me', 'me_resident');
    // A login whose token the server never accepts.
    fake.on('POST /api/v1/auth/wechat-login', 'login_resident');

    await expect(api.getMe()).rejects.toMatchObject({
      code: 'token_invalid',
      status: 401,
      message: '登录状态无效，请重新登录',
    });
    expect(fake.loginCalls).toBe(2);
    expect(fake.requestsTo('GET /api/v1/me')).toHaveLength(2);
  });

  test('concurrent 401s share one login', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/me', 'me_resident');
    fake.on('GET /api/v1/communities', 'communities');
    await api.getMe();
    fake.expireTokens();

    const [me, page] = await Promise.all([api.getMe(), api.listCommunities({ limit: 20 })]);

    expect(me.id).toBe(7);
    expect(page.items).toHaveLength(2);
    expect(fake.loginCalls).toBe(2);
  });

  test('a failed wx.login is a Chinese error, not a crash', async () => {
    const fake = installFakeWx();
    fake.loginFails = true;
    fake.on('GET /api/v1/me', 'me_resident');
    await expect(api.getMe()).rejects.toMatchObject({
      code: 'wx_login_failed',
      message: '微信登录失败，请稍后重试',
    });
    expect(fake.requestsTo('GET /api/v1/me')).toHaveLength(0);
  });

  test('against a local server the dev identity stands in for wx.login', async () => {
    const fake = installFakeWx({
      baseUrl: 'http://127.0.0.1:8000',
      config: { devIdentity: 'merchant-1' },
    });
    fake.on('GET /api/v1/me', 'me_merchant');
    await api.getMe();
    await api.login();
    expect(fake.loginCalls).toBe(0);
    const codes = fake.requestsTo('POST /api/v1/auth/wechat-login').map((r) => r.data.code);
    expect(codes).toHaveLength(2);
    codes.forEach((code) => expect(code).toMatch(/^merchant-1\.[A-Za-z0-9_.-]{1,64}$/));
    expect(codes[0]).not.toBe(codes[1]); // emulator codes are single-use
  });

  test('the dev identity is never used against a real server', async () => {
    const fake = installFakeWx({ config: { devIdentity: 'admin' } });
    fake.on('GET /api/v1/me', 'me_resident');
    await api.getMe();
    expect(fake.loginCalls).toBe(1);
    expect(fake.requests[0].data.code).toBe('wxcode-1');
  });
});

describe('errors', () => {
  test('the error envelope becomes an ApiError with the server message', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/communities/{community_id}/join', 'join_conflict');

    const err = await api.joinCommunity(1, 2).catch((e) => e);

    expect(err).toBeInstanceOf(api.ApiError);
    expect(err).toMatchObject({
      code: 'already_in_other_community',
      status: 409,
      message: '您已加入其他社区，如需迁移请联系原社区管理员',
      details: { community_id: 2 },
    });
    api.showError(err);
    expect(fake.lastToast()).toEqual({
      title: '您已加入其他社区，如需迁移请联系原社区管理员',
      icon: 'none',
      duration: 2500,
    });
  });

  test('a network failure says so, and offers to retry', async () => {
    const fake = installFakeWx();
    fake.once('GET /api/v1/me', { network: true });
    fake.on('GET /api/v1/me', 'me_resident');

    const err = await api.getMe().catch((e) => e);
    expect(err).toMatchObject({ code: 'network_error', message: '网络连接失败，请检查网络后重试' });
    expect(err.isNetwork).toBe(true);

    const retried = [];
    api.showError(err, { onRetry: () => retried.push(api.getMe()) });
    await fake.settle();
    expect(fake.modals).toEqual([
      { title: '网络异常', content: '网络连接失败，请检查网络后重试', confirmText: '重试' },
    ]);
    expect(retried).toHaveLength(1);
    await expect(retried[0]).resolves.toMatchObject({ id: 7 });
  });

  test('declining the retry does nothing more', async () => {
    const fake = installFakeWx();
    fake.modalAnswer = { confirm: false, cancel: true };
    const onRetry = jest.fn();
    api.showError(new api.ApiError('network_error', api.NETWORK_MESSAGE, 0), { onRetry });
    await fake.settle();
    expect(onRetry).not.toHaveBeenCalled();
  });

  test('an answer that is not our envelope still gets a Chinese message', async () => {
    installFakeWx();
    // A gateway in front of the server answering with its own HTML page.
    wx.request = (options) =>
      setTimeout(() => options.success({ statusCode: 502, data: '<html>Bad Gateway</html>' }), 0);
    const err = await api.getMe().catch((e) => e);
    expect(err).toMatchObject({ code: 'http_502', status: 502, message: '系统繁忙，请稍后重试' });
  });

  test('anything unexpected is a generic Chinese toast', () => {
    const fake = installFakeWx();
    api.showError(new TypeError('x is undefined'));
    expect(fake.lastToast().title).toBe('出错了，请稍后重试');
  });
});

describe('requests', () => {
  test('path parameters are filled in and empty query values left out', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/communities/{community_id}/grids', 'grids');
    await api.listGrids(12, { limit: 100, cursor: null });
    const req = fake.requestsTo('GET /api/v1/communities/{community_id}/grids')[0];
    expect(req.path).toBe('/api/v1/communities/12/grids');
    expect(req.query).toEqual({ limit: '100' });
    expect(req.data).toBeUndefined();
  });

  test('a missing path parameter is a programming error, not a request', async () => {
    const fake = installFakeWx();
    await expect(api.listGrids(undefined)).rejects.toThrow(/community_id/);
    expect(fake.requests).toHaveLength(0);
  });

  test('joining without a grid sends grid_id null', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/communities/{community_id}/join', 'join_ok_no_grid');
    const membership = await api.joinCommunity(1);
    expect(membership.grid).toBeNull();
    expect(fake.requestsTo('POST /api/v1/communities/{community_id}/join')[0].data).toEqual({
      grid_id: null,
    });
  });

  test('by default PATCH goes out as POST with X-HTTP-Method-Override (phones have no PATCH)', async () => {
    const fake = installFakeWx();
    expect(require('../config').get().methodOverride).toBe(true);
    fake.on('PATCH /api/v1/me', 'me_patched');
    const me = await api.patchMe({ nickname: '晓明' });
    expect(me.nickname).toBe('晓明');
    const req = fake.requestsTo('PATCH /api/v1/me')[0];
    expect(req.wireMethod).toBe('POST');
    expect(req.header['X-HTTP-Method-Override']).toBe('PATCH');
    expect(req.data).toEqual({ nickname: '晓明' });
  });

  test('an Idempotency-Key survives the silent re-login', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/communities/{community_id}/join', 'join_ok');
    await api.login();
    fake.expireTokens();
    await api.call('joinCommunity', {
      params: { community_id: 1 },
      data: { grid_id: 2 },
      idempotencyKey: 'join-1-2',
    });
    const sent = fake.requestsTo('POST /api/v1/communities/{community_id}/join');
    expect(sent.map((r) => r.status)).toEqual([401, 200]);
    expect(sent.map((r) => r.header['Idempotency-Key'])).toEqual(['join-1-2', 'join-1-2']);
  });
});

describe('PATCH without the override', () => {
  test('methodOverride false sends PATCH as is, which phones refuse: a network error', async () => {
    const fake = installFakeWx({ config: { methodOverride: false } });
    await api.login();
    await expect(api.patchMe({ nickname: '晓明' })).rejects.toMatchObject({
      code: 'network_error',
    });
    expect(fake.requests.pop().wireMethod).toBe('PATCH');
  });

  test('DELETE is a wx.request method and goes out as is', async () => {
    const fake = installFakeWx();
    fake.on('DELETE /api/v1/redemptions/{redemption_id}', 'redemption_cancelled');
    await api.cancelRedemption(31);
    const req = fake.requestsTo('DELETE /api/v1/redemptions/{redemption_id}')[0];
    expect(req.wireMethod).toBe('DELETE');
    expect(req.header['X-HTTP-Method-Override']).toBeUndefined();
  });
});

describe('uploads and downloads', () => {
  test('upload sends the file as multipart field "file", reports progress, parses the body', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/uploads', 'upload_ok');
    fake.uploadProgress = [25, 75, 100];
    const seen = [];
    const upload = await api.upload('wxfile://tmp/a.jpg', { onProgress: (p) => seen.push(p) });
    expect(upload.id).toBe(301);
    expect(seen).toEqual([25, 75, 100]);
    const req = fake.requestsTo('POST /api/v1/uploads')[0];
    expect(req.kind).toBe('upload');
    expect(req.header.Authorization).toBe('Bearer test-token-1');
  });

  test('an upload after the token expired logs in again silently and is sent again', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/uploads', 'upload_ok');
    await api.login();
    fake.expireTokens();
    const upload = await api.upload('wxfile://tmp/a.jpg');
    expect(upload.id).toBe(301);
    expect(fake.requestsTo('POST /api/v1/uploads').map((r) => r.status)).toEqual([401, 201]);
  });

  test('an upload refusal becomes an ApiError with the server message', async () => {
    const fake = installFakeWx();
    fake.on('POST /api/v1/uploads', 'upload_too_large');
    await expect(api.upload('wxfile://tmp/big.jpg')).rejects.toMatchObject({
      code: 'upload_too_large',
      status: 413,
      message: '图片不能超过 10 MB',
    });
  });

  test('download sends the bearer header and resolves to the temp file', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/uploads/{upload_id}', {
      status: 200,
      body: null,
      file: 'wxfile://tmp/x.jpg',
    });
    await expect(api.download(301)).resolves.toBe('wxfile://tmp/x.jpg');
    const req = fake.requestsTo('GET /api/v1/uploads/{upload_id}')[0];
    expect(req.kind).toBe('download');
    expect(req.header.Authorization).toMatch(/^Bearer /);
  });

  test('a refused download is an ApiError by status', async () => {
    const fake = installFakeWx();
    fake.on('GET /api/v1/uploads/{upload_id}', {
      status: 403,
      body: { error: { code: 'forbidden', message: '无权查看', details: {} } },
    });
    await expect(api.download(301)).rejects.toMatchObject({
      status: 403,
      message: '您没有权限进行此操作',
    });
  });

  test('only utils/api.js calls wx.uploadFile and wx.downloadFile', () => {
    const fs = require('fs');
    const path = require('path');
    const root = path.resolve(__dirname, '..');
    const offenders = [];
    const walk = (dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (['node_modules', 'tests', 'vendor'].includes(entry.name)) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.js')) {
          const src = fs.readFileSync(full, 'utf8');
          if (/wx\.(uploadFile|downloadFile)\(/.test(src))
            offenders.push(path.relative(root, full));
        }
      }
    };
    walk(root);
    expect(offenders).toEqual(['utils/api.js']);
  });
});
