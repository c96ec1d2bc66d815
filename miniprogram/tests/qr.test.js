// The vendored QR encoder and the canvas drawing.

const fs = require('fs');
const qr = require('../utils/qr');
const vendor = require('../tools/vendor-qrcode');
const pkg = require('../package.json');

test('vendor/qrcode-generator.js is the pinned package, unchanged (npm run vendor)', () => {
  expect(pkg.devDependencies['qrcode-generator']).toMatch(/^\d+\.\d+\.\d+$/); // pinned exactly
  expect(fs.readFileSync(vendor.TARGET, 'utf8')).toBe(vendor.expected());
});

test('the vendored encoder needs nothing the mini-program runtime lacks', () => {
  const src = fs.readFileSync(vendor.TARGET, 'utf8');
  expect(src).not.toMatch(/require\(/);
  expect(src).not.toMatch(/\b(process|Buffer)\./);
});

test('encodes a token into a square matrix with finder patterns', () => {
  const m = qr.matrix('eyJhbGciOiJIUzI1NiJ9.eyJyaWQiOjMxfQ.signature-signature-signature');
  expect(m.length).toBeGreaterThanOrEqual(21);
  expect(m.every((row) => row.length === m.length)).toBe(true);
  // Top-left finder pattern: a 7x7 dark ring.
  expect(m[0].slice(0, 7)).toEqual([true, true, true, true, true, true, true]);
  expect(m[1][1]).toBe(false);
  expect(m[3][3]).toBe(true);
});

test('draw paints a white square and one rect per dark module, then draws', () => {
  const ops = [];
  let drawn = 0;
  const ctx = {
    setFillStyle: (c) => ops.push(['style', c]),
    fillRect: (...a) => ops.push(['rect', ...a]),
    draw: () => {
      drawn += 1;
    },
  };
  const n = qr.draw(ctx, 'hello', { size: 200 });
  const dark = qr.matrix('hello').flat().filter(Boolean).length;
  expect(ops[0]).toEqual(['style', '#ffffff']);
  expect(ops[1]).toEqual(['rect', 0, 0, 200, 200]);
  expect(ops.filter((o) => o[0] === 'rect')).toHaveLength(dark + 1);
  expect(n).toBe(21);
  expect(drawn).toBe(1);
});
