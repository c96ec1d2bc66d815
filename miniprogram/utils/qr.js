// QR codes drawn on a <canvas canvas-id="..."> with the vendored encoder (vendor/, see
// tools/vendor-qrcode.js). Used for the redemption code and the organiser's check-in code.

const qrcode = require('../vendor/qrcode-generator');

// The dark modules of `text` as a square matrix of booleans. Error correction M: a phone
// screen under a shop's lights reads it fine and tokens stay at a moderate version.
function matrix(text) {
  const qr = qrcode(0, 'M');
  qr.addData(String(text), 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const rows = [];
  for (let r = 0; r < n; r += 1) {
    const row = [];
    for (let c = 0; c < n; c += 1) row.push(qr.isDark(r, c));
    rows.push(row);
  }
  return rows;
}

// Paint `text` into a square of `size` px with a quiet zone of `margin` modules; the
// callback runs once the canvas shows it.
function draw(ctx, text, { size = 240, margin = 2, color = '#1f1f1f', callback } = {}) {
  const rows = matrix(text);
  const n = rows.length;
  const cell = size / (n + margin * 2);
  ctx.setFillStyle('#ffffff');
  ctx.fillRect(0, 0, size, size);
  ctx.setFillStyle(color);
  for (let r = 0; r < n; r += 1) {
    for (let c = 0; c < n; c += 1) {
      if (rows[r][c]) {
        // Overlap by a fraction of a pixel so no hairlines show between modules.
        ctx.fillRect((c + margin) * cell, (r + margin) * cell, cell + 0.3, cell + 0.3);
      }
    }
  }
  ctx.draw(false, callback);
  return n;
}

module.exports = { matrix, draw };
