// Copies the pinned QR encoder (qrcode-generator, see package.json) into vendor/, where the
// mini-program can require it: the runtime loads only files inside the project, and this
// avoids DevTools' 构建 npm step. Run `npm run vendor` after changing the pinned version;
// tests/qr.test.js fails while vendor/ and node_modules/ differ.

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = require.resolve('qrcode-generator', { paths: [ROOT] });
const TARGET = path.join(ROOT, 'vendor', 'qrcode-generator.js');

function header() {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(path.dirname(SOURCE), '..', 'package.json'), 'utf8')
  );
  return (
    `// qrcode-generator ${pkg.version} (${pkg.license}, Kazuhiko Arase), copied unchanged from\n` +
    '// node_modules/qrcode-generator/dist/qrcode.js by tools/vendor-qrcode.js. Do not edit.\n'
  );
}

function expected() {
  return header() + fs.readFileSync(SOURCE, 'utf8');
}

if (require.main === module) {
  fs.mkdirSync(path.dirname(TARGET), { recursive: true });
  fs.writeFileSync(TARGET, expected());
  console.log(`wrote ${path.relative(ROOT, TARGET)}`);
}

module.exports = { SOURCE, TARGET, expected };
