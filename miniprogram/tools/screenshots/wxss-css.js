// WXSS as browser CSS for a 375 px wide screen: rpx are 750ths of the width, so 1rpx =
// 0.5px; the `page` selector is the page's root element and wx tag selectors (view, text,
// button…) become the `wx-<tag>` classes wxml-html.js puts on every element.

const fs = require('fs');

const WIDTH = 375;
const WX_TAG_SELECTORS = [
  'scroll-view',
  'swiper-item',
  'swiper',
  'view',
  'text',
  'image',
  'button',
  'input',
  'textarea',
  'picker',
  'navigator',
  'icon',
  'canvas',
];

function rpxToPx(css) {
  return css.replace(/(-?\d*\.?\d+)rpx\b/g, (all, n) => {
    const px = Math.round(((Number(n) * WIDTH) / 750) * 100) / 100;
    return `${px}px`;
  });
}

const TAG_RE = new RegExp(
  `(^|[\\s,>+~(])(page|${WX_TAG_SELECTORS.join('|')})(?=$|[\\s,.:#\\[>+~)])`,
  'g'
);

function mapSelector(selector) {
  return selector.replace(TAG_RE, (all, before, tag) =>
    tag === 'page' ? `${before}.wx-page` : `${before}.wx-${tag}`
  );
}

function wxssToCss(wxss) {
  const css = String(wxss || '').replace(/\/\*[\s\S]*?\*\//g, '');
  // A selector list is whatever stands between the start, a block's edge or a `;` and `{`;
  // at-rules (@keyframes, @media) keep their preludes, their inner selectors are mapped.
  const mapped = css.replace(
    /(^|[{};])([^{}@;]+)\{/g,
    (all, edge, selector) => `${edge}${mapSelector(selector)}{`
  );
  return rpxToPx(mapped);
}

function readWxss(file) {
  return fs.existsSync(file) ? wxssToCss(fs.readFileSync(file, 'utf8')) : '';
}

module.exports = { rpxToPx, wxssToCss, mapSelector, readWxss, WIDTH };
