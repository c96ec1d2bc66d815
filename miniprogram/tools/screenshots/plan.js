// Which pages are photographed as whom, with which query, and in which extra states.
// Identities are the demo's (server/commands/seed_demo.py); `newcomer` is any fresh login
// the emulator accepts, a person in no community yet.

const RESIDENT = 'resident-1';

// Who looks at a page; pages not listed are a resident's.
const IDENTITY = {
  merchant: 'merchant-1',
  review: 'reviewer',
  'report-queue': 'reviewer',
  'wish-review': 'reviewer',
  'grid-desk': 'grid-1',
  'service-log-form': 'grid-1',
  // grid-1 organises the demo's running task and a later one (server/tasks/seed.py).
  'task-manage': 'grid-1',
  'task-form': 'grid-1', // 发布任务: a new task, as an organiser
  'my-tasks': 'grid-1', // 我组织的 with 发布任务 above the sign-ups
  // The demo's only photos are of fulfilled wishes: resident-8's was fulfilled by resident-2
  // (server/commands/seed_wishes.py), so its page shows a downloaded photo and 确认完成.
  'wish-detail': 'resident-8',
  // 我的数据与注销: the resident's own page; photographed as opened, nothing exported or deleted.
  'my-data': RESIDENT,
  // 信用证明: the resident's own references (an organisation's staff open it with
  // ?organisation_id=, not photographed).
  'credit-references': RESIDENT,
};
// The point-card pages are the grid worker's desk.
const identityOf = (page) => IDENTITY[page] || (page.startsWith('card-') ? 'grid-1' : RESIDENT);

// A page opened from a list gets `?id=` of an item of that list: [operation, query, prefer].
const ID_FROM = {
  'task-detail': ['GET /api/v1/tasks', { when: 'upcoming', limit: 20 }],
  // The task whose check-in is open (its code shows), else the first.
  'task-manage': [
    'GET /api/v1/tasks',
    { when: 'all', organised_by_me: true, limit: 20 },
    (t) =>
      t.status === 'published' &&
      Date.parse(t.checkin_opens_at) <= Date.now() &&
      Date.now() <= Date.parse(t.checkin_closes_at),
  ],
  // An offer with its picture (the demo draws five).
  'offer-detail': ['GET /api/v1/offers', { limit: 20 }, (o) => !!o.image_url],
  'report-detail': ['GET /api/v1/grid/reports', { scope: 'mine', limit: 20 }],
  'wish-detail': [
    'GET /api/v1/wishes',
    { scope: 'mine', limit: 20 },
    (w) => w.status === 'fulfilled',
  ],
  'card-holder': ['GET /api/v1/card-holders', { limit: 20 }],
  notice: ['GET /api/v1/notices', { limit: 20 }],
};

// The tab pages and my-claims are also shown loading, empty, failing and offline; `list`
// is the call that fails in the error state.
const STATE_PAGES = {
  tasks: 'GET /api/v1/tasks',
  points: 'GET /api/v1/points/ledger',
  rewards: 'GET /api/v1/offers',
  'my-claims': 'GET /api/v1/points/claims',
};
const STATES = ['loading', 'empty', 'error', 'offline'];

function endpointName(api, operation) {
  const [method, path] = operation.split(' ');
  const name = Object.keys(api.ENDPOINTS).find(
    (k) => api.ENDPOINTS[k].method === method && api.ENDPOINTS[k].path === path
  );
  if (!name) throw new Error(`utils/api.js has no endpoint for ${operation}`);
  return name;
}

// A redemption the resident holds, reserving the cheapest affordable offer when there is
// none yet (a fresh demo database has no redemptions).
async function redemptionQuery(api, log) {
  const held = await api.listRedemptions({ limit: 20 });
  const shown = held.items.find((r) => r.status === 'reserved') || held.items[0];
  if (shown) return { id: String(shown.id) };
  const balance = await api.getBalance();
  const offers = await api.listOffers({ limit: 50 });
  const offer = offers.items
    .filter((o) => o.stock > 0 && o.points_cost <= balance.available)
    .sort((a, b) => a.points_cost - b.points_cost)[0];
  if (!offer) throw new Error('no redemption and no affordable offer to reserve');
  const r = await api.reserve(offer.id, api.newIdempotencyKey());
  log(`reserved 「${offer.title}」 so the page has a redemption to show`);
  return { id: String(r.id) };
}

async function queryFor(page, api, log) {
  if (page === 'redemption') return redemptionQuery(api, log);
  const from = ID_FROM[page];
  if (!from) return {};
  const [operation, query, prefer] = from;
  const list = await api.call(endpointName(api, operation), { query });
  const items = list.items || [];
  const item = (prefer && items.find(prefer)) || items[0];
  if (!item) throw new Error(`${operation} returned nothing to open`);
  return { id: String(item.id) };
}

// Every picture of a run: [{page, state, identity}], in app.json's order.
function shotsFor(pages) {
  const shots = [];
  for (const page of pages) {
    shots.push({ page, state: 'default', identity: identityOf(page) });
    if (!STATE_PAGES[page]) continue;
    for (const state of STATES) {
      shots.push({ page, state, identity: state === 'empty' ? 'newcomer' : identityOf(page) });
    }
  }
  return shots;
}

// The shot-wx mode of a state.
function modeFor(shot) {
  if (shot.state === 'loading') return { kind: 'hold' };
  if (shot.state === 'offline') return { kind: 'offline' };
  if (shot.state === 'error') {
    const [method, path] = STATE_PAGES[shot.page].split(' ');
    return { kind: 'fail', status: 503, match: (m, p) => m === method && p === path };
  }
  return { kind: 'normal' };
}

module.exports = { identityOf, queryFor, shotsFor, modeFor, STATE_PAGES, STATES };
