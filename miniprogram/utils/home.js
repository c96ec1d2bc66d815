// The home a person lands on: merchant staff serve a queue at the counter, so the 任务 tab's
// first load of each app launch opens 商家核销 for them (back returns to the tabs).
// Residents stay on 任务.

const profile = require('./profile');

const COUNTER_URL = '/pages/merchant/index?from=home';
let decided = false;

// Called with the profile when the home tab has loaded it; true when it opened the counter.
function openCounterOnce(me) {
  if (decided) return false;
  decided = true;
  if (!profile.hasRole(me, 'merchant_staff')) return false;
  // navigateTo keeps 任务 underneath: the counter's 返回首页 and the back arrow lead there.
  wx.navigateTo({ url: COUNTER_URL });
  return true;
}

// A new launch (tests): decide again on the next home load.
function reset() {
  decided = false;
}

module.exports = { COUNTER_URL, openCounterOnce, reset };
