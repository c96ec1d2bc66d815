// wx.showToast cuts a title after 7 characters. Every literal title in the pages and utils
// fits; the titles built at run time are checked by tests/helpers/setup.js on every test.

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return sources(full);
    return d.name.endsWith('.js') ? [full] : [];
  });
}

const files = ['pages', 'utils', 'components'].flatMap((d) => sources(path.join(ROOT, d)));

test('every literal wx.showToast title is at most 7 characters', () => {
  const long = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const call of text.matchAll(/wx\.showToast\(\{([\s\S]*?)\}\)/g)) {
      for (const lit of call[1].matchAll(/'([^']*)'/g)) {
        if (!/[^\x00-\x7f]/.test(lit[1])) continue; // icons and status comparisons
        if (lit[1].length > 7) long.push(`${path.relative(ROOT, file)}: ${lit[1]}`);
      }
    }
  }
  expect(long).toEqual([]);
});

test('the step and act titles handed to a toast are at most 7 characters', () => {
  const long = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    // this.step(name, call, '已办结') and this.act(call, '已认领'): the last argument is the toast.
    for (const m of text.matchAll(/this\.(?:step|act)\([\s\S]*?,\s*'([^']+)'\)/g)) {
      if (m[1].length > 7) long.push(`${path.relative(ROOT, file)}: ${m[1]}`);
    }
  }
  expect(long).toEqual([]);
});
