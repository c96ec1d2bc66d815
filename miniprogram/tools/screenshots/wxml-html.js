// The rendered WXML tree (tree.js: {tagName, attrs, children}) as
// plain HTML: wx tags become HTML tags carrying a `wx-<tag>` class (the defaults in
// page-html.js style those), images point at local files or become grey boxes, and canvas
// drawings are painted as SVG rectangles.

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { rpxToPx } = require('./wxss-css');

const TAGS = {
  view: 'div',
  text: 'span',
  image: 'img',
  button: 'button',
  input: 'input',
  textarea: 'textarea',
  'scroll-view': 'div',
  swiper: 'div',
  'swiper-item': 'div',
  picker: 'div',
  'picker-view': 'div',
  navigator: 'a',
  icon: 'span',
  canvas: 'div',
  label: 'label',
  form: 'div',
  'rich-text': 'div',
};
const VOID = new Set(['img', 'input']);
const FIT = { aspectFill: 'cover', aspectFit: 'contain', scaleToFill: 'fill', widthFix: 'cover' };

function escapeHtml(value) {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function attrsOf(node) {
  const attrs = {};
  for (const { name, value } of node.attrs || []) attrs[name] = value;
  return attrs;
}

// A local file the page was handed (a downloaded photo) or a project file ("/images/x.png");
// URLs (http, wxfile://) are not fetched: the picture shows a grey box instead.
function localImage(src, root) {
  if (typeof src !== 'string' || !src || /^[a-z]+:/i.test(src)) return null;
  const candidates = src.startsWith('/') ? [path.join(root, src), src] : [path.resolve(root, src)];
  const file = candidates.find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
  return file ? pathToFileURL(file).href : null;
}

function canvasSvg(ops) {
  if (!ops || !ops.length) return '';
  let fill = '#000';
  const rects = [];
  for (const [op, ...args] of ops) {
    if (op === 'setFillStyle') fill = args[0];
    else if (op === 'fillRect') {
      const [x, y, w, h] = args.map((n) => Math.round(n * 100) / 100);
      rects.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${escapeHtml(fill)}"/>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="100%">${rects.join('')}</svg>`;
}

function treeToHtml(node, ctx) {
  if (typeof node === 'string') return escapeHtml(node);
  if (!node || typeof node !== 'object') return '';
  const wxTag = String(node.tagName || '').replace(/^wx-/, '');
  const tag = TAGS[wxTag] || 'div';
  const a = attrsOf(node);
  const classes = [`wx-${TAGS[wxTag] ? wxTag : 'component'}`];
  if (a.class) classes.push(String(a.class).trim());
  const style = [];
  if (a.style) style.push(rpxToPx(String(a.style)));
  if (a.hidden === true || a.hidden === 'true') style.push('display:none');
  const out = {};
  if (a.id) out.id = a.id;
  let inner = (node.children || []).map((child) => treeToHtml(child, ctx)).join('');

  if (wxTag === 'image') {
    const file = localImage(a.src, ctx.root);
    if (!file) {
      classes.push('mp-img-missing');
      return element('div', classes, style, out, '');
    }
    out.src = file;
    if (FIT[a.mode]) style.push(`object-fit:${FIT[a.mode]}`);
  } else if (wxTag === 'input') {
    if (a.value !== undefined && a.value !== null) out.value = a.value;
    if (a.placeholder) out.placeholder = a.placeholder;
    if (a.password === true) out.type = 'password';
    if (a.disabled === true) out.disabled = 'disabled';
  } else if (wxTag === 'textarea') {
    if (a.placeholder) out.placeholder = a.placeholder;
    inner = escapeHtml(a.value || '');
  } else if (wxTag === 'button') {
    if (a.disabled === true) out.disabled = 'disabled';
    if (a.type) classes.push(`mp-button--${a.type}`);
  } else if (wxTag === 'canvas') {
    inner = canvasSvg(ctx.canvases[a.canvasId || a['canvas-id']]);
  }
  return element(tag, classes, style, out, inner);
}

function element(tag, classes, style, attrs, inner) {
  let html = `<${tag} class="${escapeHtml(classes.join(' '))}"`;
  if (style.length) html += ` style="${escapeHtml(style.join(';'))}"`;
  for (const [k, v] of Object.entries(attrs)) html += ` ${k}="${escapeHtml(v)}"`;
  html += '>';
  return VOID.has(tag) ? html : `${html}${inner}</${tag}>`;
}

// The page's content: the children of the page component's root.
function pageBody(tree, ctx) {
  return (tree.children || []).map((child) => treeToHtml(child, ctx)).join('');
}

module.exports = { pageBody, treeToHtml, escapeHtml, canvasSvg, TAGS };
