// A `wx` whose network calls reach a running API over HTTP (Node's fetch), as
// tools/smoke-flows.js does; downloaded photos are written to `downloadDir` so the
// screenshot shows them. Device APIs answer "cancelled" and dialogs are declined, so a page
// that asks something while loading does not wait forever.

const fs = require('fs');
const path = require('path');

const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const EXT = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'image/webp': '.webp',
};

function parseBody(text) {
  try {
    return text ? JSON.parse(text) : '';
  } catch (e) {
    return text; // not JSON: wx.request hands over the text
  }
}

function createLiveWx({ downloadDir }) {
  const storage = new Map();
  let downloads = 0;
  const cancel = (name) => (o) =>
    setTimeout(() => o.fail && o.fail({ errMsg: `${name}:fail cancel` }), 0);

  return {
    request(o) {
      const init = { method: o.method || 'GET', headers: o.header || {} };
      if (o.data !== undefined) init.body = JSON.stringify(o.data);
      init.signal = AbortSignal.timeout(o.timeout || 10000);
      fetch(o.url, init)
        .then(async (res) => {
          const out = { statusCode: res.status, data: parseBody(await res.text()), header: {} };
          if (o.success) o.success(out);
          if (o.complete) o.complete(out);
        })
        .catch((err) => o.fail && o.fail({ errMsg: `request:fail ${err.message}` }));
      return {};
    },
    uploadFile(o) {
      const form = new FormData();
      const png = Buffer.from(PNG_1PX, 'base64');
      form.append(o.name, new Blob([png], { type: 'image/png' }), 'photo.png');
      fetch(o.url, { method: 'POST', headers: o.header, body: form })
        .then(
          async (res) => o.success && o.success({ statusCode: res.status, data: await res.text() })
        )
        .catch((err) => o.fail && o.fail({ errMsg: `uploadFile:fail ${err.message}` }));
      return { onProgressUpdate() {}, abort() {} };
    },
    downloadFile(o) {
      fetch(o.url, { headers: o.header, signal: AbortSignal.timeout(o.timeout || 10000) })
        .then(async (res) => {
          const bytes = Buffer.from(await res.arrayBuffer());
          const type = String(res.headers.get('content-type') || '').split(';')[0];
          downloads += 1;
          const file = path.join(downloadDir, `download-${downloads}${EXT[type] || '.bin'}`);
          fs.writeFileSync(file, bytes);
          if (o.success) o.success({ statusCode: res.status, tempFilePath: file });
        })
        .catch((err) => o.fail && o.fail({ errMsg: `downloadFile:fail ${err.message}` }));
      return {};
    },
    login: (o) => setTimeout(() => o.fail && o.fail({ errMsg: 'login:fail not in WeChat' }), 0),
    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k, v) => storage.set(k, v),
    removeStorageSync: (k) => storage.delete(k),
    clearStorageSync: () => storage.clear(),
    showModal: (o) => setTimeout(() => o.success && o.success({ confirm: false, cancel: true }), 0),
    showActionSheet: cancel('showActionSheet'),
    scanCode: cancel('scanCode'),
    getLocation: cancel('getLocation'),
    chooseMedia: cancel('chooseMedia'),
  };
}

module.exports = { createLiveWx };
