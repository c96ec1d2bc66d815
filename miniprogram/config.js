// Where the mini-program finds its server, and the development shortcuts that only apply
// to a local server. Override at runtime from the DevTools console, e.g.
//   wx.setStorageSync('rp_base_url', 'http://192.168.1.20:8000')
//   wx.setStorageSync('rp_dev_identity', 'merchant-1')
// or from code with config.set({ baseUrl: 'https://api.example.cn' }).

const DEFAULTS = {
  // scripts/run serves the API here (gunicorn's default bind).
  baseUrl: 'http://127.0.0.1:8000',
  // In DevTools wx.login returns a real code that the local WeChat emulator does not know,
  // so against a local server the client logs in as this emulator identity instead.
  devIdentity: 'resident-1',
  // Same for the getPhoneNumber button: the emulator accepts `<11 digits>.<anything>`.
  devPhone: '13800138000',
  // wx.request has no PATCH (phones refuse it). PATCH goes out as POST with
  // X-HTTP-Method-Override: PATCH, which the server honours. false sends PATCH as is
  // (DevTools passes it through; only useful against a server without the override).
  methodOverride: true,
  timeout: 10000,
  // Photos on a slow mobile network take longer than a JSON call.
  uploadTimeout: 60000,
};

const STORAGE_KEYS = { baseUrl: 'rp_base_url', devIdentity: 'rp_dev_identity' };

let overrides = {};

function stored(key) {
  try {
    return typeof wx !== 'undefined' && wx.getStorageSync ? wx.getStorageSync(key) : '';
  } catch (e) {
    return '';
  }
}

function get() {
  const cfg = Object.assign({}, DEFAULTS, overrides);
  const baseUrl = stored(STORAGE_KEYS.baseUrl);
  const devIdentity = stored(STORAGE_KEYS.devIdentity);
  if (baseUrl && !overrides.baseUrl) cfg.baseUrl = baseUrl;
  if (devIdentity && !overrides.devIdentity) cfg.devIdentity = devIdentity;
  cfg.baseUrl = String(cfg.baseUrl).replace(/\/+$/, '');
  return cfg;
}

function set(values) {
  overrides = Object.assign({}, overrides, values);
}

function reset() {
  overrides = {};
}

// A local or LAN server is a development server backed by the WeChat emulator; the dev
// identity must never be used against a real deployment.
function isDevServer(url) {
  const u = url || get().baseUrl;
  return /^http:\/\/(127\.0\.0\.1|localhost|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+)(:\d+)?$/.test(u);
}

function setDevIdentity(identity) {
  wx.setStorageSync(STORAGE_KEYS.devIdentity, identity);
}

module.exports = { DEFAULTS, STORAGE_KEYS, get, set, reset, isDevServer, setDevIdentity };
