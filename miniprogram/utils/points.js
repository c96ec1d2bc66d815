// Points on screen: ledger lines, claim statuses, ranking kinds and periods.

const format = require('./format');

const CLAIM_STATUS = {
  pending: '待审核',
  flagged: '待人工复核',
  approved: '已通过',
  rejected: '未通过',
};

// Tag colour per claim status: approved green, rejected grey, waiting the default red.
const CLAIM_TAG = { approved: 'tag--green', rejected: 'tag--grey' };

function claimTag(status) {
  return CLAIM_TAG[status] || '';
}

const RANKING_KINDS = [
  { key: 'person', name: '居民' },
  { key: 'party_member', name: '党员' },
  { key: 'organisation', name: '单位' },
  { key: 'grid_worker', name: '网格员' },
  { key: 'merchant', name: '店铺' },
];

const PERIODS = [
  { key: 'month', name: '本月' },
  { key: 'quarter', name: '本季度' },
  { key: 'year', name: '本年' },
];

function ledgerView(e) {
  return {
    id: e.id,
    label: e.kind_label,
    reason: e.reason,
    amount: format.signed(e.amount),
    positive: e.amount > 0,
    balanceAfter: e.balance_after,
    when: format.dateTime(e.created_at),
  };
}

function claimView(c) {
  return {
    id: c.id,
    item: c.item.name,
    category: c.item.category_name,
    claimant: c.claimant.name,
    organisation: c.organisation ? c.organisation.name : '',
    occurredOn: format.date(c.occurred_on),
    description: c.description,
    photoIds: c.photos.map((p) => p.id),
    photoCount: c.photos.length,
    status: c.status,
    statusText: CLAIM_STATUS[c.status] || c.status,
    tagClass: claimTag(c.status),
    points: c.points,
    reason: c.decision_reason || '',
    decidedBy: c.decided_by ? c.decided_by.name : '',
    submitted: format.dateTime(c.created_at),
    // The server says whether a rejected claim may still be corrected (once per rejection).
    resubmittable: !!c.resubmittable,
    resubmittedAs: c.resubmitted_as || null,
    resubmittedFrom: c.resubmitted_from || null,
  };
}

// The caps of an item, as the claim form explains them (the server enforces them).
function capsText(item) {
  const parts = [];
  parts.push(item.daily_cap ? `每天最多申报 ${item.daily_cap} 次` : '同一天只能申报一次');
  if (item.monthly_cap) parts.push(`每月最多 ${item.monthly_cap} 次`);
  return parts.join('，');
}

module.exports = { CLAIM_STATUS, claimTag, RANKING_KINDS, PERIODS, ledgerView, claimView, capsText };
