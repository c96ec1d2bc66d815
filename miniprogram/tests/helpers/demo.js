// A whole fake server: a default fixture for every operation the pages call, so a test
// only routes the answers it is about (later `fake.on` / `fake.once` calls win).

const DEFAULTS = {
  'GET /api/v1/me': 'me_resident',
  'GET /api/v1/communities': 'communities',
  'GET /api/v1/communities/{community_id}/grids': 'grids',
  'GET /api/v1/tasks': 'tasks_page1',
  'GET /api/v1/tasks/{task_id}': 'task_detail',
  'GET /api/v1/tasks/me/signups': 'my_signups',
  'GET /api/v1/tasks/me/hours': 'my_hours',
  'GET /api/v1/tasks/me/rights': 'task_rights_resident',
  'GET /api/v1/tasks/{task_id}/attendees': 'attendees',
  'GET /api/v1/tasks/{task_id}/checkin-code': 'checkin_code_1',
  'GET /api/v1/points/balance': 'balance',
  'GET /api/v1/points/ledger': 'ledger_page1',
  'GET /api/v1/rankings': 'rankings_month',
  'GET /api/v1/points/items': 'point_items',
  'GET /api/v1/points/claims': 'my_claims',
  'GET /api/v1/points/claims/{claim_id}': 'claim_detail_rejected',
  'POST /api/v1/uploads': 'upload_ok',
  'GET /api/v1/offers': 'offers_page1',
  'GET /api/v1/offers/{offer_id}': 'offer_detail',
  'GET /api/v1/redemption-windows/current': 'window_open',
  'GET /api/v1/redemptions': 'redemptions',
  'GET /api/v1/redemptions/{redemption_id}': 'redemption_reserved',
  'GET /api/v1/redemptions/{redemption_id}/code': 'redemption_code_1',
  'GET /api/v1/merchant/redemptions': 'merchant_redemptions',
  'GET /api/v1/merchant/statement': 'merchant_statement',
  'GET /api/v1/uploads/{upload_id}': { status: 200, body: null },
  // the grid: 随手拍, 微心愿, service logs
  'GET /api/v1/grid/report-categories': 'report_categories',
  'GET /api/v1/grid/reports': 'reports_mine',
  'GET /api/v1/grid/reports/{report_id}': 'report_resolved',
  'GET /api/v1/grid/reports/stats': 'report_stats',
  'GET /api/v1/wishes': 'wishes_board',
  'GET /api/v1/wishes/{wish_id}': 'wish_published',
  'GET /api/v1/grid/service-items': 'service_items',
  'GET /api/v1/grid/residents': 'grid_residents',
  'GET /api/v1/grid/performance/me': 'performance_me',
  // point cards: card holders, their acts
  'GET /api/v1/card-holders': 'card_holders_page1',
  'GET /api/v1/card-holders/{holder_id}': 'card_holder',
  'GET /api/v1/acts-on-behalf': 'acts_page1',
  // public notices (公示)
  'GET /api/v1/notices': 'notices_page1',
  'GET /api/v1/notices/{notice_id}': 'notice_month_corrected',
  // 信用证明
  'GET /api/v1/me/credit-references': 'credit_references',
};

function serveDemo(fake, extra = {}) {
  for (const [key, fixture] of Object.entries(Object.assign({}, DEFAULTS, extra))) {
    fake.on(key, fixture);
  }
  return fake;
}

module.exports = { DEFAULTS, serveDemo };
