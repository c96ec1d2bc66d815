// The last balance the server gave, kept on the phone (wx storage is per WeChat user) so the
// 积分 and 兑换 tabs still show a figure when the network is down, marked 离线 · 更新于 HH:MM.

const format = require('./format');

const KEY = 'rp.lastBalance';

function read() {
  try {
    return wx.getStorageSync(KEY) || null;
  } catch (e) {
    return null;
  }
}

// Remember a successful answer: GET /points/balance, or /me's points ({balance, held,
// available}, without year_earned: the one remembered is kept while the figures agree).
function remember(points) {
  if (!points || typeof points.available !== 'number') return;
  const before = read();
  let yearEarned = typeof points.year_earned === 'number' ? points.year_earned : null;
  const same = before && ['balance', 'held', 'available'].every((k) => before[k] === points[k]);
  if (yearEarned === null && same) yearEarned = before.year_earned;
  try {
    wx.setStorageSync(KEY, {
      balance: points.balance,
      held: points.held,
      available: points.available,
      year_earned: typeof yearEarned === 'number' ? yearEarned : null,
      at: Date.now(),
    });
  } catch (e) {
    // A full phone only loses the offline copy.
  }
}

// 离线 · 更新于 09:30 (today) or 离线 · 更新于 11月20日 09:30 (an earlier day).
function offlineText(at, now = Date.now()) {
  const when = format.sameShanghaiDay(at, now) ? format.time(at) : format.dateTime(at);
  return `离线 · 更新于 ${when}`;
}

// The remembered figures with their offline line, or null when there are none.
function lastKnown(now = Date.now()) {
  const saved = read();
  if (!saved || typeof saved.available !== 'number' || typeof saved.at !== 'number') return null;
  return Object.assign({}, saved, { offline: offlineText(saved.at, now) });
}

// Only a failure to reach the server falls back to the copy; a refusal is the server's answer.
function isOffline(err) {
  return !!(err && err.isNetwork);
}

module.exports = { KEY, remember, lastKnown, offlineText, isOffline };
