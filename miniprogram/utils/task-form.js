// 发布任务 / 编辑任务: the form's fields, the POST body they make, and for an edit the PATCH
// of only what changed. Times are picked as Shanghai wall-clock dates and times. Once a task
// has started only its wording may change (修改文字).

const format = require('./format');

const AUDIENCES = [
  { key: 'everyone', name: '所有居民' },
  { key: 'party_members', name: '党员' },
  { key: 'grid', name: '指定网格的居民' },
];
// The party kinds the server knows (server/community/models.py PARTY_KINDS); null: any kind.
const PARTY_KINDS = [
  { key: null, name: '不限' },
  { key: '在职', name: '在职党员' },
  { key: '自管', name: '自管党员' },
  { key: '流动', name: '流动党员' },
];
const REWARD_KINDS = [
  { key: 'item', name: '按积分项目（每人固定分值）' },
  { key: 'hours', name: '按服务时长（志愿时间银行）' },
];

// Refusals that name a field without details.field (publishing.py, edit_task).
const CODE_FIELDS = {
  point_item_required: 'point_item_id',
  point_item_not_in_community: 'point_item_id',
  point_item_unusable: 'point_item_id',
  point_item_no_value: 'point_item_id',
  hours_rate_required: 'points_per_hour',
  reward_fields_conflict: 'reward_kind',
  audience_fields_conflict: 'audience',
  invalid_party_kind: 'audience_party_kind',
  capacity_below_confirmed: 'capacity',
};

const DAY_MS = 24 * 3600 * 1000;

// What stays editable after the start (server/tasks/windows.py WORDING), the form keys they
// are typed into, and their longest lengths (TaskPatch in schemas/openapi.json).
const WORDING = ['title', 'description', 'place_name'];
const WORDING_INPUTS = ['title', 'description', 'place'];
const LIMITS = [
  ['title', 64, '任务名称不能超过 64 个字'],
  ['description', 2000, '任务说明不能超过 2000 个字'],
  ['place_name', 64, '地点不能超过 64 个字'],
];

// Started: edits_close_at (the start) has passed.
function started(task, now = Date.now()) {
  return !!task && now >= Date.parse(task.edits_close_at);
}

function wall(value) {
  return { date: format.today(Date.parse(value)), time: format.time(value) };
}

function instant(date, time) {
  return date && time ? `${date}T${time}:00+08:00` : null;
}

// A new task: tomorrow 09:00–11:00, ten places, a point item, everyone.
function emptyForm(now = Date.now()) {
  const day = format.today(now + DAY_MS);
  return {
    title: '',
    description: '',
    startDate: day,
    startTime: '09:00',
    endDate: day,
    endTime: '11:00',
    place: '',
    capacity: '10',
    rewardIndex: 0,
    itemId: null,
    perHour: '',
    cap: '',
    audienceIndex: 0,
    gridId: null,
    partyIndex: 0,
    deadlineDate: '',
    deadlineTime: '',
  };
}

function formFromTask(task) {
  const starts = wall(task.starts_at);
  const ends = wall(task.ends_at);
  // The deadline shows only when it is not the default (the start).
  const ownDeadline = Date.parse(task.signup_deadline) !== Date.parse(task.starts_at);
  const deadline = ownDeadline ? wall(task.signup_deadline) : { date: '', time: '' };
  const reward = task.reward || {};
  return {
    title: task.title,
    description: task.description || '',
    startDate: starts.date,
    startTime: starts.time,
    endDate: ends.date,
    endTime: ends.time,
    place: (task.place && task.place.name) || '',
    capacity: String(task.capacity),
    rewardIndex: Math.max(0, REWARD_KINDS.findIndex((k) => k.key === reward.kind)),
    itemId: reward.point_item_id || null,
    perHour: reward.points_per_hour ? String(reward.points_per_hour) : '',
    cap: reward.points_cap ? String(reward.points_cap) : '',
    audienceIndex: Math.max(0, AUDIENCES.findIndex((a) => a.key === task.audience)),
    gridId: task.audience_grid_id || null,
    partyIndex: Math.max(0, PARTY_KINDS.findIndex((p) => p.key === task.audience_party_kind)),
    deadlineDate: deadline.date,
    deadlineTime: deadline.time,
  };
}

