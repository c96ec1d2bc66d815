// Render a page (a Component-constructor page) the way the mini-program would, and read
// what the user sees.

const fs = require('fs');
const path = require('path');
const simulate = require('miniprogram-simulate');

const ROOT = path.resolve(__dirname, '../..');

// Jest caches every module it has required, so a component's Component() call runs only
// the first time its file is loaded in a test file. Load each page and each custom
// component once, and hand pages the already-registered component ids.
const loaded = {};

function loadOnce(file, options) {
  if (!loaded[file]) loaded[file] = simulate.load(file, Object.assign({ rootPath: ROOT }, options));
  return loaded[file];
}

function load(name) {
  const base = path.join(ROOT, 'pages', name, 'index');
  const json = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8'));
  const usingComponents = {};
  for (const [tag, rel] of Object.entries(json.usingComponents || {})) {
    const file = rel.startsWith('/') ? path.join(ROOT, rel) : path.resolve(path.dirname(base), rel);
    usingComponents[tag] = loadOnce(file);
  }
  return loadOnce(base, { usingComponents });
}

function renderPage(name, { query = {}, load: runOnLoad = true } = {}) {
  const page = simulate.render(load(name));
  page.attach(document.createElement('parent-wrapper'));
  if (runOnLoad && page.instance.onLoad) page.instance.onLoad(query);
  return page;
}

function normalise(s) {
  return String(s || '')
    .replace(/\s+/g, ' ')
    .trim();
}

// Everything visible as text, including inside child components (state-view).
function screenText(page) {
  return normalise(page.dom.textContent);
}

// `a >>> b` looks for b inside the shadow tree of the custom components matching a.
function queryAll(root, selector) {
  return selector
    .split('>>>')
    .map((part) => part.trim())
    .reduce(
      (nodes, part) => nodes.flatMap((node) => node.querySelectorAll(part) || []),
      [root]
    );
}

function find(page, selector) {
  const el = queryAll(page, selector)[0];
  if (!el) throw new Error(`nothing matches ${selector}`);
  return el;
}

function text(page, selector) {
  return normalise(find(page, selector).dom.textContent);
}

function texts(page, selector) {
  return queryAll(page, selector).map((el) => normalise(el.dom.textContent));
}

function exists(page, selector) {
  return queryAll(page, selector).length > 0;
}

function tap(page, selector, index = 0) {
  const all = queryAll(page, selector);
  if (!all[index]) throw new Error(`nothing to tap at ${selector}[${index}]`);
  all[index].dispatchEvent('tap');
}

module.exports = { ROOT, renderPage, screenText, queryAll, find, text, texts, exists, tap };
