// The grid's endpoints (随手拍 reports, 微心愿 wishes, service logs and performance): one
// table merged into api.js's ENDPOINTS, and their named functions built on api.js's `call`,
// so wx.request stays in api.js and the contract test checks these like every other.

const ENDPOINTS = {
  listReportCategories: { method: 'GET', path: '/api/v1/grid/report-categories' },
  createReport: { method: 'POST', path: '/api/v1/grid/reports', idempotent: true },
  listReports: { method: 'GET', path: '/api/v1/grid/reports' },
  getReport: { method: 'GET', path: '/api/v1/grid/reports/{report_id}' },
  getReportStats: { method: 'GET', path: '/api/v1/grid/reports/stats' },
  // Content review of flagged texts and duplicates: the community's reviewers and admins.
  releaseReport: { method: 'POST', path: '/api/v1/grid/reports/{report_id}/release' },
  rejectReport: { method: 'POST', path: '/api/v1/grid/reports/{report_id}/reject' },
  duplicateReport: { method: 'POST', path: '/api/v1/grid/reports/{report_id}/duplicate' },
  acceptReport: {
    method: 'POST',
    path: '/api/v1/grid/reports/{report_id}/accept',
    idempotent: true,
  },
  waitReport: { method: 'POST', path: '/api/v1/grid/reports/{report_id}/wait' },
  resumeReport: { method: 'POST', path: '/api/v1/grid/reports/{report_id}/resume' },
  resolveReport: { method: 'POST', path: '/api/v1/grid/reports/{report_id}/resolve' },
  transferReport: { method: 'POST', path: '/api/v1/grid/reports/{report_id}/transfer' },
  escalateReport: { method: 'POST', path: '/api/v1/grid/reports/{report_id}/escalate' },
  confirmReport: { method: 'POST', path: '/api/v1/grid/reports/{report_id}/confirm' },
  reopenReport: { method: 'POST', path: '/api/v1/grid/reports/{report_id}/reopen' },
  listWishes: { method: 'GET', path: '/api/v1/wishes' },
  createWish: { method: 'POST', path: '/api/v1/wishes', idempotent: true },
  getWish: { method: 'GET', path: '/api/v1/wishes/{wish_id}' },
  cancelWish: { method: 'POST', path: '/api/v1/wishes/{wish_id}/cancel', idempotent: true },
  approveWish: { method: 'POST', path: '/api/v1/wishes/{wish_id}/approve', idempotent: true },
  rejectWish: { method: 'POST', path: '/api/v1/wishes/{wish_id}/reject', idempotent: true },
  claimWish: { method: 'POST', path: '/api/v1/wishes/{wish_id}/claim', idempotent: true },
  handBackWish: { method: 'POST', path: '/api/v1/wishes/{wish_id}/hand-back', idempotent: true },
  fulfilWish: { method: 'POST', path: '/api/v1/wishes/{wish_id}/fulfil', idempotent: true },
  confirmWish: { method: 'POST', path: '/api/v1/wishes/{wish_id}/confirm', idempotent: true },
  listServiceItems: { method: 'GET', path: '/api/v1/grid/service-items' },
  searchGridResidents: { method: 'GET', path: '/api/v1/grid/residents' },
  createServiceLog: { method: 'POST', path: '/api/v1/grid/service-logs', idempotent: true },
  getMyPerformance: { method: 'GET', path: '/api/v1/grid/performance/me' },
};

// `call(name, {params, query, data, idempotencyKey})` is api.js's.
function gridFunctions(call) {
  const report = (name) => (id, data) => call(name, { params: { report_id: id }, data });
  const wish = (name) => (id, data, idempotencyKey) =>
    call(name, { params: { wish_id: id }, data, idempotencyKey });
  return {
    listReportCategories: (query) => call('listReportCategories', { query }),
    createReport: (body, idempotencyKey) => call('createReport', { data: body, idempotencyKey }),
    listReports: (query) => call('listReports', { query }),
    getReport: (id) => call('getReport', { params: { report_id: id } }),
    getReportStats: (query) => call('getReportStats', { query }),
    releaseReport: (id) => call('releaseReport', { params: { report_id: id } }),
    rejectReport: report('rejectReport'),
    duplicateReport: report('duplicateReport'),
    acceptReport: (id) => call('acceptReport', { params: { report_id: id } }),
    waitReport: report('waitReport'),
    resumeReport: report('resumeReport'),
    resolveReport: report('resolveReport'),
    transferReport: report('transferReport'),
    escalateReport: report('escalateReport'),
    confirmReport: report('confirmReport'),
    reopenReport: report('reopenReport'),
    listWishes: (query) => call('listWishes', { query }),
    createWish: (body, idempotencyKey) => call('createWish', { data: body, idempotencyKey }),
    getWish: (id) => call('getWish', { params: { wish_id: id } }),
    cancelWish: (id) => call('cancelWish', { params: { wish_id: id } }),
    approveWish: wish('approveWish'),
    rejectWish: wish('rejectWish'),
    claimWish: wish('claimWish'),
    handBackWish: wish('handBackWish'),
    fulfilWish: wish('fulfilWish'),
    confirmWish: wish('confirmWish'),
    listServiceItems: (query) => call('listServiceItems', { query }),
    searchGridResidents: (query) => call('searchGridResidents', { query }),
    createServiceLog: (body, idempotencyKey) =>
      call('createServiceLog', { data: body, idempotencyKey }),
    getMyPerformance: (query) => call('getMyPerformance', { query }),
  };
}

module.exports = { ENDPOINTS, gridFunctions };
