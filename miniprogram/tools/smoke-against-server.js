// Drive utils/api.js against a running server (e.g. scripts/run) from Node, with a minimal
// `wx` built on fetch: proves the client, the dev-identity login and the contract agree with
// the real thing. Usage: node tools/smoke-against-server.js [baseUrl] [identity]

const baseUrl = process.argv[2] || 'http://127.0.0.1:8000';
const identity = process.argv[3] || 'resident-1';

const storage = new Map();
global.wx = {
  request(o) {
    const init = { method: o.method, headers: o.header };
    if (o.data !== undefined) init.body = JSON.stringify(o.data);
    fetch(o.url, init)
      .then(async (res) => {
        const text = await res.text();
        let data = text;
        try {
          data = text ? JSON.parse(text) : '';
        } catch (e) {
          // not JSON: hand over the text, as wx.request does
        }
        o.success({ statusCode: res.status, data, header: {} });
      })
      .catch((err) => o.fail({ errMsg: `request:fail ${err.message} ${err.cause || ""}` }));
  },
  login: (o) => o.fail({ errMsg: 'login:fail not in WeChat' }),
  getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
  setStorageSync: (k, v) => storage.set(k, v),
  removeStorageSync: (k) => storage.delete(k),
  showToast: (o) => console.log(`toast: ${o.title}`),
  showModal: (o) => console.log(`modal: ${o.title} ${o.content}`),
};

const config = require('../config');
const api = require('../utils/api');

async function main() {
  config.set({ baseUrl, devIdentity: identity });
  const me = await api.getMe();
  console.log('me:', me.real_name || me.nickname, me.roles.join(','), me.phone);
  const communities = await api.listCommunities({ limit: 5 });
  console.log('communities:', communities.items.map((c) => `${c.id}:${c.name}`).join(' '));
  const first = communities.items[0];
  const grids = await api.listGrids(first.id, { limit: 100 });
  console.log('grids:', grids.items.map((g) => g.name).join(' '));
  const membership = await api.joinCommunity(first.id, grids.items[0].id);
  console.log('joined:', membership.community.name, membership.grid && membership.grid.name);
  const bound = await api.bindPhone(`${config.get().devPhone}.${Date.now()}`);
  console.log('phone:', bound.phone);
  const err = await api.listGrids(999999).catch((e) => e);
  console.log('error:', err.status, err.code, err.message);
  // A token the server no longer accepts: the client must log in again silently.
  storage.set('rp_token', { token: 'not-a-valid-token', expiresAt: null });
  const again = await api.getMe();
  console.log('after silent re-login:', again.id === me.id ? 'same user' : 'DIFFERENT USER');
}

main().catch((err) => {
  console.error('FAILED', err);
  process.exitCode = 1;
});
