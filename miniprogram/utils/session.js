// The bearer token and when it expires, kept in storage so a restart stays logged in.

const TOKEN_KEY = 'rp_token';
// A random id made once per install: the server limits logins per device with it, so many
// residents behind one community Wi-Fi are never counted as one client.
const DEVICE_KEY = 'rp_device_id';

function getToken() {
  const saved = wx.getStorageSync(TOKEN_KEY);
  if (!saved || !saved.token) return null;
  // Treat a token within a minute of expiry as gone: a fresh login is cheaper than a 401.
  if (saved.expiresAt && Date.now() > saved.expiresAt - 60 * 1000) return null;
  return saved.token;
}

function setToken(token, expiresIn) {
  const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : null;
  wx.setStorageSync(TOKEN_KEY, { token, expiresAt });
}

function clearToken() {
  wx.removeStorageSync(TOKEN_KEY);
}

function getDeviceId() {
  let id = wx.getStorageSync(DEVICE_KEY);
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    const rand = () => Math.random().toString(36).slice(2, 12);
    id = `d-${Date.now().toString(36)}-${rand()}${rand()}`;
    wx.setStorageSync(DEVICE_KEY, id);
  }
  return id;
}

module.exports = { TOKEN_KEY, DEVICE_KEY, getToken, setToken, clearToken, getDeviceId };
