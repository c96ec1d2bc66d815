/**
 * @jest-environment node
 */
// tools/screenshots: WXSS and WXML become a phone-sized HTML page, PNGs are checked whole,
// and the tool itself runs (its --check mode against the fake server, as CI does).

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { wxssToCss, rpxToPx } = require('../tools/screenshots/wxss-css');
const { treeToHtml } = require('../tools/screenshots/wxml-html');
const { readPng } = require('../tools/screenshots/png');
const { shotsFor } = require('../tools/screenshots/plan');

const ROOT = path.resolve(__dirname, '..');
const TOOL = path.join(ROOT, 'tools/screenshots');
const run = (args) =>
  spawnSync(process.execPath, [TOOL, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 80000 });

test('rpx become px at 375 px wide and wx selectors become the classes the HTML carries', () => {
  expect(rpxToPx('padding: 24rpx 1rpx -8rpx 0')).toBe('padding: 12px 0.5px -4px 0');
  const css = wxssToCss('page { font-size: 30rpx; }\n/* c */\n.a view, button.btn::after { x: 1 }');
  expect(css).toContain('.wx-page { font-size: 15px; }');
  expect(css).toContain('.a .wx-view, .wx-button.btn::after { x: 1 }');
  expect(css).not.toContain('/* c */');
});

test('wx tags become HTML, unknown photos grey boxes, canvas drawings SVG', () => {
  const tree = {
    tagName: 'view',
    attrs: [{ name: 'class', value: 'card' }],
    children: [
      { tagName: 'text', attrs: [], children: ['<积分>'] },
      { tagName: 'image', attrs: [{ name: 'src', value: 'wxfile://tmp/1' }], children: [] },
      { tagName: 'image', attrs: [{ name: 'src', value: '/images/tab-me.png' }], children: [] },
      { tagName: 'input', attrs: [{ name: 'placeholder', value: '搜索' }], children: [] },
      { tagName: 'canvas', attrs: [{ name: 'canvasId', value: 'qr' }], children: [] },
    ],
  };
  const ops = [
    ['setFillStyle', '#1f1f1f'],
    ['fillRect', 0, 0, 10, 10],
  ];
  const html = treeToHtml(tree, { root: ROOT, canvases: { qr: ops } });
  expect(html).toMatch(/^<div class="wx-view card">/);
  expect(html).toContain('<span class="wx-text">&lt;积分&gt;</span>');
  expect(html).toContain('<div class="wx-image mp-img-missing">');
  expect(html).toMatch(/<img class="wx-image" src="file:\/\/\/.+\/images\/tab-me\.png">/);
  expect(html).toContain('<input class="wx-input" placeholder="搜索">');
  expect(html).toContain('<rect x="0" y="0" width="10" height="10" fill="#1f1f1f"/>');
});

test('a PNG is accepted only when whole', () => {
  const icon = path.join(ROOT, 'images/tab-me.png');
  expect(readPng(icon).width).toBeGreaterThan(0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-png-'));
  const bytes = fs.readFileSync(icon);
  const cut = path.join(dir, 'cut.png');
  fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 20));
  expect(() => readPng(cut)).toThrow(/truncated|IEND/);
  const flipped = Buffer.from(bytes);
  flipped[bytes.length - 20] ^= 0xff; // in the image data, before IEND: its CRC fails
  const bad = path.join(dir, 'bad.png');
  fs.writeFileSync(bad, flipped);
  expect(() => readPng(bad)).toThrow(/CRC/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the tab pages and my-claims are also shown loading, empty, failing and offline', () => {
  const shots = shotsFor(['tasks', 'me', 'my-claims', 'merchant']);
  expect(shots.filter((s) => s.page === 'tasks').map((s) => s.state)).toEqual([
    'default',
    'loading',
    'empty',
    'error',
    'offline',
  ]);
  expect(shots.find((s) => s.page === 'my-claims' && s.state === 'empty').identity).toBe(
    'newcomer'
  );
  expect(shots.filter((s) => s.page === 'me')).toHaveLength(1);
  expect(shots.find((s) => s.page === 'merchant').identity).toBe('merchant-1');
});

test('--check renders every page of app.json into valid PNGs (fake server)', () => {
  const pages = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8')).pages;
  const expected = shotsFor(pages.map((p) => p.replace(/^pages\/(.+)\/index$/, '$1'))).length;
  const result = run(['--fake', '--check']);
  expect(result.stderr).toBe('');
  expect(result.stdout).toContain(`${expected} of ${expected} picture(s) written and verified`);
  expect(result.stdout).not.toContain('FAIL');
  expect(result.status).toBe(0);
}, 90000);

test('a page that cannot load fails the run with a non-zero exit', () => {
  // Nothing listens on port 9: the login fails, so the page has nothing to show.
  const result = run(['--api', 'http://127.0.0.1:9', '--only', 'me', '--check']);
  expect(result.stdout).toMatch(/FAIL me .*resident-1/);
  expect(result.stdout).toContain('网络连接失败');
  expect(result.status).toBe(1);
}, 30000);

test('an unknown page is refused before anything runs', () => {
  const result = run(['--only', 'nope', '--check']);
  expect(result.stderr).toContain('not pages of app.json: nope');
  expect(result.status).toBe(2);
});
