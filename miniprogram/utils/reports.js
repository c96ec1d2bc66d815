// 随手拍 reports on screen: statuses, deadlines and overdue marks, and which steps the
// reporter or a handler may take (the server checks each again).

const format = require('./format');

const REPORT_STATUS = {
  in_review: '内容复核中',
  submitted: '待受理',
  accepted: '处理中',
  waiting: '等待补充',
  resolved: '已办结待确认',
  confirmed: '已确认',
  rejected: '未通过',
  duplicate: '重复上报',
};

const CLOSED = ['confirmed', 'rejected', 'duplicate'];

function deadline(r) {
  if (r.status === 'submitted' && r.accept_due_at) {
    return `${format.dateTime(r.accept_due_at)} 前受理`;
  }
  if (r.paused) return '计时暂停（等待上报人）';
  if (['accepted', 'submitted'].indexOf(r.status) >= 0 && r.resolve_due_at) {
    return `${format.dateTime(r.resolve_due_at)} 前办结`;
  }
  return '';
}

function reportView(r, now = Date.now()) {
  const reopenUntil = r.reopen_until ? Date.parse(r.reopen_until) : 0;
  return {
    id: r.id,
    category: r.category.name,
    grid: r.grid ? r.grid.name : '社区队列',
    reporter: r.reporter.name,
    text: r.text,
    place: r.place,
    status: r.status,
    statusText: REPORT_STATUS[r.status] || r.status,
    closed: CLOSED.indexOf(r.status) >= 0,
    overdue: !!r.overdue,
    paused: !!r.paused,
    deadline: deadline(r),
    submitted: format.dateTime(r.created_at),
    photoCount: r.photos.length,
    resolutionNote: r.resolution_note || '',
    resolvedBy: r.resolved_by ? r.resolved_by.name : '',
    resolvedAt: format.dateTime(r.resolved_at),
    reason: r.last_reason || '',
    rating: r.rating || 0,
    feedback: r.feedback || '',
    reopenUntil: format.dateTime(r.reopen_until),
    canReopen: r.status === 'resolved' && reopenUntil > now,
    canConfirm: r.status === 'resolved',
    canResume: r.status === 'waiting',
    pointsCredited: !!r.points_credited,
    gridId: r.grid ? r.grid.id : null,
  };
}

// What a handler may do next from a report's status.
function handlerSteps(status) {
  return {
    accept: status === 'submitted',
    wait: status === 'accepted',
    resume: status === 'waiting',
    resolve: status === 'accepted',
    transfer: status === 'submitted' || status === 'accepted',
    escalate: status === 'submitted' || status === 'accepted',
  };
}

module.exports = { REPORT_STATUS, reportView, handlerSteps };
