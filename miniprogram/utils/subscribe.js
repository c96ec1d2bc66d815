// Asking for subscribe messages at the moment a resident acts (sign-up, claim, reserve,
// report). wx.requestSubscribeMessage must run inside the tap, so the template ids come from a
// cache filled beforehand (storage, then the API); without them nothing is asked this time and
// the cache is filled for the next tap. Nothing here ever throws or delays the user's action:
// a refusal, a failed dialog or an unreachable API only means no message later.

const api = require('./api');

const STORAGE_KEY = 'subscribe_moments';
const RESULTS = ['accept', 'reject', 'ban', 'filter'];
const MAX_PER_REQUEST = 3; // WeChat's limit per wx.requestSubscribeMessage

let moments = null;

function cachedMoments() {
  if (moments) return moments;
  const stored = wx.getStorageSync(STORAGE_KEY);
  if (stored && typeof stored === 'object') moments = stored;
  return moments;
}

// Fetch the template ids of every moment; resolves to them, or null when the API fails.
function prefetch() {
  return api.getSubscriptions().then(
    (body) => {
      moments = body.moments || {};
      wx.setStorageSync(STORAGE_KEY, moments);
      return moments;
    },
    () => null
  );
}

// Fill the cache when a page that asks opens, so its first tap can ask.
function warm() {
  return cachedMoments() ? Promise.resolve(moments) : prefetch();
}

// What the user answered, for the ids asked only (the answer also carries errMsg).
function answered(ids, res) {
  const results = {};
  ids.forEach((id) => {
    if (res && RESULTS.indexOf(res[id]) >= 0) results[id] = res[id];
  });
  return results;
}

function report(results) {
  // Only an accept changes the count; answers without one are not worth a request.
  const ids = Object.keys(results);
  if (!ids.some((id) => results[id] === 'accept')) return Promise.resolve(null);
  return api.reportSubscriptions(results).then(
    () => results,
    () => results
  );
}

// Ask at `moment` ('signup', 'claim', 'reserve', 'report'); resolves to the results reported
// (or null), never rejects. Call it from the tap, before the action, without awaiting it.
function ask(moment) {
  const known = cachedMoments();
  const ids = ((known && known[moment]) || []).slice(0, MAX_PER_REQUEST);
  if (!known) prefetch();
  if (!ids.length || typeof wx.requestSubscribeMessage !== 'function') {
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    try {
      wx.requestSubscribeMessage({
        tmplIds: ids,
        success: (res) => report(answered(ids, res)).then(resolve),
        fail: () => resolve(null),
      });
    } catch (err) {
      resolve(null);
    }
  });
}

function clear() {
  moments = null;
  wx.removeStorageSync(STORAGE_KEY);
}

module.exports = { ask, warm, prefetch, clear, STORAGE_KEY };
