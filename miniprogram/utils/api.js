// The one module that talks to the server. Pages call the named functions below and never
// wx.request themselves, so login, retries and error handling live in one place.
//
// Every endpoint is declared once in ENDPOINTS (method + OpenAPI path template); a test
// checks each pair against schemas/openapi.json, so a server change that breaks the client
// fails CI.

const config = require('../config');
const session = require('./session');
const grid = require('./grid-api');
const cards = require('./cards-api');
const notices = require('./notices-api');
const subscribe = require('./subscribe-api');
const consoleLogin = require('./console-api');
const privacy = require('./privacy-api');
const credit = require('./credit-api');
const { binaryResponse } = require('./binary');

const ENDPOINTS = {
  // auth and profile
  login: { method: 'POST', path: '/api/v1/auth/wechat-login', auth: false },
  bindPhone: { method: 'POST', path: '/api/v1/auth/phone' },
  getMe: { method: 'GET', path: '/api/v1/me' },
  patchMe: { method: 'PATCH', path: '/api/v1/me' },
  listCommunities: { method: 'GET', path: '/api/v1/communities' },
  listGrids: { method: 'GET', path: '/api/v1/communities/{community_id}/grids' },
  joinCommunity: { method: 'POST', path: '/api/v1/communities/{community_id}/join' },
  listOrganisations: { method: 'GET', path: '/api/v1/communities/{community_id}/organisations' },
  // volunteer tasks
  listTasks: { method: 'GET', path: '/api/v1/tasks' },
  getTask: { method: 'GET', path: '/api/v1/tasks/{task_id}' },
  signUp: { method: 'POST', path: '/api/v1/tasks/{task_id}/signups' },
  cancelSignup: { method: 'DELETE', path: '/api/v1/tasks/{task_id}/signups/me' },
  listMySignups: { method: 'GET', path: '/api/v1/tasks/me/signups' },
  getMyHours: { method: 'GET', path: '/api/v1/tasks/me/hours' },
  listAttendees: { method: 'GET', path: '/api/v1/tasks/{task_id}/attendees' },
  getCheckinCode: { method: 'GET', path: '/api/v1/tasks/{task_id}/checkin-code' },
  checkin: { method: 'POST', path: '/api/v1/tasks/{task_id}/checkin' },
  checkout: { method: 'POST', path: '/api/v1/tasks/{task_id}/checkout' },
  markAttendance: { method: 'POST', path: '/api/v1/tasks/{task_id}/attendance' },
  completeTask: { method: 'POST', path: '/api/v1/tasks/{task_id}/complete', idempotent: true },
  getTaskRights: { method: 'GET', path: '/api/v1/tasks/me/rights' },
  createTask: { method: 'POST', path: '/api/v1/tasks' },
  editTask: { method: 'PATCH', path: '/api/v1/tasks/{task_id}' },
  // points
  getBalance: { method: 'GET', path: '/api/v1/points/balance' },
  listLedger: { method: 'GET', path: '/api/v1/points/ledger' },
  getRankings: { method: 'GET', path: '/api/v1/rankings' },
  listPointCategories: { method: 'GET', path: '/api/v1/points/categories' },
  listPointItems: { method: 'GET', path: '/api/v1/points/items' },
  createClaim: { method: 'POST', path: '/api/v1/points/claims', idempotent: true },
  listClaims: { method: 'GET', path: '/api/v1/points/claims' },
  getClaim: { method: 'GET', path: '/api/v1/points/claims/{claim_id}' },
  approveClaim: {
    method: 'POST',
    path: '/api/v1/points/claims/{claim_id}/approve',
    idempotent: true,
  },
  rejectClaim: {
    method: 'POST',
    path: '/api/v1/points/claims/{claim_id}/reject',
    idempotent: true,
  },
  resubmitClaim: {
    method: 'POST',
    path: '/api/v1/points/claims/{claim_id}/resubmit',
    idempotent: true,
  },
  // photos: multipart upload and authenticated download (wx.uploadFile / wx.downloadFile)
  uploadPhoto: { method: 'POST', path: '/api/v1/uploads', transport: 'upload' },
  downloadUpload: { method: 'GET', path: '/api/v1/uploads/{upload_id}', transport: 'download' },
  // rewards
  listOffers: { method: 'GET', path: '/api/v1/offers' },
  getOffer: { method: 'GET', path: '/api/v1/offers/{offer_id}' },
  getRedemptionWindow: { method: 'GET', path: '/api/v1/redemption-windows/current' },
  reserve: { method: 'POST', path: '/api/v1/redemptions', idempotent: true },
  listRedemptions: { method: 'GET', path: '/api/v1/redemptions' },
  getRedemption: { method: 'GET', path: '/api/v1/redemptions/{redemption_id}' },
  cancelRedemption: { method: 'DELETE', path: '/api/v1/redemptions/{redemption_id}' },
  getRedemptionCode: { method: 'GET', path: '/api/v1/redemptions/{redemption_id}/code' },
  // merchant staff
  previewVerify: { method: 'POST', path: '/api/v1/merchant/verify/preview' },
  verify: { method: 'POST', path: '/api/v1/merchant/verify', idempotent: true },
  listMerchantRedemptions: { method: 'GET', path: '/api/v1/merchant/redemptions' },
  getMerchantStatement: { method: 'GET', path: '/api/v1/merchant/statement' },
  getMerchantStatementXlsx: {
    method: 'GET',
    path: '/api/v1/merchant/statement.xlsx',
    transport: 'binary',
  },
};
// The grid's, the point cards', the notices', the subscriptions' and the console login's
// endpoints live in their own tables.
Object.assign(
  ENDPOINTS,
  grid.ENDPOINTS,
  cards.ENDPOINTS,
  notices.ENDPOINTS,
  subscribe.ENDPOINTS,
  consoleLogin.ENDPOINTS,
  privacy.ENDPOINTS,
  credit.ENDPOINTS
);

