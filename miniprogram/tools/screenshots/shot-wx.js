// The `wx` a page sees while it is photographed: the base wx (live HTTP or the test fake)
// with every network call counted, so the tool knows when the page has settled, and bent
// into one of the states the pictures show:
//   normal   every call goes through
//   hold     no call is ever answered (the page as it looks before the first answer)
//   offline  every call fails with errMsg "request:fail" (no network)
//   fail     calls matching `match(method, path)` get `status` with a proxy's HTML page
// Canvas drawings are recorded so the picture can paint them.

const UI_NOOPS = [
  'showLoading',
  'hideLoading',
  'stopPullDownRefresh',
  'navigateTo',
  'redirectTo',
  'switchTab',
  'navigateBack',
  'previewImage',
  'vibrateShort',
  'setNavigationBarTitle',
];

const NET = { request: 'request', uploadFile: 'uploadFile', downloadFile: 'downloadFile' };

function createShotWx(base) {
  let mode = { kind: 'normal' };
  const shot = {
    pending: 0,
    toasts: [],
    canvases: {},
    setMode(next) {
      mode = next || { kind: 'normal' };
    },
    reset() {
      shot.toasts = [];
      shot.canvases = {};
    },
    // Resolve once no call has been outstanding for a few polls in a row; false on timeout.
    async settle({ timeoutMs = 15000, quietPolls = 5 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let quiet = 0;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        quiet = shot.pending === 0 ? quiet + 1 : 0;
        if (quiet >= quietPolls) return true;
      }
      return false;
    },
  };

  const api = {};
  for (const name of UI_NOOPS) api[name] = () => {};
  Object.assign(api, base);
  api.showToast = (o) => shot.toasts.push(o.title);

  function counted(o) {
    shot.pending += 1;
    let done = false;
    const finish = (fn) => (res) => {
      if (!done) {
        done = true;
        shot.pending -= 1;
      }
      if (fn) fn(res);
    };
    return Object.assign({}, o, { success: finish(o.success), fail: finish(o.fail) });
  }

  for (const name of Object.keys(NET)) {
    api[name] = (o) => {
      const task = { onProgressUpdate() {}, abort() {} };
      if (mode.kind === 'hold') return task;
      const header = o.header || {};
      const method = String(
        header['X-HTTP-Method-Override'] || o.method || (name === 'uploadFile' ? 'POST' : 'GET')
      ).toUpperCase();
      const urlPath = new URL(o.url).pathname;
      const call = counted(o);
      if (mode.kind === 'offline') {
        setTimeout(() => call.fail({ errMsg: `${NET[name]}:fail` }), 0);
        return task;
      }
      if (mode.kind === 'fail' && mode.match(method, urlPath)) {
        const data = `<html><body><h1>${mode.status}</h1></body></html>`;
        setTimeout(() => call.success({ statusCode: mode.status, data, header: {} }), 0);
        return task;
      }
      return base[name](call) || task;
    };
  }

  // The classic canvas context: each draw() keeps the operations painted since the last.
  api.createCanvasContext = (canvasId) => {
    let ops = [];
    const record =
      (op) =>
      (...args) =>
        ops.push([op, ...args]);
    return {
      setFillStyle: record('setFillStyle'),
      fillRect: record('fillRect'),
      clearRect: record('clearRect'),
      draw(reserve, callback) {
        shot.canvases[canvasId] = reserve ? (shot.canvases[canvasId] || []).concat(ops) : ops;
        ops = [];
        if (callback) setTimeout(callback, 0);
      },
    };
  };

  shot.api = api;
  return shot;
}

module.exports = { createShotWx };
