// Fixtures are recorded server answers: {operation: "GET /api/v1/me", status, body}.
// tests/fixtures.test.js validates each against schemas/openapi.json.

const fs = require('fs');
const path = require('path');

const DIR = path.resolve(__dirname, '../fixtures');

function names() {
  return fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

function fixture(name) {
  const file = path.join(DIR, `${name}.json`);
  if (!fs.existsSync(file)) throw new Error(`no fixture ${name}`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

module.exports = { DIR, names, fixture };