// The methods wx.request accepts; anything else needs the override header.
const WX_METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT'];

const NETWORK_MESSAGE = '网络连接失败，请检查网络后重试';
const STATUS_MESSAGES = {
  400: '请求有误',
  401: '请先登录',
  403: '您没有权限进行此操作',
  404: '内容不存在或已删除',
  409: '操作与当前状态冲突',
  413: '提交的内容过大',
  422: '提交的内容有误，请检查后重试',
  429: '操作过于频繁，请稍后再试',
};
const SERVER_MESSAGE = '系统繁忙，请稍后重试';

class ApiError extends Error {
  constructor(code, message, status, details) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status || 0;
    this.details = details || {};
  }

  get isNetwork() {
    return this.code === 'network_error';
  }
}

function fillPath(template, params) {
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    const value = params && params[name];
    if (value === undefined || value === null || value === '') {
      throw new Error(`missing path parameter ${name} for ${template}`);
    }
    return encodeURIComponent(String(value));
  });
}

function queryString(query) {
  if (!query) return '';
  const parts = Object.keys(query)
    .filter((k) => query[k] !== undefined && query[k] !== null && query[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(String(query[k]))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function errorFromResponse(res) {
  const status = res.statusCode;
  const body = res.data;
  if (body && typeof body === 'object' && body.error && body.error.code) {
    const { code, message, details } = body.error;
    const text = message || STATUS_MESSAGES[status] || SERVER_MESSAGE;
    return new ApiError(code, text, status, details);
  }
  // Not our envelope: a proxy page or an empty body. Say what the status means.
  return new ApiError(`http_${status}`, STATUS_MESSAGES[status] || SERVER_MESSAGE, status, {});
}

function wireFor(method, header) {
  // wx.request has no PATCH: send it as POST with the override header the server honours.
  if (WX_METHODS.indexOf(method) < 0 && config.get().methodOverride) {
    header['X-HTTP-Method-Override'] = method;
    return 'POST';
  }
  return method;
}

function authHeader(token, extraHeaders) {
  const header = Object.assign({}, extraHeaders || {});
  if (token) header.Authorization = `Bearer ${token}`;
  return header;
}

function networkError(err) {
  return new ApiError('network_error', NETWORK_MESSAGE, 0, { errMsg: err && err.errMsg });
}

// One wx.request as a promise of the raw response; only transport failures reject.
function send(method, url, data, token, extraHeaders, responseType) {
  const cfg = config.get();
  const header = authHeader(
    token,
    Object.assign({ 'content-type': 'application/json' }, extraHeaders)
  );
  const wireMethod = wireFor(method, header);
  return new Promise((resolve, reject) => {
    const options = {
      url: cfg.baseUrl + url,
      method: wireMethod,
      header,
      timeout: cfg.timeout,
      dataType: 'json',
      success: (res) => resolve(res),
      fail: (err) => reject(networkError(err)),
    };
    if (data !== undefined && method !== 'GET') options.data = data;
    if (responseType) Object.assign(options, { responseType, dataType: 'other' });
    wx.request(options);
  });
}

// One wx.uploadFile (multipart, field `file`); its body arrives as a string.
function sendUpload(url, token, extraHeaders, { filePath, onProgress, formData }) {
  const cfg = config.get();
  return new Promise((resolve, reject) => {
    const task = wx.uploadFile({
      url: cfg.baseUrl + url,
      filePath,
      name: 'file',
      formData: formData || {},
      header: authHeader(token, extraHeaders),
      timeout: cfg.uploadTimeout,
      success: (res) => {
        let body = res.data;
        if (typeof body === 'string' && body) {
          try {
            body = JSON.parse(body);
          } catch (e) {
            // Not JSON (a proxy's page): errorFromResponse says what the status means.
          }
        }
        resolve({ statusCode: res.statusCode, data: body });
      },
      fail: (err) => reject(networkError(err)),
    });
    if (onProgress && task && task.onProgressUpdate) {
      task.onProgressUpdate((p) => onProgress(p.progress));
    }
  });
}

// One wx.downloadFile with the bearer header (an <image> cannot send one); the file lands in
// a temporary path the page can show.
function sendDownload(url, token, extraHeaders) {
  const cfg = config.get();
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url: cfg.baseUrl + url,
      header: authHeader(token, extraHeaders),
      timeout: cfg.timeout,
      success: (res) =>
        resolve({
          statusCode: res.statusCode,
          // The body of a refusal is in the file; its status says enough for a photo.
          data:
            res.statusCode >= 200 && res.statusCode < 300
              ? { tempFilePath: res.tempFilePath }
              : null,
        }),
      fail: (err) => reject(networkError(err)),
    });
  });
}

