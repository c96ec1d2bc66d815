// 网格工作台: the monthly performance card, the grid's queue with overdue marks, a report's
// handler steps (accept, wait, resume, resolve, transfer, escalate) and the service-log form.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, texts, exists, tap, find } = require('../helpers/page');
const format = require('../../utils/format');

async function open(name, extra, query) {
  const fake = serveDemo(
    installFakeWx(),
    Object.assign(
      { 'GET /api/v1/me': 'me_grid_worker', 'GET /api/v1/grid/reports': 'reports_grid' },
      extra
    )
  );
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

describe('the desk', () => {
  test("this month's performance", async () => {
    const { fake, page } = await open('grid-desk');
    expect(fake.requestsTo('GET /api/v1/grid/performance/me')[0].query).toEqual({
      month: format.thisMonth(),
    });
    expect(text(page, '.perf__logs')).toBe('12');
    expect(text(page, '.perf__hours')).toBe('7.5');
    expect(text(page, '.perf__residents')).toBe('9');
    expect(text(page, '.perf__closed')).toBe('5');
    expect(text(page, '.perf__more')).toBe('评分 4.6 · 积分 30 · 待审核 2 条');
    expect(text(page, '.perf__kinds')).toBe('走访 8 次，调解 4 次');
  });

  test('a month without ratings says 暂无', async () => {
    const { page } = await open('grid-desk', {
      'GET /api/v1/grid/performance/me': 'performance_none',
    });
    expect(text(page, '.perf__more')).toBe('评分 暂无 · 积分 0 · 待审核 0 条');
    expect(exists(page, '.perf__kinds')).toBe(false);
  });

  test('the queue marks overdue reports; filters and 加载更多 ask the server', async () => {
    const { fake, page } = await open('grid-desk');
    expect(fake.requestsTo('GET /api/v1/grid/reports')[0].query).toEqual({
      scope: 'grid',
      limit: '20',
      open_only: 'true',
    });
    expect(texts(page, '.report__category')).toEqual(['环境卫生', '邻里纠纷']);
    expect(texts(page, '.report__overdue')).toEqual(['超时']);
    expect(texts(page, '.report__status')).toEqual(['待受理', '处理中']);

    fake.on('GET /api/v1/grid/reports', 'reports_grid_page2');
    tap(page, '.load-more');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/grid/reports')[1].query.cursor).toBe('c2');
    expect(texts(page, '.report__category')).toHaveLength(3);

    tap(page, '.filter-overdue');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/grid/reports')[2].query).toEqual({
      scope: 'grid',
      limit: '20',
      open_only: 'true',
      overdue: 'true',
    });
  });

  test('a report opens with the handler steps; 登记服务 opens the form', async () => {
    const { fake, page } = await open('grid-desk');
    tap(page, '.report');
    tap(page, '.new-log');
    await fake.settle();
    expect(fake.navigations.map((n) => n.url)).toEqual([
      '/pages/report-detail/index?id=511&handle=1',
      '/pages/service-log-form/index',
    ]);
  });

  test('someone who is not a grid worker sees why; an empty queue says so', async () => {
    const { page } = await open('grid-desk', {
      'GET /api/v1/grid/reports': 'reports_grid_forbidden',
    });
    expect(text(page, '.queue-error')).toBe('只有网格员可以查看网格问题队列，点此重试');
    const other = await open('grid-desk', { 'GET /api/v1/grid/reports': 'reports_empty' });
    expect(text(other.page, '.queue-empty')).toBe('没有需要处理的问题');
  });
});

