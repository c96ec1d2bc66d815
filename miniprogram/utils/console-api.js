// Login to the office console by scanning (扫码登录办公台): the scanned code's scene names a
// browser's login request; the staff member reads it, then confirms or cancels. One table
// merged into api.js's ENDPOINTS, like utils/subscribe-api.js.

const ENDPOINTS = {
  getConsoleLogin: { method: 'GET', path: '/api/v1/console-logins/{scene}' },
  confirmConsoleLogin: { method: 'POST', path: '/api/v1/console-logins/{scene}/confirm' },
  cancelConsoleLogin: { method: 'POST', path: '/api/v1/console-logins/{scene}/cancel' },
};

function consoleFunctions(call) {
  const byScene = (name) => (scene) => call(name, { params: { scene } });
  return {
    getConsoleLogin: byScene('getConsoleLogin'),
    confirmConsoleLogin: byScene('confirmConsoleLogin'),
    cancelConsoleLogin: byScene('cancelConsoleLogin'),
  };
}

module.exports = { ENDPOINTS, consoleFunctions };
