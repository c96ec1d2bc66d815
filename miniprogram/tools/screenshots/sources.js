// Where the pages' data comes from: a running API (live) or the jest suite's fake server
// with its recorded fixtures (--fake, what CI's check uses: no server needed).

const { createLiveWx } = require('./live-wx');

function liveSource({ baseUrl, downloadDir }) {
  return { kind: 'live', baseUrl, wx: createLiveWx({ downloadDir }) };
}

// The fixture of GET /me for each demo identity; `newcomer` also gets empty lists.
const ME = {
  'resident-1': 'me_resident',
  'merchant-1': 'me_merchant',
  reviewer: 'me_reviewer',
  'grid-1': 'me_grid_worker',
  admin: 'me_admin',
  newcomer: 'me_newcomer',
};
const NEWCOMER_LISTS = {
  'GET /api/v1/tasks': 'tasks_empty',
  'GET /api/v1/grid/reports': 'reports_empty',
  'GET /api/v1/wishes': 'wishes_empty',
};

function fakeSource() {
  const { createFakeWx } = require('../../tests/helpers/fake-wx');
  const { serveDemo } = require('../../tests/helpers/demo');
  const fake = createFakeWx();
  fake.modalAnswer = { confirm: false, cancel: true }; // decline 重试 dialogs
  return {
    kind: 'fake',
    baseUrl: fake.baseUrl,
    wx: fake.api,
    fake,
    asIdentity(identity) {
      serveDemo(fake);
      fake.on('GET /api/v1/me', ME[identity] || 'me_resident');
      if (identity === 'newcomer') {
        for (const [key, fixture] of Object.entries(NEWCOMER_LISTS)) fake.on(key, fixture);
      }
    },
  };
}

module.exports = { liveSource, fakeSource };
