// Headless Chromium (Debian's /usr/bin/chromium) driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: commands on fd 3, answers on fd 4, NUL-separated JSON), so one
// browser takes every picture: starting Chromium per page would cost seconds each.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { pathToFileURL } = require('url');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function findChromium() {
  const chosen = process.env.CHROMIUM || CANDIDATES.find((f) => fs.existsSync(f));
  if (!chosen || !fs.existsSync(chosen)) {
    throw new Error(
      "Chromium not found: run scripts/screens (it installs Debian's chromium) or set CHROMIUM"
    );
  }
  return chosen;
}

class Browser {
  constructor(proc, profileDir) {
    this.proc = proc;
    this.profileDir = profileDir;
    this.nextId = 0;
    this.calls = new Map();
    this.waiters = [];
    this.stderr = '';
    let buffer = '';
    proc.stdio[4].on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let end;
      while ((end = buffer.indexOf('\0')) >= 0) {
        this.receive(JSON.parse(buffer.slice(0, end)));
        buffer = buffer.slice(end + 1);
      }
    });
    proc.stdio[3].on('error', () => {}); // Chromium gone: the exit handler reports it
    proc.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    proc.on('exit', (code) => {
      const err = new Error(`Chromium exited (${code}): ${this.stderr.trim().slice(-800)}`);
      for (const { reject } of this.calls.values()) reject(err);
      this.calls.clear();
    });
  }

  static async launch({ width, height, scale }) {
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-screens-chromium-'));
    const args = [
      '--headless',
      '--no-sandbox', // root in containers and CI
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-extensions',
      '--hide-scrollbars',
      '--mute-audio',
      '--no-first-run',
      '--no-default-browser-check',
      '--font-render-hinting=none',
      `--user-data-dir=${profileDir}`,
      '--remote-debugging-pipe',
      'about:blank',
    ];
    const proc = spawn(findChromium(), args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    const browser = new Browser(proc, profileDir);
    const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
    browser.session = sessionId;
    await browser.send('Page.enable', {}, sessionId);
    await browser.send(
      'Emulation.setDeviceMetricsOverride',
      { width, height, deviceScaleFactor: scale, mobile: true },
      sessionId
    );
    return browser;
  }

  receive(message) {
    if (message.id !== undefined && this.calls.has(message.id)) {
      const { resolve, reject, method } = this.calls.get(message.id);
      this.calls.delete(message.id);
      if (message.error) reject(new Error(`${method}: ${message.error.message}`));
      else resolve(message.result);
      return;
    }
    this.waiters = this.waiters.filter((w) => {
      if (w.method !== message.method || w.sessionId !== message.sessionId) return true;
      w.resolve(message.params);
      return false;
    });
  }

  send(method, params = {}, sessionId, timeoutMs = 30000) {
    const id = ++this.nextId;
    const message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new Error(`${method}: no answer from Chromium in ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (fn) => (value) => {
        clearTimeout(timer);
        fn(value);
      };
      this.calls.set(id, { resolve: done(resolve), reject: done(reject), method });
      this.proc.stdio[3].write(`${JSON.stringify(message)}\0`);
    });
  }

  event(method, sessionId) {
    return new Promise((resolve) => this.waiters.push({ method, sessionId, resolve }));
  }

  // Open a local HTML file, wait for it and its fonts and images, and write the PNG.
  async screenshot(htmlFile, pngFile) {
    const loaded = this.event('Page.loadEventFired', this.session);
    const nav = await this.send(
      'Page.navigate',
      { url: pathToFileURL(htmlFile).href },
      this.session
    );
    if (nav.errorText) throw new Error(`Chromium could not open ${htmlFile}: ${nav.errorText}`);
    await loaded;
    await this.send(
      'Runtime.evaluate',
      { expression: 'document.fonts.ready.then(() => true)', awaitPromise: true },
      this.session
    );
    const { data } = await this.send('Page.captureScreenshot', { format: 'png' }, this.session);
    fs.writeFileSync(pngFile, Buffer.from(data, 'base64'));
  }

  async close() {
    try {
      await this.send('Browser.close', {}, undefined, 5000);
    } catch (e) {
      this.proc.kill('SIGKILL');
    }
    await new Promise((resolve) => {
      if (this.proc.exitCode !== null) resolve();
      else this.proc.once('exit', resolve);
    });
    fs.rmSync(this.profileDir, { recursive: true, force: true });
  }
}

module.exports = { Browser, findChromium };
