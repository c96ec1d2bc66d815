// What a volunteer task looks like on screen, and the scan-to-check-in flow shared by the
// task list and the task page.

const api = require('./api');
const format = require('./format');

// The organiser's screen shows this text as a QR code; attendees scan it. The task id
// travels with the token so a scan from the task list knows which task it is for.
const CHECKIN_PREFIX = 'RPCHECKIN';

function checkinPayload(taskId, token) {
  return `${CHECKIN_PREFIX}:${taskId}:${token}`;
}

function parseCheckinPayload(text) {
  const m = /^RPCHECKIN:(\d+):(\S+)$/.exec(String(text || '').trim());
  return m ? { taskId: Number(m[1]), token: m[2] } : null;
}

const AUDIENCE_NAMES = { everyone: '所有居民', party_members: '党员', grid: '本网格居民' };
const STATUS_NAMES = { published: '报名中', cancelled: '已取消', completed: '已完成' };

function rewardText(reward) {
  if (!reward) return '';
  if (reward.kind === 'hours') {
    const cap = reward.points_cap ? `，最多 ${reward.points_cap} 分` : '';
    return `每小时 ${reward.points_per_hour || 0} 分${cap}`;
  }
  return reward.points ? `${reward.points} 积分` : reward.point_item_name || '';
}

// 已报名 / 候补第 N 位 / 现场签到, or '' when not signed up.
function signupText(signup) {
  if (!signup) return '';
  if (signup.status === 'confirmed') return '已报名';
  if (signup.status === 'waitlisted') {
    return signup.waitlist_position ? `候补第 ${signup.waitlist_position} 位` : '候补中';
  }
  if (signup.status === 'walk_in') return '现场签到';
  return '';
}

function attendanceText(att) {
  if (!att) return '';
  if (att.checkout_at) {
    const pts = att.credited && att.points ? `，获得 ${att.points} 积分` : '';
    return `已签退 ${format.time(att.checkout_at)} · 服务 ${att.minutes || 0} 分钟${pts}`;
  }
  return `已签到 ${format.time(att.checkin_at)}`;
}

function hasPlace(task) {
  return !!(task.place && task.place.latitude !== null && task.place.latitude !== undefined);
}

function taskView(task) {
  const signup = task.my_signup && task.my_signup.status !== 'cancelled' ? task.my_signup : null;
  return {
    id: task.id,
    title: task.title,
    description: task.description,
    organiser: task.organiser ? task.organiser.name : '',
    when: format.timeRange(task.starts_at, task.ends_at),
    deadline: format.dateTime(task.signup_deadline),
    cancelDeadline: format.dateTime(task.cancel_deadline),
    place: task.place && task.place.name ? task.place.name : '',
    needsLocation: hasPlace(task) && task.place.radius_m !== null,
    reward: rewardText(task.reward),
    audience: AUDIENCE_NAMES[task.audience] || task.audience,
    status: task.status,
    statusText: STATUS_NAMES[task.status] || task.status,
    capacity: task.capacity,
    confirmed: task.confirmed_count,
    waitlisted: task.waitlisted_count,
    seatsLeft: task.seats_left,
    seatsText: task.seats_left > 0 ? `剩余 ${task.seats_left} 个名额` : '名额已满，可报名候补',
    eligible: task.eligible,
    canManage: task.can_manage,
    signup: signupText(signup),
    signupStatus: signup ? signup.status : '',
    attendance: attendanceText(task.my_attendance),
    checkedIn: !!(task.my_attendance && task.my_attendance.checkin_at),
    checkedOut: !!(task.my_attendance && task.my_attendance.checkout_at),
    cancelReason: task.cancel_reason || '',
  };
}

// Where the task stands against the windows the server gives (checkin_opens_at …): the
// page only compares the clock with them, it never recomputes the rule.
// phase: before | checkin | checkout | closed; `next` is the next boundary (ms) or null.
function checkinPhase(task, now = Date.now()) {
  const opens = Date.parse(task.checkin_opens_at);
  const closes = Date.parse(task.checkin_closes_at);
  const over = Date.parse(task.checkout_closes_at);
  if (now < opens) {
    return { phase: 'before', next: opens, text: `签到将于 ${format.clockOrDate(opens, now)} 开放` };
  }
  if (now <= closes) return { phase: 'checkin', next: closes + 1, text: '' };
  if (now <= over) {
    const until = format.clockOrDate(over, now);
    return { phase: 'checkout', next: over + 1, text: `签到已截止，${until} 前仍可扫码签退` };
  }
  return { phase: 'closed', next: null, text: '签到和签退已结束' };
}