function perform(ep, url, data, token, headers, extra) {
  if (ep.transport === 'upload') return sendUpload(url, token, headers, extra);
  if (ep.transport === 'download') return sendDownload(url, token, headers);
  if (ep.transport === 'binary') {
    return send(ep.method, url, data, token, headers, 'arraybuffer').then(binaryResponse);
  }
  return send(ep.method, url, data, token, headers);
}

function unwrap(res) {
  if (res.statusCode >= 200 && res.statusCode < 300) {
    return res.statusCode === 204 ? null : res.data;
  }
  throw errorFromResponse(res);
}

let loginSeq = 0;

function loginCode() {
  const cfg = config.get();
  if (cfg.devIdentity && config.isDevServer(cfg.baseUrl)) {
    // The local emulator logs `<identity>.<anything>` in as <identity>; codes are single-use.
    loginSeq += 1;
    return Promise.resolve(`${cfg.devIdentity}.${Date.now()}-${loginSeq}`);
  }
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) =>
        res && res.code
          ? resolve(res.code)
          : reject(new ApiError('wx_login_failed', '微信登录失败，请稍后重试', 0)),
      fail: () => reject(new ApiError('wx_login_failed', '微信登录失败，请稍后重试', 0)),
    });
  });
}

let loginInFlight = null;

// Log in (again). Concurrent callers share one login so a burst of 401s costs one code.
function login() {
  if (!loginInFlight) {
    loginInFlight = (async () => {
      const code = await loginCode();
      const ep = ENDPOINTS.login;
      const header = { 'X-Device-Id': session.getDeviceId() };
      const result = unwrap(await send(ep.method, ep.path, { code }, null, header));
      session.setToken(result.token, result.expires_in);
      return result;
    })();
    const clear = () => {
      loginInFlight = null;
    };
    loginInFlight.then(clear, clear);
  }
  return loginInFlight;
}

