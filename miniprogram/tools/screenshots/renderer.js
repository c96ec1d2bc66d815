// Render one shot (a page, as someone, in a state) with miniprogram-simulate and hand back
// what it shows: the WXML tree, the canvas drawings and whatever went wrong on the way.

const { installDom } = require('./dom-env');
const { createShotWx } = require('./shot-wx');
const { queryFor, modeFor } = require('./plan');
const { pageTree } = require('./tree');

installDom();
// Loaded after the DOM exists: the simulator needs `window` and `document`.
const { renderPage } = require('../../tests/helpers/page');
const config = require('../../config');
const profile = require('../../utils/profile');
const api = require('../../utils/api');
const session = require('../../utils/session');

// source: {wx, baseUrl, asIdentity(identity, state)} — live HTTP or the test fake.
function createRenderer(source) {
  const shot = createShotWx(source.wx);
  global.wx = Object.assign(global.wx || {}, shot.api);
  let problems = null;
  const consoleError = console.error;
  // Blame the page being rendered; anything later (a timer of a page already gone) fails
  // the run as a whole.
  const record = (what) => {
    if (problems) problems.push(what);
    else {
      consoleError(`screenshots: after a page was done: ${what}`);
      process.exitCode = 1;
    }
  };
  process.on('unhandledRejection', (err) => record(`unhandled rejection: ${describe(err)}`));
  process.on('uncaughtException', (err) => record(`uncaught exception: ${describe(err)}`));
  console.error = (...args) => {
    if (problems) record(`console.error: ${args.map(describe).join(' ')}`);
    else consoleError(...args);
  };

  // One login per identity and run: the server allows an identity 10 logins a minute.
  const sessions = new Map();

  // Log in as `identity` (the app has a session) and work out the page's query; the
  // profile cache is dropped so the page fetches its own data.
  async function prepare({ page, identity, state }, notes) {
    shot.setMode(null);
    wx.clearStorageSync();
    profile.clear();
    config.reset();
    config.set({ baseUrl: source.baseUrl, devIdentity: identity });
    if (source.asIdentity) source.asIdentity(identity, state);
    if (sessions.has(identity)) wx.setStorageSync(session.TOKEN_KEY, sessions.get(identity));
    else {
      await api.login().catch((err) => {
        if (err.status !== 429) throw err;
        throw new Error(
          `${err.message}: the server allows 10 logins a minute per identity, run again in a minute`
        );
      });
      sessions.set(identity, wx.getStorageSync(session.TOKEN_KEY));
    }
    const query =
      state === 'default' || state === 'empty'
        ? await queryFor(page, api, (n) => notes.push(n))
        : {};
    profile.clear();
    return query;
  }

  async function render(target) {
    problems = [];
    const notes = [];
    shot.reset();
    let tree = null;
    let query = {};
    let page = null;
    try {
      query = await prepare(target, notes);
      if (target.state === 'offline') await visitOnline(target.page, query);
      shot.setMode(modeFor(target));
      page = renderPage(target.page, { query });
      if (target.state === 'loading') await new Promise((resolve) => setTimeout(resolve, 30));
      else if (!(await shot.settle()))
        problems.push(`still waiting for ${shot.pending} request(s) after 15 s`);
      tree = pageTree(page);
    } catch (err) {
      problems.push(describe(err));
    } finally {
      if (page) unload(page);
      shot.setMode(null);
    }
    if (shot.toasts.length) notes.push(`toast: ${shot.toasts.join(' / ')}`);
    const result = { tree, canvases: shot.canvases, query, problems, notes };
    problems = null;
    return result;
  }

  // Offline is how a page looks to someone who used the app before the network went: the
  // page is opened once online (not photographed), so what it remembers is on the phone.
  async function visitOnline(name, query) {
    const earlier = renderPage(name, { query });
    await shot.settle();
    unload(earlier);
    profile.clear();
    shot.reset();
  }

  function unload(page) {
    try {
      if (page.instance && page.instance.onUnload) page.instance.onUnload();
      page.detach();
    } catch (err) {
      problems.push(`on unload: ${describe(err)}`);
    }
  }

  return { render, settle: () => shot.settle() };
}

function describe(value) {
  if (value instanceof Error) {
    const where = (value.stack || '').split('\n').slice(1, 3).join(' ').trim();
    return `${value.message}${where ? ` (${where})` : ''}`;
  }
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch (e) {
      return String(value);
    }
  }
  return String(value);
}

module.exports = { createRenderer, describe };