describe('handling a report', () => {
  const handle = (extra) => open('report-detail', extra, { id: '511', handle: '1' });

  test('a submitted report: accept (with a key), overdue shown', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_handle_submitted',
      'POST /api/v1/grid/reports/{report_id}/accept': 'report_accept_ok',
    });
    expect(text(page, '.detail__overdue')).toBe('已超时');
    expect(exists(page, '.confirm-card')).toBe(false);
    expect(exists(page, '.resolve-open')).toBe(false);
    tap(page, '.accept-btn');
    await fake.settle();
    const sent = fake.requestsTo('POST /api/v1/grid/reports/{report_id}/accept')[0];
    expect(sent.path).toBe('/api/v1/grid/reports/511/accept');
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(text(page, '.detail__status')).toBe('处理中');
    expect(exists(page, '.resolve-open')).toBe(true);
  });

  test('someone else accepted first (409): the reason is shown', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_handle_submitted',
      'POST /api/v1/grid/reports/{report_id}/accept': 'report_accept_conflict',
    });
    tap(page, '.accept-btn');
    await fake.settle();
    expect(fake.lastToast().title).toBe('问题当前状态不允许该操作，请刷新后查看');
  });

  test('wait for the reporter with a reason, then resume', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_handle_accepted',
      'POST /api/v1/grid/reports/{report_id}/wait': 'report_wait_ok',
      'POST /api/v1/grid/reports/{report_id}/resume': 'report_resume_ok',
    });
    fake.modalAnswer = { confirm: true, content: '请补充照片' };
    tap(page, '.wait-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/wait')[0].data).toEqual({
      reason: '请补充照片',
    });
    expect(text(page, '.detail__deadline')).toBe('计时暂停（等待上报人）');
    tap(page, '.resume-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/resume')[0].data).toEqual({});
  });

  test('resolve needs a note; it goes with the photos', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_handle_accepted',
      'POST /api/v1/grid/reports/{report_id}/resolve': 'report_resolve_ok',
    });
    tap(page, '.resolve-open');
    await fake.settle();
    tap(page, '.resolve-btn');
    await fake.settle();
    expect(text(page, '.error-note')).toBe('请填写处理情况');
    find(page, '.note-input').dispatchEvent('input', { detail: { value: '已清运' } });
    fake.media = [{ tempFilePath: 'wxfile://tmp/done.jpg', size: 1000 }];
    tap(page, '.add-photo');
    await fake.settle();
    tap(page, '.resolve-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/resolve')[0].data).toEqual({
      note: '已清运',
      photo_ids: [301],
    });
    expect(text(page, '.detail__status')).toBe('已办结待确认');
    expect(exists(page, '.resolve-panel')).toBe(false);
  });

  test('transfer to another grid with a reason; same_grid lands beside the grid', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_handle_accepted',
      'POST /api/v1/grid/reports/{report_id}/transfer': 'report_transfer_same_grid',
    });
    tap(page, '.transfer-open');
    await fake.settle();
    expect(page.instance.data.grids.map((g) => g.id)).toEqual([2, 3]); // not its own grid
    tap(page, '.transfer-btn');
    await fake.settle();
    expect(text(page, '.error-grid_id')).toBe('请选择转给哪个网格');
    expect(text(page, '.error-reason')).toBe('请填写转派原因');

    find(page, '.grid-picker').dispatchEvent('change', { detail: { value: '0' } });
    find(page, '.reason-input').dispatchEvent('input', { detail: { value: '不在本网格' } });
    await fake.settle();
    tap(page, '.transfer-btn');
    await fake.settle();
    expect(text(page, '.error-grid_id')).toBe('问题已在该网格');

    fake.on('POST /api/v1/grid/reports/{report_id}/transfer', 'report_transfer_ok');
    tap(page, '.transfer-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/transfer')[1].data).toEqual({
      grid_id: 2,
      reason: '不在本网格',
    });
    expect(screenText(page)).toContain('第二网格（和平苑）');
  });

  test('escalate to the community with a reason; an empty reason sends nothing', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_handle_accepted',
      'POST /api/v1/grid/reports/{report_id}/escalate': 'report_escalate_ok',
    });
    fake.modalAnswer = { confirm: true, content: ' ' };
    tap(page, '.escalate-btn');
    await fake.settle();
    expect(fake.lastToast().title).toBe('请填写原因');
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/escalate')).toHaveLength(0);
    fake.modalAnswer = { confirm: true, content: '需社区协调' };
    tap(page, '.escalate-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/escalate')[0].data).toEqual({
      reason: '需社区协调',
    });
    expect(screenText(page)).toContain('社区队列');
    expect(exists(page, '.escalate-btn')).toBe(false); // already in the community queue
  });
});

