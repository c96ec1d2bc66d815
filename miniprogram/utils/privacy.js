// WeChat's 隐私保护指引 (base library ≥ 2.32.3). Before a privacy API (binding the phone,
// choosing photos or an avatar) a page calls ensure(): wx.requirePrivacyAuthorize answers at
// once when the user agreed before; otherwise WeChat raises onNeedPrivacyAuthorization, which
// this module hands to the <privacy-guide> of the page on screen (the user reads the guide and
// taps 同意 or 拒绝). Without these APIs (older base libraries) everything goes ahead as before.

const guides = []; // mounted privacy-guide components, the one on screen last
let listening = false;

const REFUSED = '您未同意隐私保护指引，无法继续';

function listen() {
  if (listening || typeof wx.onNeedPrivacyAuthorization !== 'function') return;
  listening = true;
  wx.onNeedPrivacyAuthorization((resolve, eventInfo) => {
    const guide = guides[guides.length - 1];
    if (guide && guide.visible) {
      guide.open(resolve, eventInfo);
      return;
    }
    // A page without the guide cannot collect the agreement (the 同意 button must be tapped).
    resolve({ event: 'disagree' });
    wx.showModal({
      title: '需要同意隐私保护指引',
      content: '请在「我的」页阅读并同意隐私保护指引后再试。',
      showCancel: false,
      confirmText: '知道了',
    });
  });
}

// A guide mounts (or its page shows again): it is the one that opens on the next request.
function raiseGuide(guide) {
  const i = guides.indexOf(guide);
  if (i >= 0) guides.splice(i, 1);
  guides.push(guide);
  guide.visible = true;
  listen();
}

function hideGuide(guide) {
  guide.visible = false;
}

function dropGuide(guide) {
  const i = guides.indexOf(guide);
  if (i >= 0) guides.splice(i, 1);
}

// Resolves true when the user has agreed (now or before, or the base library has no privacy
// check), false when they refused: the caller then stops and says so.
function ensure() {
  if (typeof wx.requirePrivacyAuthorize !== 'function') return Promise.resolve(true);
  listen();
  return new Promise((resolve) => {
    wx.requirePrivacyAuthorize({
      success: () => resolve(true),
      fail: () => resolve(false),
    });
  });
}

// Whether the user still has to agree (false when the API is absent or the answer fails).
function pending() {
  if (typeof wx.getPrivacySetting !== 'function') return Promise.resolve(false);
  return new Promise((resolve) => {
    wx.getPrivacySetting({
      success: (res) => resolve(!!(res && res.needAuthorization)),
      fail: () => resolve(false),
    });
  });
}

// A privacy API refused because the user did not agree (its errMsg says so).
function isRefusal(errMsg) {
  return /privacy permission is not authorized/.test(String(errMsg || ''));
}

// Tests install a fresh wx: forget its listener and the guides of earlier pages.
function clear() {
  guides.length = 0;
  listening = false;
}

module.exports = { REFUSED, ensure, pending, isRefusal, raiseGuide, hideGuide, dropGuide, clear };