function toInt(text) {
  const n = Number(String(text).trim());
  return String(text).trim() && Number.isInteger(n) ? n : NaN;
}

// What the form asks the server for (TaskCreate); only the chosen kind's fields.
function bodyOf(form) {
  const kind = REWARD_KINDS[form.rewardIndex].key;
  const audience = AUDIENCES[form.audienceIndex].key;
  const body = {
    title: form.title.trim(),
    description: form.description.trim(),
    starts_at: instant(form.startDate, form.startTime),
    ends_at: instant(form.endDate, form.endTime),
    place_name: form.place.trim() || null,
    capacity: toInt(form.capacity),
    reward_kind: kind,
    audience,
  };
  if (kind === 'item') body.point_item_id = form.itemId;
  else Object.assign(body, { points_per_hour: toInt(form.perHour), points_cap: toInt(form.cap) });
  if (audience === 'grid') body.audience_grid_id = form.gridId;
  if (audience === 'party_members') body.audience_party_kind = PARTY_KINDS[form.partyIndex].key;
  const deadline = instant(form.deadlineDate, form.deadlineTime);
  if (deadline) body.signup_deadline = deadline;
  return body;
}

// Only the wording of a body: after the start nothing else may be sent.
function wordingOf(body) {
  const picked = {};
  WORDING.forEach((key) => key in body && (picked[key] = body[key]));
  return picked;
}

function checkWording(body) {
  const errors = {};
  if (!body.title) errors.title = '请填写任务名称';
  for (const [key, max, message] of LIMITS) {
    if (body[key] && body[key].length > max) errors[key] = message;
  }
  return errors;
}

// The few checks a person should hear before sending; the server checks everything. In
// wording mode the start has passed and the rules are fixed, so only the wording is checked.
function check(form, body, { wording = false } = {}) {
  const errors = checkWording(body);
  if (wording) return errors;
  if (!(body.capacity >= 1 && body.capacity <= 10000)) errors.capacity = '名额应为 1 到 10000';
  if (body.reward_kind === 'item' && !body.point_item_id) errors.point_item_id = '请选择积分项目';
  if (body.reward_kind === 'hours') {
    if (!(body.points_per_hour >= 1)) errors.points_per_hour = '请填写每小时积分';
    if (!(body.points_cap >= 1)) errors.points_cap = '请填写每人封顶积分';
  }
  if (body.audience === 'grid' && !body.audience_grid_id) errors.audience_grid_id = '请选择网格';
  if (form.deadlineDate && !form.deadlineTime) errors.signup_deadline = '请选择报名截止时间';
  return errors;
}

const TIMES = ['starts_at', 'ends_at', 'signup_deadline'];

function same(key, a, b) {
  if (TIMES.indexOf(key) >= 0 && a && b) return Date.parse(a) === Date.parse(b);
  return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b);
}

// A PATCH of what changed; a changed kind or audience carries its own fields with it.
function changesBetween(before, after) {
  const changes = {};
  for (const key of Object.keys(after)) {
    if (!same(key, before[key], after[key])) changes[key] = after[key];
  }
  const carry = (fields) => fields.forEach((f) => f in after && (changes[f] = after[f]));
  if ('reward_kind' in changes) carry(['point_item_id', 'points_per_hour', 'points_cap']);
  if ('audience' in changes) carry(['audience_grid_id', 'audience_party_kind']);
  return changes;
}

module.exports = {
  AUDIENCES,
  PARTY_KINDS,
  REWARD_KINDS,
  CODE_FIELDS,
  WORDING,
  WORDING_INPUTS,
  started,
  wordingOf,
  emptyForm,
  formFromTask,
  bodyOf,
  check,
  changesBetween,
};