function newIdempotencyKey() {
  const rand = Math.random().toString(36).slice(2, 12);
  return `mp-${Date.now().toString(36)}-${rand}`;
}

// Call a declared endpoint. On a 401 the token is dropped, the user is logged in again
// silently and the request is retried once (with the same Idempotency-Key, if any).
// `upload` carries {filePath, onProgress} for the multipart endpoint; `actingFor` a card
// holder's id, sent as X-Acting-For and refused here for routes that do not take it.
async function call(name, { params, query, data, idempotencyKey, upload, actingFor } = {}) {
  const ep = ENDPOINTS[name];
  if (!ep) throw new Error(`unknown endpoint ${name}`);
  const url = fillPath(ep.path, params) + queryString(query);
  const headers = {};
  if (actingFor !== undefined && actingFor !== null) {
    if (!cards.acceptsActing(name)) throw new ApiError('acting_not_allowed', '此操作不能代办', 0);
    headers['X-Acting-For'] = String(actingFor);
  }
  if (idempotencyKey || ep.idempotent) {
    headers['Idempotency-Key'] = idempotencyKey || newIdempotencyKey();
  }
  if (ep.auth === false) return unwrap(await perform(ep, url, data, null, headers, upload));

  let token = session.getToken();
  if (!token) {
    await login();
    token = session.getToken();
  }
  let res = await perform(ep, url, data, token, headers, upload);
  if (res.statusCode === 401) {
    session.clearToken();
    await login();
    res = await perform(ep, url, data, session.getToken(), headers, upload);
  }
  return unwrap(res);
}

function errorMessage(err) {
  if (err instanceof ApiError) return err.message;
  return '出错了，请稍后重试';
}

// Tell the user what went wrong: a network failure offers to retry (when the caller can),
// anything else is a short toast with the server's Chinese message.
function showError(err, { onRetry } = {}) {
  const message = errorMessage(err);
  if (err instanceof ApiError && err.isNetwork && onRetry) {
    wx.showModal({
      title: '网络异常',
      content: message,
      confirmText: '重试',
      cancelText: '取消',
      success: (res) => {
        if (res && res.confirm) onRetry();
      },
    });
    return message;
  }
  wx.showToast({ title: message, icon: 'none', duration: 2500 });
  return message;
}

const byId = (name, key) => (id, extra) =>
  call(name, Object.assign({ params: { [key]: id } }, extra || {}));

