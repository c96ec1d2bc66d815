// Card holders (持卡居民) on screen, the acts done for them, and the `for` a page is opened
// with when staff act for one (代办): `?for=<holder id>&name=<masked name>`.

const format = require('./format');

const STAFF_ROLES = ['admin', 'reviewer'];
const REPLACE_REASONS = [
  { key: 'lost', name: '丢失' },
  { key: 'damaged', name: '损坏' },
  { key: 'other', name: '其他原因' },
];
const PIN = /^[0-9]{4,6}$/;
const PHONE = /^1[3-9][0-9]{9}$/;

function holderView(h) {
  return {
    id: h.id,
    name: h.name,
    place: [h.building, h.unit].filter(Boolean).join(' '),
    grid: h.grid ? h.grid.name : '',
    cardText: h.card ? `卡号尾号 ${h.card.hint}` : '暂无有效积分卡',
    hint: h.card ? h.card.hint : '',
    locked: h.locked,
    bound: h.bound,
    phone: h.phone || '',
  };
}

function actView(a) {
  return {
    id: a.id,
    label: a.action_label,
    actor: a.actor_name,
    when: format.dateTime(a.created_at),
  };
}

// The holder a page acts for, from its query; null when it acts for the caller.
function actingTarget(query) {
  const id = query && String(query.for || '');
  if (!/^[0-9]{1,12}$/.test(id)) return null;
  let name = String(query.name || '');
  try {
    name = decodeURIComponent(name);
  } catch (e) {
    // Already decoded by the runtime: keep it as it is.
  }
  return { id: Number(id), name: name || '持卡居民' };
}

// The query that opens a page for a holder: `?id=…` pages get `&for=…&name=…`.
function actingQuery(holder) {
  return `for=${holder.id}&name=${encodeURIComponent(holder.name)}`;
}

// null when the PIN (typed twice) is acceptable, else {field: why not}; the server checks too.
function pinProblem(pin, again) {
  if (!PIN.test(pin)) return { pin: '密码应为 4 到 6 位数字' };
  if (new Set(pin.split('')).size === 1) return { pin: '密码不能是同一个数字' };
  if (pin !== again) return { pin2: '两次输入的密码不一致' };
  return null;
}

module.exports = {
  STAFF_ROLES,
  REPLACE_REASONS,
  PHONE,
  holderView,
  actView,
  actingTarget,
  actingQuery,
  pinProblem,
};
