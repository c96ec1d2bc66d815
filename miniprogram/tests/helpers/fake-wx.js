// A fake `wx` for page and API tests. Requests are routed by contract operation
// ("GET /api/v1/communities/{community_id}/grids") to fixtures or handlers; every request
// and every answer is checked against schemas/openapi.json, and any mismatch fails the test
// (see setup.js). Login, storage, toasts, modals and navigation are recorded for assertions.

const contract = require('./contract');
const { fixture } = require('./fixtures');

const BASE_URL = 'https://rp.test';
const WX_METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT'];

function parseQuery(qs) {
  const query = {};
  if (!qs) return query;
  for (const part of qs.split('&')) {
    if (!part) continue;
    const [k, v = ''] = part.split('=');
    query[decodeURIComponent(k)] = decodeURIComponent(v);
  }
  return query;
}

// A string's UTF-8 bytes as an ArrayBuffer, as wx.request hands over a binary body.
function bytesOf(text) {
  const raw = unescape(encodeURIComponent(text));
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
  return bytes.buffer;
}

function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function requiresAuth(operation) {
  const security = operation.op.security || contract.load().doc.security || [];
  return security.some((s) => Object.keys(s).length > 0);
}

function createFakeWx() {
  const storage = new Map();
  const persistent = new Map();
  const queued = new Map();
  let tokenSeq = 0;
  let codeSeq = 0;

  const fake = {
    baseUrl: BASE_URL,
    requests: [],
    violations: [],
    toasts: [],
    modals: [],
    actionSheets: [],
    navigations: [],
    loginCalls: 0,
    loginFails: false,
    validTokens: new Set(),
    modalAnswer: { confirm: true, cancel: false },
    actionSheetIndex: 0,
    pending: 0,
    storage,
    // Device APIs: what the next scan / location / photo pick answers.
    scanResults: [], // queue of {result}, {cancel: true} or {fail: 'camera error'}
    scans: 0,
    location: { latitude: 31.2304, longitude: 121.4737, accuracy: 20 },
    locationFails: false,
    locationCalls: 0,
    media: [], // files wx.chooseMedia picks
    uploadProgress: [30, 100], // percentages reported by each upload
    canvases: {}, // canvas-id -> {draws: [ops of each draw()]}
    previews: [],
    files: {}, // path -> ArrayBuffer written through wx.getFileSystemManager()
    documents: [], // wx.openDocument calls
    writeFails: false,
    // The screen: kept on or not, its brightness (0-1), and every call that changed them.
    screen: { keepOn: false, brightness: 0.4 },
    screenCalls: [], // ['keepOn', true] / ['brightness', 1]
    shared: [], // wx.shareFileMessage calls; shareAnswer 'ok' | 'cancel' | 'fail'
    shareAnswer: 'ok',
    // wx.requestSubscribeMessage: what the user answers ('accept', 'reject' … for every id,
    // {template_id: answer}, or {fail: true} when the dialog fails), and the ids each call asked.
    subscribeAnswer: 'reject',
    subscribeCalls: [],
    shareMenu: null,
    // 隐私保护指引: whether the user has agreed (most tests: yes). Until they do, privacy APIs
    // (wx.chooseMedia here) fail, and wx.requirePrivacyAuthorize calls the page's listener,
    // whose answers are recorded in privacyAnswers.
    privacyAgreed: true,
    privacyListener: null,
    privacyAnswers: [],
    privacyRequests: 0,
    contractsOpened: 0,
    clipboard: [], // wx.setClipboardData's data, each call

    // Answer an operation on every call (fixture name, {status, body}, {network: true}
    // or a function of the request returning one of those).
    on(key, responder) {
      fake._checkKey(key);
      persistent.set(key, responder);
      return fake;
    },
    // Answer the next call only; queued answers are used before `on` ones.
    once(key, responder) {
      fake._checkKey(key);
      if (!queued.has(key)) queued.set(key, []);
      queued.get(key).push(responder);
      return fake;
    },
    _checkKey(key) {
      const [method, template] = key.split(' ');
      if (!contract.findOperation(method, template)) {
        throw new Error(`fake route ${key} is not an operation of schemas/openapi.json`);
      }
    },
    // Invalidate every issued token, as a server restart with a new secret would.
    expireTokens() {
      fake.validTokens.clear();
    },
    issueToken() {
      tokenSeq += 1;
      const token = `test-token-${tokenSeq}`;
      fake.validTokens.add(token);
      return token;
    },
    requestsTo(key) {
      return fake.requests.filter((r) => r.operation === key);
    },
    lastToast() {
      return fake.toasts[fake.toasts.length - 1];
    },
    // Wait until every request has been answered and the promise chains behind them ran.
    // Under jest's fake timers it runs the due timers instead of waiting for them; a 0 ms
    // timer set while timers run is due 1 ms later, so each step moves the clock by 1 ms.
    async settle() {
      const faked = typeof setTimeout.clock === 'object';
      const tick = faked
        ? () => jest.advanceTimersByTimeAsync(1)
        : () => new Promise((resolve) => setTimeout(resolve, 0));
      let idle = 0;
      for (let i = 0; i < 200 && idle < 3; i += 1) {
        await tick();
        idle = fake.pending === 0 ? idle + 1 : 0;
      }
    },
    lastDraw(canvasId) {
      const c = fake.canvases[canvasId];
      return c && c.draws.length ? c.draws[c.draws.length - 1] : null;
    },
  };

  function defaultLogin(req) {
    const body = fixture('login_resident').body;
    body.token = fake.issueToken();
    body.is_new = false;
    return { status: 200, body, _code: req.data && req.data.code };
  }
  persistent.set('POST /api/v1/auth/wechat-login', defaultLogin);
  // Subscribe messages: every page that asks reads the template ids (utils/subscribe.js).
  persistent.set('GET /api/v1/me/subscriptions', 'subscriptions');
  persistent.set('POST /api/v1/me/subscriptions', 'subscriptions_reported');

  function resolveResponder(key, req) {
    let responder;
    if (queued.has(key) && queued.get(key).length) responder = queued.get(key).shift();
    else responder = persistent.get(key);
    if (responder === undefined) return null;
    if (typeof responder === 'function') responder = responder(req);
    if (typeof responder === 'string') {
      const f = fixture(responder);
      if (f.operation !== key) {
        fake.violations.push(`fixture ${responder} is for ${f.operation}, served for ${key}`);
      }
      return { status: f.status, body: f.body };
    }
    return clone(responder);
  }

  function deliver(fn) {
    fake.pending += 1;
    setTimeout(() => {
      fake.pending -= 1;
      fn();
    }, 0);
  }

  // Route one call (wx.request, wx.uploadFile or wx.downloadFile) through the contract:
  // returns {record, operation, response} or null after recording why it could not.
  function route(kind, options, method, body) {
    const url = String(options.url);
    const header = options.header || {};
    const record = { kind, url, wireMethod: method, header: clone(header), data: clone(body) };
    fake.requests.push(record);
    if (method === 'POST' && header['X-HTTP-Method-Override']) {
      method = header['X-HTTP-Method-Override'];
    }
    if (!url.startsWith(`${fake.baseUrl}/`)) {
      fake.violations.push(`request to ${url} outside the configured base URL ${fake.baseUrl}`);
    }
    const [pathPart, qs] = url.slice(fake.baseUrl.length).split('?');
    const query = parseQuery(qs);
    const operation = contract.matchOperation(method, pathPart);
    Object.assign(record, { method, path: pathPart, query });
    if (!operation) {
      fake.violations.push(`${method} ${pathPart} is not in schemas/openapi.json`);
      return null;
    }
    record.operation = operation.key;
    if (kind === 'upload') {
      fake.violations.push(...contract.requestErrors(operation, query, undefined, 'multipart'));
      if (options.name !== 'file' || !options.filePath) {
        fake.violations.push(`${operation.key}: multipart field must be "file" with a file`);
      }
    } else {
      fake.violations.push(...contract.requestErrors(operation, query, body));
    }
    // X-Acting-For only where the contract takes it (the server refuses it elsewhere).
    const acting = header['X-Acting-For'];
    if (acting !== undefined) {
      const declared = contract.headerParameter(operation, 'X-Acting-For');
      if (!declared) fake.violations.push(`${operation.key}: does not take X-Acting-For`);
      else if (!/^[0-9]{1,12}$/.test(String(acting))) {
        fake.violations.push(`${operation.key}: X-Acting-For ${acting} is not a user id`);
      }
    }

    const auth = String(header.Authorization || '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    let response;
    if (requiresAuth(operation) && !fake.validTokens.has(token)) {
      response = {
        status: 401,
        body: {
          error: {
            code: token ? 'token_invalid' : 'unauthorized',
            message: token ? '登录状态无效，请重新登录' : '请先登录',
            details: {},
          },
        },
      };
    } else {
      response = resolveResponder(operation.key, record);
    }
    if (!response) {
      fake.violations.push(`no fake answer for ${operation.key}`);
      return null;
    }
    if (!response.network) {
      record.status = response.status;
      const checked = kind === 'download' && response.status < 300 ? null : response.body;
      fake.violations.push(...contract.responseErrors(operation, response.status, checked));
    }
    return { record, operation, response };
  }

  const api = {
    request(options) {
      const wireMethod = String(options.method || 'GET').toUpperCase();
      if (WX_METHODS.indexOf(wireMethod) < 0) {
        // Phones refuse methods wx.request does not document (PATCH among them).
        fake.requests.push({ kind: 'request', url: options.url, wireMethod });
        deliver(() => options.fail && options.fail({ errMsg: 'request:fail invalid method' }));
        return {};
      }
      const body = wireMethod === 'GET' ? undefined : clone(options.data);
      const routed = route('request', options, wireMethod, body);
      if (!routed || routed.response.network) {
        deliver(() => options.fail && options.fail({ errMsg: 'request:fail timeout' }));
        return {};
      }
      const { response } = routed;
      deliver(() => {
        let data = response.body;
        if (options.responseType === 'arraybuffer') {
          // A binary success carries `bytes` (a PDF's text); a refusal its JSON envelope.
          const text =
            response.status < 300 ? response.bytes || '%PDF-1.4 fake' : JSON.stringify(data);
          data = bytesOf(text);
        }
        const res = { statusCode: response.status, data, header: {} };
        if (options.success) options.success(res);
        if (options.complete) options.complete(res);
      });
      return {};
    },
    uploadFile(options) {
      const listeners = [];
      const task = {
        onProgressUpdate(cb) {
          listeners.push(cb);
        },
        abort() {},
      };
      const routed = route('upload', options, 'POST', undefined);
      if (routed) routed.record.filePath = options.filePath;
      if (!routed || routed.response.network) {
        deliver(() => options.fail && options.fail({ errMsg: 'uploadFile:fail timeout' }));
        return task;
      }
      const { response } = routed;
      for (const progress of fake.uploadProgress) {
        deliver(() => listeners.forEach((cb) => cb({ progress, totalBytesSent: progress })));
      }
      deliver(() => {
        // wx.uploadFile hands the body over as a string.
        const data = response.body === undefined ? '' : JSON.stringify(response.body);
        if (options.success) options.success({ statusCode: response.status, data });
      });
      return task;
    },
    downloadFile(options) {
      const routed = route('download', options, 'GET', undefined);
      if (!routed || routed.response.network) {
        deliver(() => options.fail && options.fail({ errMsg: 'downloadFile:fail timeout' }));
        return {};
      }
      const { response, record } = routed;
      deliver(() => {
        const tempFilePath =
          response.file || `wxfile://tmp/download-${fake.requests.indexOf(record)}`;
        if (options.success) options.success({ statusCode: response.status, tempFilePath });
      });
      return {};
    },
    scanCode(options) {
      fake.scans += 1;
      const next = fake.scanResults.shift();
      deliver(() => {
        if (!next || next.cancel) {
          if (options.fail) options.fail({ errMsg: 'scanCode:fail cancel' });
        } else if (next.fail) {
          if (options.fail) options.fail({ errMsg: `scanCode:fail ${next.fail}` });
        } else if (options.success) {
          options.success({ result: next.result, scanType: 'QR_CODE', errMsg: 'scanCode:ok' });
        }
      });
    },
    getLocation(options) {
      fake.locationCalls += 1;
      deliver(() => {
        if (fake.locationFails) {
          if (options.fail) options.fail({ errMsg: 'getLocation:fail auth deny' });
        } else if (options.success) {
          options.success(Object.assign({ errMsg: 'getLocation:ok' }, fake.location));
        }
      });
    },
    chooseMedia(options) {
      if (!fake.privacyAgreed) {
        fake.privacyBlocked = (fake.privacyBlocked || 0) + 1;
        deliver(() => {
          const errMsg = 'chooseMedia:fail privacy permission is not authorized';
          if (options.fail) options.fail({ errMsg });
        });
        return;
      }
      const files = fake.media.slice(0, options.count || 9);
      deliver(() => {
        if (!files.length) {
          if (options.fail) options.fail({ errMsg: 'chooseMedia:fail cancel' });
        } else if (options.success) {
          options.success({ type: 'image', tempFiles: clone(files) });
        }
      });
    },
    previewImage(options) {
      fake.previews.push({ current: options.current, urls: options.urls });
    },
    // The legacy canvas context: every draw() keeps the operations it painted.
    createCanvasContext(canvasId) {
      if (!fake.canvases[canvasId]) fake.canvases[canvasId] = { draws: [] };
      let ops = [];
      const record =
        (name) =>
        (...args) => {
          ops.push([name].concat(args));
        };
      return {
        setFillStyle: record('setFillStyle'),
        fillRect: record('fillRect'),
        clearRect: record('clearRect'),
        draw(reserve, callback) {
          fake.canvases[canvasId].draws.push(ops);
          ops = [];
          if (callback) deliver(callback);
        },
      };
    },
    // Files the mini-program writes (a printed PDF) and the documents it opens.
    env: { USER_DATA_PATH: 'wxfile://usr' },
    getFileSystemManager() {
      return {
        writeFile(options) {
          deliver(() => {
            if (fake.writeFails) {
              if (options.fail) options.fail({ errMsg: 'writeFile:fail no space' });
              return;
            }
            fake.files[options.filePath] = options.data;
            if (options.success) options.success({ errMsg: 'writeFile:ok' });
          });
        },
      };
    },
    openDocument(options) {
      fake.documents.push({
        filePath: options.filePath,
        fileType: options.fileType,
        showMenu: !!options.showMenu,
      });
      deliver(() => options.success && options.success({ errMsg: 'openDocument:ok' }));
    },
    setKeepScreenOn(options) {
      fake.screen.keepOn = !!options.keepScreenOn;
      fake.screenCalls.push(['keepOn', fake.screen.keepOn]);
      deliver(() => options.success && options.success({ errMsg: 'setKeepScreenOn:ok' }));
    },
    getScreenBrightness(options) {
      const value = fake.screen.brightness;
      deliver(() => options.success && options.success({ value }));
    },
    setScreenBrightness(options) {
      fake.screen.brightness = options.value;
      fake.screenCalls.push(['brightness', options.value]);
      deliver(() => options.success && options.success({ errMsg: 'setScreenBrightness:ok' }));
    },
    shareFileMessage(options) {
      fake.shared.push({ filePath: options.filePath, fileName: options.fileName });
      const answer = fake.shareAnswer;
      deliver(() => {
        if (answer === 'ok') options.success && options.success({ errMsg: 'shareFileMessage:ok' });
        else options.fail && options.fail({ errMsg: `shareFileMessage:fail ${answer}` });
      });
    },
    requestSubscribeMessage(options) {
      const ids = options.tmplIds || [];
      fake.subscribeCalls.push(ids.slice());
      const answer = fake.subscribeAnswer;
      deliver(() => {
        if (answer && answer.fail) {
          if (options.fail) options.fail({ errMsg: 'requestSubscribeMessage:fail cancel' });
          return;
        }
        const res = { errMsg: 'requestSubscribeMessage:ok' };
        ids.forEach((id) => {
          res[id] = typeof answer === 'string' ? answer : answer[id] || 'reject';
        });
        if (options.success) options.success(res);
      });
    },
    // WeChat's privacy check, as documented for wx.requirePrivacyAuthorize.
    onNeedPrivacyAuthorization(listener) {
      fake.privacyListener = listener;
    },
    requirePrivacyAuthorize(options) {
      fake.privacyRequests += 1;
      const fail = () =>
        options.fail &&
        options.fail({ errMsg: 'requirePrivacyAuthorize:fail privacy permission is not authorized' });
      if (fake.privacyAgreed) {
        deliver(() => options.success && options.success({ errMsg: 'requirePrivacyAuthorize:ok' }));
        return;
      }
      if (!fake.privacyListener) {
        deliver(fail); // the platform's own sheet, refused
        return;
      }
      const resolve = (answer) => {
        fake.privacyAnswers.push(clone(answer));
        if (!answer || answer.event === 'exposureAuthorization') return;
        if (answer.event === 'agree') {
          if (answer.buttonId !== 'agree-btn') {
            fake.violations.push(`privacy agreed with buttonId ${answer.buttonId}`);
          }
          fake.privacyAgreed = true;
          deliver(() => options.success && options.success({ errMsg: 'requirePrivacyAuthorize:ok' }));
        } else {
          deliver(fail);
        }
      };
      deliver(() => fake.privacyListener(resolve, { referrer: 'requirePrivacyAuthorize' }));
    },
    getPrivacySetting(options) {
      deliver(
        () =>
          options.success &&
          options.success({
            needAuthorization: !fake.privacyAgreed,
            privacyContractName: '《红色积分小程序隐私保护指引》',
          })
      );
    },
    openPrivacyContract(options) {
      fake.contractsOpened += 1;
      deliver(() => options && options.success && options.success({}));
    },
    // 转发: the menus a page enabled with wx.showShareMenu.
    showShareMenu(options) {
      fake.shareMenu = { menus: (options && options.menus) || [] };
    },
    vibrateShort() {},
    login(options) {
      fake.loginCalls += 1;
      deliver(() => {
        if (fake.loginFails) {
          if (options.fail) options.fail({ errMsg: 'login:fail' });
          return;
        }
        codeSeq += 1;
        if (options.success) options.success({ code: `wxcode-${codeSeq}`, errMsg: 'login:ok' });
      });
    },
    getStorageSync(key) {
      return storage.has(key) ? clone(storage.get(key)) : '';
    },
    setStorageSync(key, value) {
      storage.set(key, clone(value));
    },
    removeStorageSync(key) {
      storage.delete(key);
    },
    clearStorageSync() {
      storage.clear();
    },
    showToast(options) {
      fake.toasts.push({ title: options.title, icon: options.icon, duration: options.duration });
    },
    showModal(options) {
      fake.modals.push({
        title: options.title,
        content: options.content,
        confirmText: options.confirmText,
      });
      const answer = clone(fake.modalAnswer);
      deliver(() => options.success && options.success(answer));
    },
    showActionSheet(options) {
      fake.actionSheets.push({ itemList: options.itemList });
      const tapIndex = fake.actionSheetIndex;
      deliver(() => options.success && options.success({ tapIndex }));
    },
    setClipboardData(options) {
      fake.clipboard.push(options.data);
      deliver(() => options.success && options.success({}));
    },
    showLoading() {},
    hideLoading() {},
    stopPullDownRefresh() {},
    navigateTo(options) {
      fake.navigations.push({ type: 'navigateTo', url: options.url });
    },
    redirectTo(options) {
      fake.navigations.push({ type: 'redirectTo', url: options.url });
    },
    switchTab(options) {
      fake.navigations.push({ type: 'switchTab', url: options.url });
    },
    navigateBack(options) {
      fake.navigations.push({ type: 'navigateBack', delta: (options && options.delta) || 1 });
    },
  };

  fake.api = api;
  return fake;
}

// Put a fresh fake into the global `wx` that miniprogram-simulate provides, and point the
// client at the fake server with a clean session.
function installFakeWx({ baseUrl = BASE_URL, config: overrides = {} } = {}) {
  const fake = createFakeWx();
  fake.baseUrl = baseUrl.replace(/\/+$/, '');
  global.wx = Object.assign(global.wx || {}, fake.api);
  global.__fakeWx = fake;
  const config = require('../../config');
  const profile = require('../../utils/profile');
  config.reset();
  config.set(Object.assign({ baseUrl: fake.baseUrl }, overrides));
  profile.clear();
  require('../../utils/subscribe').clear();
  require('../../utils/home').reset();
  require('../../utils/privacy').clear();
  return fake;
}

module.exports = { BASE_URL, createFakeWx, installFakeWx };
