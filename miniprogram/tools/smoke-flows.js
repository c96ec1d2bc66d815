// Drive the phase-2 flows of utils/api.js against a running server (scripts/run) from Node:
// tasks, points, a claim with a photo, a redemption verified by the merchant, the reviewer's
// queue. Each identity logs in through the emulator like DevTools does. Prints what happened;
// exits 1 on an unexpected failure.
// Usage: node tools/smoke-flows.js [baseUrl]

const baseUrl = process.argv[2] || 'http://127.0.0.1:8000';
const storage = new Map();

function respond(o, res, text) {
  let data = text;
  try {
    data = text ? JSON.parse(text) : '';
  } catch (e) {
    // not JSON: hand over the text, as wx.request does
  }
  return { statusCode: res.status, data, header: {} };
}

global.wx = {
  request(o) {
    const init = { method: o.method, headers: o.header };
    if (o.data !== undefined) init.body = JSON.stringify(o.data);
    fetch(o.url, init)
      .then(async (res) => o.success(respond(o, res, await res.text())))
      .catch((err) => o.fail({ errMsg: `request:fail ${err.message}` }));
  },
  uploadFile(o) {
    // A 1x1 PNG stands in for the picked photo.
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64'
    );
    const form = new FormData();
    form.append(o.name, new Blob([png], { type: 'image/png' }), 'photo.png');
    fetch(o.url, { method: 'POST', headers: o.header, body: form })
      .then(async (res) => o.success({ statusCode: res.status, data: await res.text() }))
      .catch((err) => o.fail({ errMsg: `uploadFile:fail ${err.message}` }));
    return { onProgressUpdate() {} };
  },
  downloadFile(o) {
    fetch(o.url, { headers: o.header })
      .then(async (res) => {
        const size = (await res.arrayBuffer()).byteLength;
        o.success({ statusCode: res.status, tempFilePath: `memory://${size}-bytes` });
      })
      .catch((err) => o.fail({ errMsg: `downloadFile:fail ${err.message}` }));
  },
  login: (o) => o.fail({ errMsg: 'login:fail not in WeChat' }),
  getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
  setStorageSync: (k, v) => storage.set(k, v),
  removeStorageSync: (k) => storage.delete(k),
  showToast: (o) => console.log(`toast: ${o.title}`),
  showModal: (o) => console.log(`modal: ${o.title} ${o.content}`),
};

const config = require('../config');
const session = require('../utils/session');
const api = require('../utils/api');
const format = require('../utils/format');
const { signupText, checkinPhase, completionPhase } = require('../utils/tasks');

function as(identity) {
  config.set({ baseUrl, devIdentity: identity });
  session.clearToken();
  console.log(`\n== ${identity}`);
}

const refused = (p) => p.then(() => null, (e) => e);
const says = (e) => `${e.status} ${e.code} ${e.message} ${JSON.stringify(e.details)}`;

// Fail the run: every step of a flow must happen, none is skipped.
function must(ok, what) {
  if (!ok) throw new Error(`smoke: ${what}`);
}

// The organiser's flow as grid-1 on the demo's running task (server/tasks/seed.py): 我组织的,
// the task, its check-in code, a signed-up resident checking in with it, 已签到 x / y, 完成任务.
async function organiserFlow() {
  as('grid-1');
  const organised = await api.listTasks({ when: 'all', organised_by_me: true, limit: 20 });
  console.log('我组织的:', organised.items.map((t) => `${t.id}:${t.title}/${t.status}`).join(' | '));
  const listed = organised.items.find(
    (t) => t.status === 'published' && checkinPhase(t).phase === 'checkin'
  );
  must(listed, 'grid-1 has no published task open for check-in (seed a fresh demo database)');
  const task = await api.getTask(listed.id);
  must(task.can_manage, `grid-1 cannot manage task ${task.id}`);
  console.log('task:', task.title, 'check-in', task.checkin_opens_at, '–', task.checkin_closes_at);
  const later = organised.items.find((t) => checkinPhase(t).phase === 'before');
  if (later) {
    const early = await refused(api.getCheckinCode(later.id));
    must(early && early.code === 'checkin_not_open', 'a code was issued before check-in opened');
    console.log('code before the window:', says(early), '→', checkinPhase(later).text);
  }
  const code = await api.getCheckinCode(task.id);
  console.log('check-in code: issued, ttl', code.ttl_seconds);

  let resident = null;
  for (const who of ['resident-11', 'resident-12', 'resident-13']) {
    as(who);
    const seen = await api.getTask(task.id);
    if (seen.my_signup && seen.my_signup.status === 'confirmed' && !seen.my_attendance) {
      resident = who;
      break;
    }
  }
  must(resident, 'no confirmed attendee left to check in');
  const attended = await api.checkin(task.id, code.token, null);
  console.log(`${resident} checked in:`, attended.method, attended.checkin_at);

  as('grid-1');
  const people = await api.listAttendees(task.id, { limit: 100 });
  const present = people.items.filter((a) => a.attendance).length;
  const confirmed = people.items.filter((a) => a.status === 'confirmed').length;
  console.log(`已签到 ${present} / ${confirmed}`);
  must(present >= 1, 'the check-in does not show in the attendee list');
  must(completionPhase(task).open, 'completion is not open yet');
  const done = await api.completeTask(task.id);
  console.log('完成任务:', JSON.stringify(done));
  must(done.status === 'completed' && done.credited >= 1, 'nobody was credited');
  as(resident);
  const after = await api.getTask(task.id);
  console.log(`${resident} sees:`, after.status, JSON.stringify(after.my_attendance));
  must(after.my_attendance && after.my_attendance.credited, 'the attendance was not credited');

  // 发布任务 and 编辑 (pages/task-form's calls): tomorrow 09:00–11:00 in Shanghai.
  as('grid-1');
  must((await api.getTaskRights()).can_publish, 'grid-1 may not publish tasks');
  const items = await api.listPointItems({ limit: 100 });
  const item = items.items.find((i) => i.active && i.direction === 'earn' && i.points !== null);
  const day = format.today(Date.now() + 24 * 3600 * 1000);
  const created = await api.createTask({
    title: '冒烟测试：楼道清理',
    starts_at: `${day}T09:00:00+08:00`,
    ends_at: `${day}T11:00:00+08:00`,
    capacity: 5,
    reward_kind: 'item',
    point_item_id: item.id,
    audience: 'everyone',
  });
  const edited = await api.editTask(created.id, { capacity: 8 });
  console.log('发布任务:', created.id, created.title, '→ 编辑 capacity', edited.capacity);
  must(edited.capacity === 8, 'the edit did not apply');
}

