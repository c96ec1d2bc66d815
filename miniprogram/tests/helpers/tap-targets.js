// A static check of tap targets (at least 44 px = 88rpx high): which classes a template makes
// tappable (bindtap / catchtap, any <button>, and the fields one taps into: <input>, <picker>),
// and which WXSS rules size those classes
// below 88rpx by height, min-height or line-height without a min-height of 88rpx or more.

const MIN_RPX = 88;

// Class names an element's class attribute can produce: its literal tokens and the quoted
// strings inside {{ }} (`btn {{busy ? 'btn--disabled' : ''}}` gives btn and btn--disabled).
function classTokens(value) {
  const names = [];
  const literal = value.replace(/\{\{([\s\S]*?)\}\}/g, (_, expr) => {
    for (const m of expr.matchAll(/'([^']*)'|"([^"]*)"/g)) names.push(...(m[1] || m[2] || '').split(/\s+/));
    return ' ';
  });
  names.push(...literal.split(/\s+/));
  return names.filter((n) => /^[A-Za-z_-][\w-]*$/.test(n));
}

function attributes(tag) {
  const attrs = {};
  for (const m of tag.matchAll(/([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    attrs[m[1]] = m[3] !== undefined ? m[3] : m[4];
  }
  return attrs;
}

const TAP = /^(bind|catch|capture-bind|capture-catch):?tap$/;
const TAPPED = new Set(['button', 'input', 'picker']);

// The classes of a WXML template's tappable elements.
function tappableClasses(wxml) {
  const found = new Set();
  const source = wxml.replace(/<!--[\s\S]*?-->/g, '');
  for (const m of source.matchAll(/<([a-zA-Z][\w-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g)) {
    const name = m[1];
    const attrs = attributes(m[2]);
    const tappable = TAPPED.has(name) || Object.keys(attrs).some((a) => TAP.test(a));
    if (tappable && attrs.class) classTokens(attrs.class).forEach((c) => found.add(c));
  }
  return found;
}

// Top-level rules of a WXSS file as {selectors, decls}; @-blocks (keyframes, media) skipped.
function rules(wxss) {
  const out = [];
  const source = wxss.replace(/\/\*[\s\S]*?\*\//g, '');
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    if (open < 0) break;
    const selector = source.slice(i, open).trim();
    let depth = 1;
    let j = open + 1;
    while (j < source.length && depth) {
      if (source[j] === '{') depth += 1;
      else if (source[j] === '}') depth -= 1;
      j += 1;
    }
    if (!selector.startsWith('@')) {
      const decls = {};
      for (const part of source.slice(open + 1, j - 1).split(';')) {
        const k = part.indexOf(':');
        if (k > 0) decls[part.slice(0, k).trim().toLowerCase()] = part.slice(k + 1).trim();
      }
      out.push({ selectors: selector.split(',').map((s) => s.trim()), decls });
    }
    i = j;
  }
  return out;
}

// A length in rpx (px count double: 1px = 2rpx on the 750rpx-wide design); null otherwise.
function rpx(value) {
  const m = /^(-?\d*\.?\d+)(rpx|px)$/.exec(String(value || '').trim());
  if (!m) return null;
  return m[2] === 'px' ? Number(m[1]) * 2 : Number(m[1]);
}

// The classes the subject of a selector names (`.footer .btn.btn--small` → btn, btn--small);
// none for pseudo-elements, which do not size what is tapped.
function subjectClasses(selector) {
  if (/::?(after|before|placeholder)/.test(selector)) return [];
  const parts = selector.split(/\s+|>|\+|~/).filter(Boolean);
  const subject = parts[parts.length - 1] || '';
  return [...subject.matchAll(/\.([\w-]+)/g)].map((m) => m[1]);
}

// Rules of `wxss` that make one of `tappable`'s classes shorter than 88rpx.
function violations(wxss, tappable) {
  const found = [];
  for (const rule of rules(wxss)) {
    const min = rpx(rule.decls['min-height']);
    if (min !== null && min >= MIN_RPX) continue;
    const short = ['height', 'min-height', 'line-height'].filter((p) => {
      const v = rpx(rule.decls[p]);
      return v !== null && v < MIN_RPX;
    });
    if (!short.length) continue;
    for (const selector of rule.selectors) {
      const hit = subjectClasses(selector).filter((c) => tappable.has(c));
      if (hit.length) {
        found.push(`${selector} { ${short.map((p) => `${p}: ${rule.decls[p]}`).join('; ')} }`);
      }
    }
  }
  return found;
}

module.exports = { MIN_RPX, classTokens, tappableClasses, rules, rpx, subjectClasses, violations };
