// Credit references (信用证明): issued for a bank, listed with every check, revoked. One table
// merged into api.js's ENDPOINTS and named functions built on api.js's `call`; and what a
// reference looks like on screen.

const format = require('./format');

const ENDPOINTS = {
  listCreditReferences: { method: 'GET', path: '/api/v1/me/credit-references' },
  issueCreditReference: { method: 'POST', path: '/api/v1/me/credit-references' },
  revokeCreditReference: {
    method: 'POST',
    path: '/api/v1/me/credit-references/{reference_id}/revoke',
  },
};

// The validity choices offered; the server bounds it (1–90 days) and says so if refused.
const VALIDITY_DAYS = [7, 30, 90];

const STATUS_TEXT = { active: '有效', expired: '已过期', revoked: '已撤销' };
const OUTCOME_TEXT = {
  ok: '核验通过',
  wrong_code: '核验码错误',
  expired: '已过期被拒',
  revoked: '已撤销被拒',
};

// `holder` is {organisation_id} or {merchant_id} for an organisation's or shop's staff, or {}.
function creditFunctions(call) {
  return {
    listCreditReferences: (query) => call('listCreditReferences', { query }),
    issueCreditReference: (validDays, holder) =>
      call('issueCreditReference', {
        data: Object.assign({ valid_days: validDays }, holder || {}),
      }),
    revokeCreditReference: (id) =>
      call('revokeCreditReference', { params: { reference_id: id } }),
  };
}

function checkView(c) {
  return {
    at: format.dateTime(c.checked_at),
    outcome: c.outcome,
    outcomeText: OUTCOME_TEXT[c.outcome] || c.outcome,
    client: c.client,
  };
}

function referenceView(r) {
  return {
    id: r.id,
    serial: r.serial,
    status: r.status,
    statusText: STATUS_TEXT[r.status] || r.status,
    holderName: r.holder_name,
    year: r.year,
    pointsYear: r.points_year,
    pointsTotal: r.points_total,
    // Organisations and shops have no volunteer hours of their own.
    hours: typeof r.volunteer_hours === 'number' ? format.hours(r.volunteer_hours) : '',
    rankBand: r.rank_band,
    issuedAt: format.date(r.issued_at),
    validUntil: format.dateTime(r.valid_until),
    revokedAt: format.dateTime(r.revoked_at),
    checkCount: r.check_count,
    checks: (r.checks || []).map(checkView),
    revocable: r.status === 'active',
  };
}

module.exports = { ENDPOINTS, VALIDITY_DAYS, creditFunctions, referenceView, OUTCOME_TEXT };