async function main() {
  as('merchant-1');
  const shop = (await api.getMerchantStatement({ month: format.thisMonth() })).merchant_name;
  console.log('merchant-1 serves:', shop);

  as('resident-1');
  const me = await api.getMe();
  console.log('me:', me.real_name || me.nickname, 'points', JSON.stringify(me.points));
  const tasks = await api.listTasks({ when: 'upcoming', limit: 20 });
  console.log('tasks:', tasks.items.map((t) => `${t.id}:${t.title}`).join(' | '));
  const open = tasks.items.find(
    (t) =>
      t.status === 'published' &&
      t.eligible &&
      !t.my_signup &&
      Date.parse(t.signup_deadline) > Date.now()
  );
  if (open) {
    const s = await api.signUp(open.id);
    console.log('sign-up:', open.title, '→', signupText(s));
    const again = await refused(api.signUp(open.id));
    console.log('sign-up again:', again && says(again));
    console.log('cancel:', JSON.stringify(await api.cancelSignup(open.id)));
  }
  console.log('hours:', JSON.stringify(await api.getMyHours()));

  const balance = await api.getBalance();
  console.log('balance:', balance.balance, 'held', balance.held, 'available', balance.available);
  const ledger = await api.listLedger({ limit: 3 });
  console.log('ledger:', ledger.items.map((e) => `${e.amount} ${e.reason}`).join(' | '));
  const ranking = await api.getRankings({ kind: 'person', period: format.period('month') });
  console.log('ranking:', ranking.period, 'me', JSON.stringify(ranking.me));
  const items = await api.listPointItems({ limit: 100 });
  const item = items.items.find((i) => i.active && i.direction === 'earn' && i.points !== null);
  const photo = await api.upload('photo.png');
  console.log('upload:', photo.id, photo.content_type, `${photo.width}x${photo.height}`);
  const claim = await refused(
    api.createClaim({
      item_id: item.id,
      occurred_on: format.today(),
      description: '冒烟测试：帮助邻居搬运物品',
      photo_ids: [photo.id],
    })
  );
  const claimed = await api.listClaims({ scope: 'mine', limit: 1 });
  console.log('claim:', claim ? says(claim) : `${claimed.items[0].id} ${claimed.items[0].status}`);

  const offers = await api.listOffers({ limit: 50 });
  console.log('offers:', offers.items.map((o) => `${o.id}:${o.title}@${o.merchant_name}`).join(' | '));
  const affordable = (o) => o.stock > 0 && o.points_cost <= balance.available;
  // An offer of merchant-1's shop, so merchant-1 can verify it.
  const offer = offers.items.find((o) => affordable(o) && o.merchant_name === shop);
  let redemption = null;
  let token = null;
  if (offer) {
    redemption = await api.reserve(offer.id, api.newIdempotencyKey()).catch((e) => e);
    if (redemption instanceof Error) {
      console.log('reserve refused:', says(redemption));
      redemption = null;
    } else {
      const code = await api.getRedemptionCode(redemption.id);
      token = code.token;
      console.log('reserved:', redemption.id, redemption.status, 'code ttl', code.ttl_seconds);
    }
  }

  if (token) {
    as('merchant-1');
    const preview = await refused(api.previewVerify(token));
    console.log('preview:', preview ? says(preview) : 'ok');
    const done = await refused(api.verify(token));
    console.log('verify:', done ? says(done) : 'ok');
    const repeat = await refused(api.verify(token));
    console.log('verify again:', repeat && says(repeat));
    const month = await api.getMerchantStatement({ month: format.thisMonth() });
    console.log('statement:', month.merchant_name, month.total_count, month.total_points);
    as('resident-1');
    const after = await api.getRedemption(redemption.id);
    console.log('resident sees:', after.status);
  }

  await organiserFlow();

  as('reviewer');
  const queue = await api.listClaims({ scope: 'queue', limit: 20 });
  console.log('queue:', queue.items.map((c) => `${c.id}:${c.item.name}/${c.status}`).join(' | '));
  const mine = queue.items.find((c) => c.photos.length);
  if (mine) {
    console.log('photo:', await api.download(mine.photos[0].id));
    const approved = await refused(api.approveClaim(mine.id));
    console.log('approve:', approved ? says(approved) : 'ok');
  }
  const patched = await api.patchMe({ nickname: '审核员' });
  console.log('PATCH via override:', patched.nickname);
}

main().catch((err) => {
  console.error('FAILED', err);
  process.exitCode = 1;
});