const api = {
  ENDPOINTS,
  WX_METHODS,
  ApiError,
  NETWORK_MESSAGE,
  call,
  login,
  errorMessage,
  showError,
  newIdempotencyKey,
  // auth and profile
  bindPhone: (code) => call('bindPhone', { data: { code } }),
  getMe: () => call('getMe'),
  patchMe: (changes) => call('patchMe', { data: changes }),
  listCommunities: (query) => call('listCommunities', { query }),
  listGrids: (communityId, query) =>
    call('listGrids', { params: { community_id: communityId }, query }),
  joinCommunity: (communityId, gridId) =>
    call('joinCommunity', {
      params: { community_id: communityId },
      data: { grid_id: gridId === undefined ? null : gridId },
    }),
  listOrganisations: (communityId, query) =>
    call('listOrganisations', { params: { community_id: communityId }, query }),
  // volunteer tasks
  listTasks: (query) => call('listTasks', { query }),
  getTask: (taskId) => call('getTask', { params: { task_id: taskId } }),
  signUp: (taskId) => call('signUp', { params: { task_id: taskId } }),
  cancelSignup: (taskId) => call('cancelSignup', { params: { task_id: taskId } }),
  listMySignups: (query) => call('listMySignups', { query }),
  getMyHours: () => call('getMyHours'),
  listAttendees: (taskId, query) => call('listAttendees', { params: { task_id: taskId }, query }),
  getCheckinCode: (taskId) => call('getCheckinCode', { params: { task_id: taskId } }),
  checkin: (taskId, token, location) =>
    call('checkin', { params: { task_id: taskId }, data: attendanceBody(token, location) }),
  checkout: (taskId, token, location) =>
    call('checkout', { params: { task_id: taskId }, data: attendanceBody(token, location) }),
  markAttendance: (taskId, userId) =>
    call('markAttendance', { params: { task_id: taskId }, data: { user_id: userId } }),
  completeTask: (taskId) => call('completeTask', { params: { task_id: taskId } }),
  getTaskRights: () => call('getTaskRights'),
  createTask: (body) => call('createTask', { data: body }),
  editTask: (taskId, changes) => call('editTask', { params: { task_id: taskId }, data: changes }),
  // points
  getBalance: () => call('getBalance'),
  listLedger: (query) => call('listLedger', { query }),
  getRankings: (query) => call('getRankings', { query }),
  listPointCategories: (query) => call('listPointCategories', { query }),
  listPointItems: (query) => call('listPointItems', { query }),
  createClaim: (claim, idempotencyKey) => call('createClaim', { data: claim, idempotencyKey }),
  listClaims: (query) => call('listClaims', { query }),
  getClaim: (claimId) => call('getClaim', { params: { claim_id: claimId } }),
  approveClaim: (claimId, reason) =>
    call('approveClaim', { params: { claim_id: claimId }, data: reason ? { reason } : {} }),
  rejectClaim: (claimId, reason) =>
    call('rejectClaim', { params: { claim_id: claimId }, data: { reason } }),
  resubmitClaim: (claimId, claim, idempotencyKey) =>
    call('resubmitClaim', { params: { claim_id: claimId }, data: claim, idempotencyKey }),
  // The only place that calls wx.uploadFile: one photo, progress in percent.
  upload: (filePath, { onProgress } = {}) =>
    call('uploadPhoto', { upload: { filePath, onProgress } }),
  uploadPhoto: (filePath, options) => api.upload(filePath, options),
  // An avatar (头像): no community needed, stored small; saved with patchMe({avatar_url: url}).
  uploadAvatar: (filePath) =>
    call('uploadPhoto', { upload: { filePath }, query: { purpose: 'avatar' } }),
  // An upload's image through wx.downloadFile with the bearer header; resolves to a temp path.
  download: (uploadId) =>
    call('downloadUpload', { params: { upload_id: uploadId } }).then((r) => r.tempFilePath),
  downloadUpload: (uploadId) => api.download(uploadId),
  // rewards
  listOffers: (query) => call('listOffers', { query }),
  getOffer: (offerId) => call('getOffer', { params: { offer_id: offerId } }),
  getRedemptionWindow: () => call('getRedemptionWindow'),
  // One key per tap: a retried request (silent re-login, 重试) keeps it, a new tap gets a new one.
  reserve: (offerId, idempotencyKey) =>
    call('reserve', { data: { offer_id: offerId }, idempotencyKey }),
  listRedemptions: (query) => call('listRedemptions', { query }),
  getRedemption: byId('getRedemption', 'redemption_id'),
  cancelRedemption: byId('cancelRedemption', 'redemption_id'),
  getRedemptionCode: byId('getRedemptionCode', 'redemption_id'),
  // merchant staff
  previewVerify: (token) => call('previewVerify', { data: { token } }),
  // One key per scanned code: 重试 after a lost answer gets the first result, not a 409.
  verify: (token, idempotencyKey) => call('verify', { data: { token }, idempotencyKey }),
  listMerchantRedemptions: (query) => call('listMerchantRedemptions', { query }),
  getMerchantStatement: (query) => call('getMerchantStatement', { query }),
  // The month's statement as xlsx bytes (an ArrayBuffer), fetched with the bearer header.
  getMerchantStatementXlsx: (query) => call('getMerchantStatementXlsx', { query }),
};

function attendanceBody(token, location) {
  const body = { token };
  if (location) {
    body.location = { latitude: location.latitude, longitude: location.longitude };
    if (typeof location.accuracy === 'number') body.location.accuracy = location.accuracy;
  }
  return body;
}

Object.assign(
  api,
  grid.gridFunctions(call),
  cards.cardFunctions(call, { attendanceBody }),
  notices.noticeFunctions(call),
  subscribe.subscribeFunctions(call),
  consoleLogin.consoleFunctions(call),
  privacy.privacyFunctions(call),
  credit.creditFunctions(call)
);

module.exports = api;