describe('登记服务', () => {
  async function fill(page, fake) {
    find(page, '.item-picker').dispatchEvent('change', { detail: { value: '0' } });
    find(page, '.place-input').dispatchEvent('input', { detail: { value: '幸福里5号楼' } });
    find(page, '.resident-search').dispatchEvent('input', { detail: { value: '李' } });
    await fake.settle();
    tap(page, '.search-btn');
    await fake.settle();
  }

  test('active items only; the resident is found by a masked search in my grid', async () => {
    const { fake, page } = await open('service-log-form', {
      'POST /api/v1/grid/service-logs': 'service_log_created',
    });
    expect(page.instance.data.items.map((i) => i.label)).toEqual([
      '走访（2 分）',
      '调解（5 分，需审核）',
    ]);
    await fill(page, fake);
    expect(fake.requestsTo('GET /api/v1/grid/residents')[0].query).toEqual({
      q: '李',
      limit: '20',
    });
    expect(texts(page, '.resident-match .cell__label')).toEqual(['李*芳', '李*']);
    tap(page, '.resident-match');
    await fake.settle();
    expect(text(page, '.resident-name')).toBe('李*芳');

    find(page, '.date-picker').dispatchEvent('change', { detail: { value: '2026-12-06' } });
    find(page, '.time-picker').dispatchEvent('change', { detail: { value: '09:30' } });
    find(page, '.notes-input').dispatchEvent('input', { detail: { value: '了解老人近况' } });
    await fake.settle();
    tap(page, '.submit-btn');
    await fake.settle();
    const sent = fake.requestsTo('POST /api/v1/grid/service-logs')[0];
    expect(sent.data).toEqual({
      item_id: 21,
      grid_id: null, // one grid: the server takes it
      resident_id: 8,
      duration_minutes: 30,
      served_at: '2026-12-06T09:30:00+08:00',
      place: '幸福里5号楼',
      notes: '了解老人近况',
      photo_ids: [],
    });
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(fake.lastToast().title).toBe('已登记 +2');
    expect(fake.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);
  });

  test('checks the form first, and shows the server’s refusals beside their fields', async () => {
    const { fake, page } = await open('service-log-form', {
      'POST /api/v1/grid/service-logs': 'service_log_invalid',
    });
    find(page, '.minutes-input').dispatchEvent('input', { detail: { value: '0' } });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-item_id')).toBe('请选择服务项目');
    expect(text(page, '.error-duration_minutes')).toBe('服务时长应为 1 到 1440 分钟');
    expect(text(page, '.error-place')).toBe('请填写服务地点');
    expect(fake.requestsTo('POST /api/v1/grid/service-logs')).toHaveLength(0);

    await fill(page, fake);
    find(page, '.minutes-input').dispatchEvent('input', { detail: { value: '45' } });
    await fake.settle();
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-duration_minutes')).toBe('应大于或等于 1 且小于或等于 1440');

    fake.on('POST /api/v1/grid/service-logs', 'service_log_future');
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-served_at')).toBe('服务时间不能晚于现在');
    expect(fake.navigations).toEqual([]);
  });

  test('a worker of two grids picks one; residents are searched in it', async () => {
    const { fake, page } = await open('service-log-form', {
      'GET /api/v1/me': 'me_grid_worker_two_grids',
      'POST /api/v1/grid/service-logs': 'service_log_created',
    });
    expect(page.instance.data.grids.map((g) => g.name)).toEqual([
      '第一网格（幸福里）',
      '第二网格（和平苑）',
    ]);
    await fill(page, fake);
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-grid_id')).toBe('请选择服务的网格');
    expect(fake.requestsTo('POST /api/v1/grid/service-logs')).toHaveLength(0);

    find(page, '.grid-picker').dispatchEvent('change', { detail: { value: '1' } });
    find(page, '.resident-search').dispatchEvent('input', { detail: { value: '李' } });
    await fake.settle();
    tap(page, '.search-btn');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/grid/residents')[1].query.grid_id).toBe('2');
    tap(page, '.resident-match');
    tap(page, '.submit-btn');
    await fake.settle();
    const sent = fake.requestsTo('POST /api/v1/grid/service-logs')[0].data;
    expect(sent).toMatchObject({ grid_id: 2, resident_id: 8 });
  });

  test('the catalogue failing to load offers 重试', async () => {
    const fake = serveDemo(installFakeWx(), { 'GET /api/v1/me': 'me_grid_worker' });
    fake.once('GET /api/v1/grid/service-items', { network: true });
    const page = renderPage('service-log-form');
    await fake.settle();
    expect(screenText(page)).toContain('网络连接失败，请检查网络后重试');
    expect(exists(page, '.submit-btn')).toBe(false);
    tap(page, '.page-state >>> .state__retry');
    await fake.settle();
    expect(exists(page, '.submit-btn')).toBe(true);
  });

  test('no resident found says so', async () => {
    const { fake, page } = await open('service-log-form', {
      'GET /api/v1/grid/residents': {
        status: 200,
        body: { items: [], next_cursor: null },
      },
    });
    await fill(page, fake);
    expect(text(page, '.no-match')).toBe('本网格没有找到该居民');
  });
});