// Whether 完成任务 is open yet, and the text shown until it is.
function completionPhase(task, now = Date.now()) {
  const opens = Date.parse(task.completion_opens_at);
  if (now >= opens) return { open: true, next: null, text: '' };
  return {
    open: false,
    next: opens,
    text: `任务开始后（${format.clockOrDate(opens, now)}）可完成任务并发放积分`,
  };
}

// One row of 组织者管理's attendee list.
function attendeeView(a) {
  return {
    userId: a.user_id,
    name: a.name,
    phone: a.phone || '',
    status: a.status,
    statusText: signupText(a) || (a.status === 'cancelled' ? '已取消' : a.status),
    attendance: attendanceText(a.attendance),
    present: !!a.attendance,
    canMark: (a.status === 'confirmed' || a.status === 'walk_in') && !a.attendance,
  };
}

// 已签到 x / y: attendees present (walk-ins too) over confirmed sign-ups.
const countsOf = (rows) => ({
  checkedIn: rows.filter((a) => a.present).length,
  confirmed: rows.filter((a) => a.status === 'confirmed').length,
});

const MAX_ATTENDEE_PAGES = 20; // 2,000 people: more than any task's capacity in practice

// Every attendee of a task (all pages), so the counts cover everyone, not the first page.
async function allAttendees(taskId) {
  let rows = [];
  let cursor = null;
  for (let n = 0; n < MAX_ATTENDEE_PAGES; n += 1) {
    const page = await api.listAttendees(taskId, { limit: 100, cursor });
    rows = rows.concat((page.items || []).map(attendeeView));
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return rows;
}

function scan() {
  return new Promise((resolve, reject) => {
    wx.scanCode({
      onlyFromCamera: true,
      scanType: ['qrCode'],
      success: (res) => resolve(res.result),
      fail: (err) => reject(err),
    });
  });
}

function locate() {
  return new Promise((resolve, reject) => {
    wx.getLocation({
      // The map coordinates WeChat and Chinese maps use; tasks are placed on the same maps.
      type: 'gcj02',
      success: (res) =>
        resolve({ latitude: res.latitude, longitude: res.longitude, accuracy: res.accuracy }),
      fail: () =>
        reject(
          new api.ApiError('location_denied', '需要获取您的位置才能签到，请在设置中允许定位后重试')
        ),
    });
  });
}

// Scan the organiser's code and check in (or out, when already checked in). `expectedTaskId`
// refuses another task's code. Resolves to {task, action, result} or null when the user
// closed the scanner; rejects with an ApiError the caller shows. Acting for a card holder,
// `client` is api.actingFor(id) and `action` is given: the task says nothing of their state.
async function scanAndAttend(expectedTaskId, { client = api, action: chosen } = {}) {
  let text;
  try {
    text = await scan();
  } catch (e) {
    return null; // the user closed the scanner
  }
  const payload = parseCheckinPayload(text);
  if (!payload) throw new api.ApiError('not_a_checkin_code', '这不是志愿任务的签到码');
  if (expectedTaskId && payload.taskId !== Number(expectedTaskId)) {
    throw new api.ApiError('other_task_code', '这是其他任务的签到码，请扫描本任务的签到码');
  }
  const task = await api.getTask(payload.taskId);
  const location = hasPlace(task) ? await locate() : null;
  const checkedIn = !!(task.my_attendance && task.my_attendance.checkin_at);
  const action = chosen || (checkedIn ? 'checkout' : 'checkin');
  const result = await client[action](payload.taskId, payload.token, location);
  return { task, action, result };
}

function attendMessage({ action, result }) {
  if (action === 'checkin') return '签到成功';
  return `签退成功，服务 ${result.minutes || 0} 分钟`;
}

// A toast is cut after 7 characters: 签到 is a toast, 签退 with its minutes a modal.
function showAttendResult(outcome) {
  if (outcome.action === 'checkin') {
    wx.showToast({ title: '签到成功', icon: 'success' });
    return;
  }
  wx.showModal({ title: '签退成功', content: attendMessage(outcome), showCancel: false });
}

module.exports = {
  CHECKIN_PREFIX,
  showAttendResult,
  checkinPayload,
  parseCheckinPayload,
  taskView,
  checkinPhase,
  completionPhase,
  attendeeView,
  countsOf,
  allAttendees,
  signupText,
  attendanceText,
  scanAndAttend,
  attendMessage,
};
