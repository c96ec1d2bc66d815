// Public notices (公示): the community's monthly, quarterly and yearly notices. One table
// merged into api.js's ENDPOINTS and named functions built on api.js's `call`.

const ENDPOINTS = {
  listNotices: { method: 'GET', path: '/api/v1/notices' },
  getNotice: { method: 'GET', path: '/api/v1/notices/{notice_id}' },
};

const PERIOD_TYPES = [
  { key: '', name: '全部' },
  { key: 'month', name: '月度' },
  { key: 'quarter', name: '季度' },
  { key: 'year', name: '年度' },
];

// `call(name, {params, query})` is api.js's.
function noticeFunctions(call) {
  return {
    listNotices: (query) => call('listNotices', { query }),
    getNotice: (id, query) => call('getNotice', { params: { notice_id: id }, query }),
  };
}

// A list item as the 公示 list shows it.
function noticeView(n) {
  return {
    id: n.id,
    title: n.title,
    periodLabel: n.period_label,
    publishedOn: String(n.published_at || '').slice(0, 10),
    isCorrection: n.correction_of !== null && n.correction_of !== undefined,
    corrected: !!n.corrected,
  };
}

module.exports = { ENDPOINTS, PERIOD_TYPES, noticeFunctions, noticeView };
