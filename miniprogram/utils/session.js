// The bearer token and when it expires, kept in storage so a restart stays logged in.

const TOKEN_KEY = 'rp_token';

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

module.exports = { TOKEN_KEY, getToken, setToken, clearToken };
