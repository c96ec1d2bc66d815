// 随手拍: the resident's form (categories, photos required by category, place and location,
// errors beside their fields), my reports, and a report's confirm with a rating and reopen.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, texts, exists, tap, find } = require('../helpers/page');

async function open(name, extra, query) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

async function fill(page, fake, { category = '1', words = '路灯不亮了' } = {}) {
  find(page, '.category-picker').dispatchEvent('change', { detail: { value: category } });
  find(page, '.text-input').dispatchEvent('input', { detail: { value: words } });
  find(page, '.place-input').dispatchEvent('input', { detail: { value: '幸福里3号楼' } });
  await fake.settle();
}

describe('随手拍 form', () => {
  test('offers the active categories and says which need photos', async () => {
    const { fake, page } = await open('report-form');
    expect(fake.requestsTo('GET /api/v1/grid/report-categories')[0].query).toEqual({
      limit: '50',
    });
    expect(page.instance.data.categories.map((c) => c.name)).toEqual([
      '环境卫生',
      '邻里纠纷',
      '设施损坏',
    ]);
    await fill(page, fake, { category: '0' });
    expect(text(page, '.category-choice')).toBe('环境卫生');
    expect(screenText(page)).toContain('该类别必须上传');
  });

  test('a category that needs photos refuses to send without one, beside the photos', async () => {
    const { fake, page } = await open('report-form');
    await fill(page, fake, { category: '0' });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-photo_ids')).toBe('该类别需要上传至少一张照片');
    expect(fake.requestsTo('POST /api/v1/grid/reports')).toHaveLength(0);
  });

  test('nothing is sent without a category or a description', async () => {
    const { fake, page } = await open('report-form');
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-category_id')).toBe('请选择问题类别');
    expect(text(page, '.error-text-field')).toBe('请描述问题');
    expect(fake.requestsTo('POST /api/v1/grid/reports')).toHaveLength(0);
  });

  test('photos and the location go with the report, under one idempotency key', async () => {
    const { fake, page } = await open('report-form', {
      'POST /api/v1/grid/reports': 'report_created',
    });
    await fill(page, fake, { category: '0' });
    fake.media = [{ tempFilePath: 'wxfile://tmp/a.jpg', size: 1000 }];
    tap(page, '.add-photo');
    tap(page, '.locate-btn');
    await fake.settle();
    expect(text(page, '.location-text')).toBe('已附上当前位置');
    tap(page, '.submit-btn');
    await fake.settle();
    const sent = fake.requestsTo('POST /api/v1/grid/reports')[0];
    expect(sent.data).toEqual({
      category_id: 1,
      text: '路灯不亮了',
      place: '幸福里3号楼',
      photo_ids: [301],
      latitude: 31.2304,
      longitude: 121.4737,
    });
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(fake.navigations).toEqual([{ type: 'redirectTo', url: '/pages/my-reports/index' }]);
  });

  test("a 422's field messages are shown beside their fields", async () => {
    const { fake, page } = await open('report-form', {
      'POST /api/v1/grid/reports': 'report_invalid_text',
    });
    await fill(page, fake, { category: '1' });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-text-field')).toBe('长度应在 1 到 500 之间');
    expect(text(page, '.error-place')).toBe('长度应在 0 到 100 之间');
    expect(exists(page, '.form-error')).toBe(false);
    expect(fake.navigations).toEqual([]);
  });

  test("the server's photo_required lands beside the photos", async () => {
    const { fake, page } = await open('report-form', {
      'POST /api/v1/grid/reports': 'report_photo_required',
    });
    await fill(page, fake, { category: '1' });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-photo_ids')).toBe('该分类需要上传至少一张照片');
  });

  test('categories that fail to load offer 重试', async () => {
    const fake = serveDemo(installFakeWx());
    fake.once('GET /api/v1/grid/report-categories', { network: true });
    const page = renderPage('report-form');
    await fake.settle();
    expect(screenText(page)).toContain('网络连接失败，请检查网络后重试');
    tap(page, '.page-state >>> .state__retry');
    await fake.settle();
    expect(exists(page, '.category-picker')).toBe(true);
  });
});

describe('my reports', () => {
  test('lists my reports with their states', async () => {
    const { fake, page } = await open('my-reports');
    expect(fake.requestsTo('GET /api/v1/grid/reports')[0].query).toEqual({
      scope: 'mine',
      limit: '20',
    });
    expect(texts(page, '.report__status')).toEqual(['已办结待确认', '等待补充', '待受理']);
    expect(texts(page, '.report__hint')).toEqual(['已办结，请确认并评价']);
    tap(page, '.report');
    await fake.settle();
    expect(fake.navigations[0]).toEqual({
      type: 'navigateTo',
      url: '/pages/report-detail/index?id=503',
    });
  });

  test('empty and error states', async () => {
    const { page } = await open('my-reports', { 'GET /api/v1/grid/reports': 'reports_empty' });
    expect(text(page, '.reports-empty')).toBe('还没有上报过问题');
    const other = await open('my-reports', { 'GET /api/v1/grid/reports': { network: true } });
    expect(text(other.page, '.list-error')).toBe('网络连接失败，请检查网络后重试，点此重试');
  });
});

