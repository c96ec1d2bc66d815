// Screenshots of every mini-program page: each page of app.json is rendered with
// miniprogram-simulate against a running API (logging in through the WeChat emulator as the
// page's usual person), turned into a static HTML page and photographed by headless
// Chromium. See miniprogram/README.md ("Screenshots") and scripts/screens.
//
//   node miniprogram/tools/screenshots [--api http://127.0.0.1:8000] [--out docs/screens]
//        [--only tasks,points] [--fake] [--check] [--keep-html]

const fs = require('fs');
const os = require('os');
const path = require('path');

const { readPng } = require('./png');
const { writeIndex, fileName } = require('./index-md');
const { pageHtml } = require('./page-html');
const { shotsFor } = require('./plan');
const { liveSource, fakeSource } = require('./sources');

const ROOT = path.resolve(__dirname, '../..');
const REPO = path.resolve(ROOT, '..');
const SIZE = { width: 375, height: 812, scale: 2 };

const USAGE = `usage: node miniprogram/tools/screenshots [options]
  --api URL      the running API (default http://127.0.0.1:8000)
  --out DIR      where the PNGs and README.md go (default docs/screens)
  --only a,b     only these pages (names under pages/)
  --fake         use the test suite's fake server and fixtures instead of an API
  --check        render into a temporary folder and verify every PNG, then delete it
  --keep-html    keep the generated HTML pages (printed at the end)`;

function parseArgs(argv) {
  const opts = { api: 'http://127.0.0.1:8000', out: path.join(REPO, 'docs/screens'), only: null };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      i += 1;
      return argv[i];
    };
    if (arg === '--api') opts.api = value().replace(/\/+$/, '');
    else if (arg === '--out') opts.out = path.resolve(value());
    else if (arg === '--only') opts.only = value().split(',').filter(Boolean);
    else if (arg === '--fake') opts.fake = true;
    else if (arg === '--check') opts.check = true;
    else if (arg === '--keep-html') opts.keepHtml = true;
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else throw new Error(`unknown option ${arg}`);
  }
  return opts;
}

function appPages() {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));
  return app.pages.map((p) => p.replace(/^pages\/(.+)\/index$/, '$1'));
}

async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) return console.log(USAGE);
  const pages = appPages();
  const unknown = (opts.only || []).filter((p) => !pages.includes(p));
  if (unknown.length) throw new Error(`not pages of app.json: ${unknown.join(', ')}`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-screens-'));
  const outDir = opts.check ? path.join(work, 'png') : opts.out;
  fs.mkdirSync(outDir, { recursive: true });
  fs.mkdirSync(path.join(work, 'downloads'));

  const source = opts.fake
    ? fakeSource()
    : liveSource({ baseUrl: opts.api, downloadDir: path.join(work, 'downloads') });
  // Loaded here: the renderer sets up a DOM and the simulator, not needed for --help.
  const { createRenderer } = require('./renderer');
  const { Browser } = require('./chromium');

  const all = shotsFor(pages);
  const shots = opts.only ? all.filter((s) => opts.only.includes(s.page)) : all;
  const where = opts.fake ? 'the fake server (tests/fixtures)' : `the API at ${opts.api}`;
  const pageCount = new Set(shots.map((s) => s.page)).size;
  console.log(
    `screenshots: ${shots.length} picture(s) of ${pageCount} page(s) from ${where} → ${outDir}`
  );

  const renderer = createRenderer(source);
  const browser = await Browser.launch(SIZE);
  const failed = [];
  try {
    for (const shot of shots) {
      const started = Date.now();
      const result = await renderer.render(shot);
      if (result.tree) await photograph({ shot, result, work, outDir, browser });
      report(shot, result, Date.now() - started);
      if (result.problems.length) failed.push(fileName(shot));
    }
  } finally {
    await browser.close();
  }

  if (source.fake && source.fake.violations.length) {
    // The jest suite fails on these; here they only explain an odd picture.
    const { violations } = source.fake;
    console.log(
      `note: the fake server saw ${violations.length} contract mismatch(es): ${violations[0]}`
    );
  }
  const indexed = writeIndex({ outDir, root: ROOT, shots: all, source: where });
  if (opts.check) {
    // Read back every picture the run was to write: present, a whole PNG, the right size.
    for (const shot of shots) {
      const problem = verify(path.join(outDir, fileName(shot)));
      if (problem && !failed.includes(fileName(shot)))
        failed.push(`${fileName(shot)} (${problem})`);
    }
  }
  if (opts.keepHtml) console.log(`HTML pages kept in ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
  const verified = opts.check ? ' and verified' : '';
  const count = `${shots.length - failed.length} of ${shots.length} picture(s)`;
  console.log(`${count} written${verified}; README.md indexes ${indexed}`);
  if (failed.length) {
    console.log(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

// The page as HTML next to the downloads, then its picture.
async function photograph({ shot, result, work, outDir, browser }) {
  const name = fileName(shot);
  const html = path.join(work, name.replace(/\.png$/, '.html'));
  const { tree, canvases } = result;
  fs.writeFileSync(html, pageHtml({ root: ROOT, page: shot.page, tree, canvases }));
  try {
    await browser.screenshot(html, path.join(outDir, name));
  } catch (err) {
    result.problems.push(`screenshot: ${err.message}`);
    return;
  }
  const problem = verify(path.join(outDir, name));
  if (problem) result.problems.push(problem);
}

// Why a picture is not right, or null.
function verify(file) {
  if (!fs.existsSync(file)) return 'missing';
  try {
    const { width, height } = readPng(file);
    const want = [SIZE.width * SIZE.scale, SIZE.height * SIZE.scale];
    if (width !== want[0] || height !== want[1]) {
      return `${width}×${height}, expected ${want[0]}×${want[1]}`;
    }
  } catch (err) {
    return `not a valid PNG: ${err.message}`;
  }
  return null;
}

function report(shot, result, ms) {
  const ok = result.problems.length === 0;
  const query = Object.keys(result.query).length ? `?${new URLSearchParams(result.query)}` : '';
  const what = `${shot.page}${shot.state === 'default' ? '' : ` [${shot.state}]`}${query}`;
  const seconds = (ms / 1000).toFixed(1);
  const line = [ok ? 'ok  ' : 'FAIL', what.padEnd(34), shot.identity.padEnd(11), fileName(shot)];
  console.log(`  ${line.join(' ')} ${seconds}s`);
  for (const note of result.notes) console.log(`       note: ${note}`);
  for (const problem of result.problems) console.log(`       ${problem}`);
}

main(process.argv.slice(2))
  .catch((err) => {
    console.error(`screenshots: ${err.message}`);
    process.exitCode = 2;
  })
  .finally(() => {
    // Pages may leave timers behind (QR refresh, polling): the run is over.
    process.exit(process.exitCode || 0);
  });
