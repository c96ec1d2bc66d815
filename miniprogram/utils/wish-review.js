// 心愿审核 on screen: a wish in the reviewers' queue, the approve form's checks and body,
// and what a decided card says.

const format = require('./format');
const { WISH_STATUS, wishView } = require('./wishes');
const { photoSlots } = require('./list-photos');

const DEFAULT_POINTS = 10;
const MAX_POINTS = 100;
const OWN_GRID = { id: null, name: '居民所在网格（默认）' };

// Refusal codes that are about one field of the approve / reject form.
const APPROVE_CODES = {
  grid_required: 'grid_id',
  unknown_grid: 'grid_id',
  grid_not_expected: 'grid_id',
};
const REJECT_CODES = { reason_required: 'reason' };

function queueItem(w) {
  const view = wishView(w);
  view.flagged = w.status === 'flagged';
  view.submitted = format.dateTime(w.created_at);
  view.photos = photoSlots(w.photos);
  view.decided = '';
  return view;
}

// The approve form ({audience, grid, points}) as a request body, or {errors} to show.
function approveBody({ audience, grid, points }) {
  const raw = String(points === undefined || points === null ? '' : points).trim();
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_POINTS) {
    return { errors: { points: `积分应为 1 到 ${MAX_POINTS} 的整数` } };
  }
  const body = { audience, points: n };
  if (audience === 'grid' && grid && grid.id) body.grid_id = grid.id;
  return { body };
}

// `grids` ({id, name}) name the grid a wish went to (the resident's, when none was picked).
function decidedText(wish, grids = []) {
  if (wish.status === 'published') {
    const grid = grids.find((g) => g.id && g.id === wish.audience_grid_id);
    const where = wish.audience === 'grid' ? (grid && grid.name) || '居民所在网格' : '全社区';
    return `已发布到${where}，完成后认领方获得 ${wish.points} 积分`;
  }
  if (wish.status === 'rejected') return `已驳回：${wish.review_reason || ''}`;
  return WISH_STATUS[wish.status] || wish.status;
}

// The tag of a card whose state is `status` (unknown: someone else decided it).
function statusText(status) {
  return WISH_STATUS[status] || '已审核';
}

module.exports = {
  DEFAULT_POINTS,
  MAX_POINTS,
  OWN_GRID,
  APPROVE_CODES,
  REJECT_CODES,
  queueItem,
  approveBody,
  decidedText,
  statusText,
};
