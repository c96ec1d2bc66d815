// One page as a static HTML document the size of a phone (375 px wide): a status bar, the
// navigation bar with the page's title and colours, the page (app.wxss + its components'
// and its own WXSS) and, on tab pages, the tab bar from app.json.

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { readWxss, WIDTH } = require('./wxss-css');
const { pageBody, escapeHtml } = require('./wxml-html');

const HEIGHT = 812;
const STATUS = 44; // an iPhone X-class status bar
const NAV = 44;
const TAB = 50;
const HOME_BAR = 34; // the bottom safe area

// What WeChat's built-in components look like before a page styles them.
const BASE_CSS = `
html, body { margin: 0; padding: 0; }
body { width: ${WIDTH}px; min-height: ${HEIGHT}px; -webkit-font-smoothing: antialiased;
  font-family: -apple-system, 'PingFang SC', 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', sans-serif; }
* { box-sizing: border-box; }
:where(.wx-view, .wx-picker, .wx-scroll-view, .wx-swiper, .wx-swiper-item, .wx-navigator,
  .wx-component) { display: block; }
:where(.wx-navigator) { color: inherit; text-decoration: none; }
:where(.wx-text, .wx-icon) { display: inline; }
:where(.wx-image) { display: inline-block; width: 320px; height: 240px; }
.mp-img-missing { background: #d9d9de; }
:where(.wx-input) { display: block; width: 100%; height: 1.4em; min-height: 1.4em; border: 0;
  outline: 0; padding: 0; margin: 0; background: transparent; font: inherit; color: inherit; }
:where(.wx-textarea) { display: block; width: 300px; height: 150px; border: 0; outline: 0;
  padding: 0; margin: 0; background: transparent; font: inherit; color: inherit; resize: none; }
:where(.wx-button) { display: block; margin: 0 auto; padding: 12px 24px; border: 0;
  border-radius: 8px; background: #f2f2f2; color: #000; font: inherit; font-weight: 600; }
:where(.mp-button--primary) { background: #07c160; color: #fff; }
:where(.wx-canvas) { display: block; position: relative; width: 300px; height: 150px; }
.wx-canvas > svg { position: absolute; left: 0; top: 0; }
.wx-page { min-height: ${HEIGHT - STATUS - NAV}px; }
.mp-tabbed .wx-page { padding-bottom: ${TAB + HOME_BAR}px; }
.mp-status { height: ${STATUS}px; display: flex; align-items: center; justify-content: space-between;
  padding: 0 24px; font: 600 15px -apple-system, sans-serif; }
.mp-nav { height: ${NAV}px; position: relative; display: flex; align-items: center;
  justify-content: center; font-size: 17px; font-weight: 600; }
.mp-back { position: absolute; left: 12px; top: 4px; font-size: 30px; font-weight: 300; }
.mp-capsule { position: absolute; right: 7px; top: 6px; width: 87px; height: 32px;
  border-radius: 16px; display: flex; align-items: center; font-size: 14px; }
.mp-capsule span { flex: 1; text-align: center; }
.mp-capsule i { width: 1px; height: 18px; }
.mp-tabbar { position: fixed; left: 0; right: 0; bottom: 0; height: ${TAB + HOME_BAR}px;
  padding-bottom: ${HOME_BAR}px; display: flex; }
.mp-tab { flex: 1; display: flex; flex-direction: column; align-items: center;
  justify-content: center; font-size: 10px; }
.mp-tab img { width: 24px; height: 24px; margin-bottom: 2px; }
`;

function fileUrl(file) {
  return pathToFileURL(file).href;
}

function navBar(win, title, isTab) {
  const light = win.navigationBarTextStyle !== 'black';
  const color = light ? '#fff' : '#000';
  const bg = escapeHtml(win.navigationBarBackgroundColor || '#000');
  const capsule = light
    ? 'background:rgba(0,0,0,.15);border:0.5px solid rgba(255,255,255,.25)'
    : 'background:rgba(255,255,255,.6);border:0.5px solid rgba(0,0,0,.1)';
  const divider = light ? 'rgba(255,255,255,.25)' : 'rgba(0,0,0,.15)';
  return `<div class="mp-status" style="background:${bg};color:${color}"><span>9:41</span><span>100%</span></div>
<div class="mp-nav" style="background:${bg};color:${color}">${isTab ? '' : '<span class="mp-back">‹</span>'}<span class="mp-title">${escapeHtml(title)}</span>
<span class="mp-capsule" style="${capsule}"><span>•••</span><i style="background:${divider}"></i><span>◉</span></span></div>`;
}

function tabBar(tabBarJson, route, root) {
  const items = tabBarJson.list.map((tab) => {
    const on = tab.pagePath === route;
    const icon = path.join(root, on ? tab.selectedIconPath : tab.iconPath);
    const color = on ? tabBarJson.selectedColor : tabBarJson.color;
    return `<div class="mp-tab" style="color:${escapeHtml(color)}"><img src="${fileUrl(icon)}" alt="">${escapeHtml(tab.text)}</div>`;
  });
  const border = tabBarJson.borderStyle === 'white' ? '#fff' : 'rgba(0,0,0,.12)';
  return `<div class="mp-tabbar" style="background:${escapeHtml(tabBarJson.backgroundColor || '#fff')};border-top:0.5px solid ${border}">${items.join('')}</div>`;
}

// root: the mini-program folder; page: "tasks"; tree: the page's toJSON(); canvases: the
// recorded drawings by canvas-id.
function pageHtml({ root, page, tree, canvases }) {
  const appJson = JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8'));
  const base = path.join(root, 'pages', page, 'index');
  const pageJson = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8'));
  const win = Object.assign({}, appJson.window, pageJson);
  const route = `pages/${page}/index`;
  const tabs = appJson.tabBar && appJson.tabBar.list.some((t) => t.pagePath === route);
  const components = Object.values(pageJson.usingComponents || {}).map((rel) =>
    rel.startsWith('/') ? path.join(root, rel) : path.resolve(path.dirname(base), rel)
  );
  const css = [path.join(root, 'app.wxss'), ...components.map((c) => `${c}.wxss`), `${base}.wxss`]
    .map(readWxss)
    .join('\n');
  const title = win.navigationBarTitleText || '';
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=${WIDTH}">
<title>${escapeHtml(title)}</title>
<style>${BASE_CSS}</style>
<style>${css}</style></head>
<body class="${tabs ? 'mp-tabbed' : ''}" style="background:${escapeHtml(win.backgroundColor || '#fff')}">
${navBar(win, title, tabs)}
<div class="wx-page">${pageBody(tree, { root, canvases: canvases || {} })}</div>
${tabs ? tabBar(appJson.tabBar, route, root) : ''}
</body></html>
`;
}

module.exports = { pageHtml, HEIGHT };
