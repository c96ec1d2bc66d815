// 问题处理 (reviewers and admins): per-grid and community-queue counts, and the community's
// reports by filter with overdue marks. A report's community steps are in reports.test.js.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, texts, exists, tap } = require('../helpers/page');

async function open(name, extra, query) {
  const fake = serveDemo(
    installFakeWx(),
    Object.assign(
      {
        'GET /api/v1/me': 'me_reviewer',
        'GET /api/v1/grid/reports': 'reports_community_review',
      },
      extra
    )
  );
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

describe('the queue', () => {
  test('counts per grid and in the community queue, compactly', async () => {
    const { fake, page } = await open('report-queue');
    expect(fake.requestsTo('GET /api/v1/grid/reports/stats')[0].query).toEqual({ limit: '100' });
    expect(text(page, '.stats__queue-open')).toBe('2');
    expect(text(page, '.stats__queue-overdue')).toBe('1');
    expect(texts(page, '.grid-stat__name')).toEqual([
      '第一网格（幸福里）',
      '第二网格（和平苑）',
      '第三网格（光明小区）',
    ]);
    expect(texts(page, '.grid-stat__counts')).toEqual([
      '待办 3 · 超时 1',
      '待办 0 · 超时 0',
      '待办 2 · 超时 0',
    ]);
    expect(exists(page, '.grid-stats__more')).toBe(false);
  });

  test('opens on content to review: flagged reports, from a grid or the queue', async () => {
    const { fake, page } = await open('report-queue');
    expect(fake.requestsTo('GET /api/v1/grid/reports')[0].query).toEqual({
      scope: 'community',
      limit: '20',
      status: 'in_review',
    });
    expect(text(page, '.chip--on')).toBe('待审核内容');
    expect(texts(page, '.report__status')).toEqual(['内容复核中', '内容复核中']);
    expect(texts(page, '.report__flagged')).toEqual(['文字内容需人工复核', '文字内容需人工复核']);
    expect(texts(page, '.report__where')).toEqual([
      '编号 521 · 第一网格（幸福里） · 幸福里2号楼',
      '编号 522 · 社区队列',
    ]);
  });

  test('社区待办 lists open reports with no grid, overdue marked; 加载更多; 全部', async () => {
    const { fake, page } = await open('report-queue', {
      'GET /api/v1/grid/reports': 'reports_community_queue',
    });
    tap(page, '.filter-community');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/grid/reports')[1].query).toEqual({
      scope: 'community',
      limit: '20',
      unassigned: 'true',
      open_only: 'true',
    });
    expect(texts(page, '.report__category')).toEqual(['环境卫生', '设施损坏']);
    expect(texts(page, '.report__overdue')).toEqual(['超时']);
    expect(texts(page, '.report__status')).toEqual(['待受理', '处理中']);
    expect(exists(page, '.report__flagged')).toBe(false);

    fake.on('GET /api/v1/grid/reports', 'reports_community_queue_page2');
    tap(page, '.load-more');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/grid/reports')[2].query).toMatchObject({
      cursor: 'c2',
      unassigned: 'true',
    });
    expect(texts(page, '.report__category')).toHaveLength(3);
    expect(exists(page, '.load-more')).toBe(false);

    tap(page, '.filter-all');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/grid/reports')[3].query).toEqual({
      scope: 'community',
      limit: '20',
    });
  });

  test('a report opens with the community steps; coming back refreshes', async () => {
    const { fake, page } = await open('report-queue');
    tap(page, '.report', 1);
    await fake.settle();
    expect(fake.navigations).toEqual([
      { type: 'navigateTo', url: '/pages/report-detail/index?id=522&handle=community' },
    ]);
    page.instance.onShow();
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/grid/reports')).toHaveLength(2);
    expect(fake.requestsTo('GET /api/v1/grid/reports/stats')).toHaveLength(2);
  });

  test('pull-down refresh reloads counts and list', async () => {
    const { fake, page } = await open('report-queue');
    fake.on('GET /api/v1/grid/reports', 'reports_empty');
    await page.instance.onPullDownRefresh();
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/grid/reports/stats')).toHaveLength(2);
    expect(text(page, '.queue-empty')).toBe('没有待审核的内容');
  });

  test('empty states say which list is empty', async () => {
    const { fake, page } = await open('report-queue', {
      'GET /api/v1/grid/reports': 'reports_empty',
    });
    expect(text(page, '.queue-empty')).toBe('没有待审核的内容');
    tap(page, '.filter-community');
    await fake.settle();
    expect(text(page, '.queue-empty')).toBe('社区队列没有待办问题');
  });

  test('a failed load offers 重试, which recovers', async () => {
    const fake = serveDemo(installFakeWx(), { 'GET /api/v1/me': 'me_reviewer' });
    fake.on('GET /api/v1/grid/reports', 'reports_community_review');
    fake.once('GET /api/v1/grid/reports', { network: true });
    fake.once('GET /api/v1/grid/reports/stats', { network: true });
    const page = renderPage('report-queue');
    await fake.settle();
    expect(text(page, '.queue-error')).toBe('网络连接失败，请检查网络后重试，点此重试');
    expect(text(page, '.stats-error')).toBe('网络连接失败，请检查网络后重试，点此重试');
    tap(page, '.queue-error');
    tap(page, '.stats-error');
    await fake.settle();
    expect(texts(page, '.report')).toHaveLength(2);
    expect(text(page, '.stats__queue-open')).toBe('2');
    expect(exists(page, '.stats-error')).toBe(false);
  });

  test('someone who is neither reviewer nor admin sees why', async () => {
    const { page } = await open('report-queue', {
      'GET /api/v1/me': 'me_resident',
      'GET /api/v1/grid/reports': 'reports_community_forbidden',
      'GET /api/v1/grid/reports/stats': 'report_stats_forbidden',
    });
    expect(text(page, '.queue-error')).toBe('只有审核员或管理员可以查看社区问题，点此重试');
    expect(text(page, '.stats-error')).toBe('只有审核员或管理员可以查看网格统计，点此重试');
  });
});
