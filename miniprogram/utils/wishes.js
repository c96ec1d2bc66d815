// 微心愿 on screen: statuses, what a wish shows, and on whose behalf the caller may claim
// one (a party member for themselves, staff for their organisation or shop).

const format = require('./format');

const WISH_STATUS = {
  pending: '待审核',
  flagged: '待审核',
  rejected: '未通过',
  published: '待认领',
  claimed: '已认领',
  fulfilled: '已完成待确认',
  confirmed: '已确认',
  cancelled: '已撤回',
  expired: '已过期',
};

function claimerName(c) {
  if (!c) return '';
  if (c.organisation) return `${c.organisation.name}（${c.person.name}）`;
  if (c.merchant) return `${c.merchant.name}（${c.person.name}）`;
  return c.person.name;
}

function wishView(w) {
  return {
    id: w.id,
    title: w.title,
    details: w.details,
    neededBy: format.date(w.needed_by),
    place: w.place,
    beneficiary: w.beneficiary,
    resident: w.resident.name,
    status: w.status,
    statusText: WISH_STATUS[w.status] || w.status,
    points: w.points,
    claimer: claimerName(w.claimer),
    mine: !!w.is_mine,
    claimedByMe: !!w.claimed_by_me,
    fulfilNote: w.fulfilment ? w.fulfilment.note : '',
    fulfilledAt: w.fulfilment ? format.dateTime(w.fulfilment.fulfilled_at) : '',
    thanks: w.thanks || '',
    reason: w.review_reason || '',
    canClaim: w.status === 'published' && !w.is_mine,
    canHandBack: w.status === 'claimed' && !!w.claimed_by_me,
    canFulfil: w.status === 'claimed' && !!w.claimed_by_me,
    canConfirm: w.status === 'fulfilled' && !!w.is_mine,
    canCancel: !!w.is_mine && ['pending', 'flagged', 'published'].indexOf(w.status) >= 0,
  };
}

// [{label, body}] the caller may claim as, from GET /me's role grants.
function claimOptions(me) {
  const options = [];
  const grants = (me && me.role_grants) || [];
  if (grants.some((g) => g.role === 'party_member')) options.push({ label: '以党员身份', body: {} });
  for (const g of grants) {
    if (g.role === 'org_staff' && g.organisation_id) {
      options.push({ label: '以所在单位名义', body: { organisation_id: g.organisation_id } });
    }
    if (g.role === 'merchant_staff' && g.merchant_id) {
      options.push({ label: '以所在店铺名义', body: { merchant_id: g.merchant_id } });
    }
  }
  return options;
}

module.exports = { WISH_STATUS, wishView, claimOptions };
