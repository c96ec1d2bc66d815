// What utils/qr.js paints for a text, to compare with what a page drew on its canvas.

const qr = require('../../utils/qr');

function paintedOps(text, options) {
  const ops = [];
  const ctx = {
    setFillStyle: (...a) => ops.push(['setFillStyle', ...a]),
    fillRect: (...a) => ops.push(['fillRect', ...a]),
    clearRect: (...a) => ops.push(['clearRect', ...a]),
    draw() {},
  };
  qr.draw(ctx, text, options);
  return ops;
}

module.exports = { paintedOps };
