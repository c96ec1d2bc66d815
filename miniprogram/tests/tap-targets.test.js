// Tap targets are at least 44 px (88rpx) high: every page's and component's WXSS, and
// app.wxss, is checked against the classes its templates make tappable (bindtap / catchtap,
// buttons, inputs and pickers; tests/helpers/tap-targets.js).

const fs = require('fs');
const path = require('path');
const {
  classTokens,
  tappableClasses,
  rpx,
  subjectClasses,
  violations,
} = require('./helpers/tap-targets');

const ROOT = path.resolve(__dirname, '..');

function units() {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));
  const pages = app.pages.map((p) => path.dirname(p));
  const components = fs.readdirSync(path.join(ROOT, 'components')).map((c) => `components/${c}`);
  return pages.concat(components).map((dir) => {
    const read = (ext) => {
      const file = path.join(ROOT, dir, `index.${ext}`);
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    };
    return { dir, wxml: read('wxml'), wxss: read('wxss') };
  });
}

describe('the checker', () => {
  test('finds tappable classes in bindtap, catchtap and buttons, also inside {{ }}', () => {
    const wxml = `
      <view class="a {{on ? 'a--on' : ''}}" bindtap="x">A</view>
      <text class="b" catchtap="y">B</text>
      <button class="c" open-type="share">C</button>
      <view class="d" bind:tap="z"></view>
      <input class="e" bindinput="w" />
      <view class="not-me" bindlongpress="w"></view>
      <!-- <view class="commented" bindtap="q"></view> -->`;
    expect([...tappableClasses(wxml)].sort()).toEqual(['a', 'a--on', 'b', 'c', 'd', 'e']);
    expect(classTokens("btn {{busy ? 'btn--disabled' : ''}}")).toEqual(['btn--disabled', 'btn']);
  });

  test('reads lengths in rpx and px, and the subject of a selector', () => {
    expect(rpx('56rpx')).toBe(56);
    expect(rpx('40px')).toBe(80);
    expect(rpx('1.5')).toBeNull();
    expect(subjectClasses('.footer .btn.btn--small')).toEqual(['btn', 'btn--small']);
    expect(subjectClasses('button.btn::after')).toEqual([]);
  });

  test('flags short tappable rules unless they keep a min-height of 88rpx', () => {
    const tappable = new Set(['go', 'chip']);
    const wxss = `
      .go { height: 56rpx; line-height: 56rpx; }
      .chip { height: 40px; }
      .ok { height: 20rpx; }
      .go.big { height: 60rpx; min-height: 88rpx; }
      .list .chip { line-height: 44px; }
      @keyframes spin { to { height: 10rpx; } }`;
    expect(violations(wxss, tappable)).toEqual([
      '.go { height: 56rpx; line-height: 56rpx }',
      '.chip { height: 40px }',
    ]);
  });
});

describe('the mini-program', () => {
  const all = units();

  test('pages and components size their own tap targets at least 88rpx high', () => {
    const found = {};
    for (const unit of all) {
      const bad = violations(unit.wxss, tappableClasses(unit.wxml));
      if (bad.length) found[unit.dir] = bad;
    }
    expect(found).toEqual({});
  });

  test("app.wxss's shared classes keep every page's tap targets 88rpx high", () => {
    const tappable = new Set();
    for (const unit of all) tappableClasses(unit.wxml).forEach((c) => tappable.add(c));
    const appWxss = fs.readFileSync(path.join(ROOT, 'app.wxss'), 'utf8');
    expect(violations(appWxss, tappable)).toEqual([]);
  });
});
