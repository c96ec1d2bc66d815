// A code shown across a counter: while it is on screen the phone stays awake and at full
// brightness; the person's own brightness comes back when it goes away.
// One state per page (`owner`), so a restore racing the brightness read never leaves it at 1.
// Each API is checked first: DevTools' headless runs and the screenshot tool lack some.

function brighten(owner) {
  if (owner._screenLit) return;
  const lit = { restoreTo: null, over: false };
  owner._screenLit = lit;
  if (wx.setKeepScreenOn) wx.setKeepScreenOn({ keepScreenOn: true });
  if (!wx.getScreenBrightness || !wx.setScreenBrightness) return;
  wx.getScreenBrightness({
    success: (res) => {
      if (lit.over) return; // already restored: leave the person's brightness alone
      lit.restoreTo = res.value;
      wx.setScreenBrightness({ value: 1 });
    },
  });
}

function restore(owner) {
  const lit = owner._screenLit;
  if (!lit) return;
  owner._screenLit = null;
  lit.over = true;
  if (wx.setKeepScreenOn) wx.setKeepScreenOn({ keepScreenOn: false });
  if (lit.restoreTo !== null && wx.setScreenBrightness) {
    wx.setScreenBrightness({ value: lit.restoreTo });
  }
}

module.exports = { brighten, restore };