describe('a report, for its reporter', () => {
  test('resolved: photos, the result, and confirm with a rating', async () => {
    const { fake, page } = await open(
      'report-detail',
      { 'POST /api/v1/grid/reports/{report_id}/confirm': 'report_confirm_ok' },
      { id: '501' }
    );
    expect(text(page, '.detail__status')).toBe('已办结待确认');
    expect(text(page, '.resolution__note')).toBe('已联系物业清运完毕');
    const downloads = fake.requestsTo('GET /api/v1/uploads/{upload_id}').map((d) => d.path);
    expect(downloads).toEqual(['/api/v1/uploads/301', '/api/v1/uploads/302']);

    tap(page, '.confirm-btn');
    await fake.settle();
    expect(text(page, '.error-rating')).toBe('请为处理结果打分');
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/confirm')).toHaveLength(0);

    tap(page, '.star-5');
    find(page, '.feedback-input').dispatchEvent('input', { detail: { value: '处理很及时' } });
    await fake.settle();
    tap(page, '.confirm-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/confirm')[0].data).toEqual({
      rating: 5,
      feedback: '处理很及时',
    });
    expect(text(page, '.detail__status')).toBe('已确认');
    expect(text(page, '.detail__rated')).toBe('评价：5 星，处理很及时');
    expect(exists(page, '.confirm-btn')).toBe(false);
  });

  test('rating twice (409) says so', async () => {
    const { fake, page } = await open(
      'report-detail',
      { 'POST /api/v1/grid/reports/{report_id}/confirm': 'report_already_confirmed' },
      { id: '501' }
    );
    tap(page, '.star-3');
    tap(page, '.confirm-btn');
    await fake.settle();
    expect(fake.lastToast().title).toBe('该问题已确认评价，不能重复评价');
  });

  test('reopen within the window, with a reason', async () => {
    const { fake, page } = await open(
      'report-detail',
      { 'POST /api/v1/grid/reports/{report_id}/reopen': 'report_reopen_ok' },
      { id: '501' }
    );
    expect(text(page, '.reopen-note')).toMatch(/前可重新打开$/);
    fake.modalAnswer = { confirm: true, content: '垃圾又堆起来了' };
    tap(page, '.reopen-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/reopen')[0].data).toEqual({
      reason: '垃圾又堆起来了',
    });
    expect(text(page, '.detail__status')).toBe('处理中');
  });

  test('after the window there is no reopen, and a late one (409) is explained', async () => {
    const { fake, page } = await open(
      'report-detail',
      {
        'GET /api/v1/grid/reports/{report_id}': 'report_resolved_old',
        'POST /api/v1/grid/reports/{report_id}/reopen': 'report_reopen_closed',
      },
      { id: '501' }
    );
    expect(exists(page, '.reopen-btn')).toBe(false);
    expect(text(page, '.reopen-closed')).toBe('已超过重新打开的期限');
    fake.modalAnswer = { confirm: true, content: '还在' };
    await page.instance.reopen();
    await fake.settle();
    expect(fake.lastToast().title).toBe('已超过办结后 7 天，不能重新打开');
  });

  test('waiting for me: I answer and the clock resumes', async () => {
    const { fake, page } = await open(
      'report-detail',
      {
        'GET /api/v1/grid/reports/{report_id}': 'report_waiting',
        'POST /api/v1/grid/reports/{report_id}/resume': 'report_resume_ok',
      },
      { id: '501' }
    );
    expect(text(page, '.detail__deadline')).toBe('计时暂停（等待上报人）');
    expect(text(page, '.detail__reason')).toBe('网格员：请补充具体位置照片');
    fake.modalAnswer = { confirm: true, content: '在3号楼东侧' };
    tap(page, '.answer-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/resume')[0].data).toEqual({
      note: '在3号楼东侧',
    });
    expect(text(page, '.detail__status')).toBe('处理中');
  });

  test("someone else's report is not found", async () => {
    const { page } = await open(
      'report-detail',
      { 'GET /api/v1/grid/reports/{report_id}': 'report_not_found' },
      { id: '9' }
    );
    expect(screenText(page)).toContain('问题不存在或无权查看');
  });
});
