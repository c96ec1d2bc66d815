// A page's queue of reports (data.queue) under the filter tab it shows (data.filter, one of
// `filters`: {key, query}), paged: the grid desk's (scope grid) and 问题处理's (community).

const api = require('./api');
const { paged } = require('./paged');
const { reportView } = require('./reports');

function filteredReports(page, scope, filters) {
  return paged(
    page,
    'queue',
    (cursor) => {
      const { query } = filters.find((f) => f.key === page.data.filter);
      return api.listReports(Object.assign({ scope, limit: 20, cursor }, query));
    },
    (r) => reportView(r)
  );
}

module.exports = { filteredReports };
