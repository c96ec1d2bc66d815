// 心愿审核: the review queue with photos (downloaded with the bearer header), approve to the
// community or a grid with points, reject with a reason, and the server's refusals.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, texts, exists, tap, find } = require('../helpers/page');

const APPROVE = 'POST /api/v1/wishes/{wish_id}/approve';
const REJECT = 'POST /api/v1/wishes/{wish_id}/reject';

async function openReview(extra) {
  const fake = serveDemo(
    installFakeWx(),
    Object.assign({ 'GET /api/v1/me': 'me_reviewer', 'GET /api/v1/wishes': 'wishes_review' }, extra)
  );
  fake.on('GET /api/v1/uploads/{upload_id}', (req) => ({
    status: 200,
    body: null,
    file: `wxfile://tmp/photo-${req.path.split('/').pop()}.jpg`,
  }));
  const page = renderPage('wish-review');
  await fake.settle();
  return { fake, page };
}

async function openApprove(page, fake, index = 0) {
  tap(page, '.approve-btn', index);
  await fake.settle();
}

describe('the queue', () => {
  test('wishes waiting for review, oldest first, with everything a reviewer needs', async () => {
    const { fake, page } = await openReview();
    expect(fake.requestsTo('GET /api/v1/wishes')[0].query).toEqual({
      scope: 'review',
      limit: '20',
    });
    expect(texts(page, '.wish__title')).toEqual(['帮忙修理家里漏水的水龙头', '想要一些旧书给孩子们读']);
    expect(texts(page, '.wish__status')).toEqual(['待审核', '待审核']);
    expect(texts(page, '.wish__flagged')).toEqual(['文字内容需人工复核，请仔细核对']);
    expect(texts(page, '.wish__details')).toEqual(['厨房水龙头一直滴水，家里没人会修']);
    expect(texts(page, '.wish__needed')).toEqual(['2099年12月15日前完成', '2099年12月31日前完成']);
    expect(texts(page, '.wish__place')).toEqual(['地点：幸福里5号楼2单元']);
    expect(texts(page, '.wish__for')).toEqual(['为谁许愿：本人（独居）']);
    expect(texts(page, '.wish__who')).toEqual([
      '发布人：李*芳 · 提交于 12月6日 10:00',
      '发布人：赵* · 提交于 12月6日 13:00',
    ]);
  });

  test('photos are downloaded with the bearer header and preview', async () => {
    const { fake, page } = await openReview();
    const downloads = fake.requestsTo('GET /api/v1/uploads/{upload_id}');
    expect(downloads.map((d) => d.kind)).toEqual(['download', 'download']);
    expect(downloads.map((d) => d.path)).toEqual(['/api/v1/uploads/401', '/api/v1/uploads/402']);
    expect(downloads.every((d) => /^Bearer /.test(d.header.Authorization))).toBe(true);
    tap(page, '.photo__img', 1);
    await fake.settle();
    expect(fake.previews).toEqual([
      {
        current: 'wxfile://tmp/photo-402.jpg',
        urls: ['wxfile://tmp/photo-401.jpg', 'wxfile://tmp/photo-402.jpg'],
      },
    ]);
  });

  test('a photo the server refuses says so', async () => {
    const fake = serveDemo(installFakeWx(), {
      'GET /api/v1/me': 'me_reviewer',
      'GET /api/v1/wishes': 'wishes_review',
      'GET /api/v1/uploads/{upload_id}': {
        status: 404,
        body: { error: { code: 'upload_not_found', message: '图片不存在', details: {} } },
      },
    });
    const page = renderPage('wish-review');
    await fake.settle();
    expect(texts(page, '.photo__failed')).toEqual(['照片加载失败', '照片加载失败']);
  });

  test('加载更多 asks for the next page', async () => {
    const { fake, page } = await openReview();
    fake.on('GET /api/v1/wishes', 'wishes_review_page2');
    tap(page, '.load-more');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/wishes')[1].query).toEqual({
      scope: 'review',
      limit: '20',
      cursor: 'w2',
    });
    expect(texts(page, '.wish__title')).toHaveLength(3);
    expect(exists(page, '.load-more')).toBe(false);
  });

  test('empty, error with 重试, and pull-down refresh', async () => {
    const { fake, page } = await openReview({ 'GET /api/v1/wishes': 'wishes_empty' });
    expect(text(page, '.queue-empty')).toBe('没有待审核的心愿');

    fake.once('GET /api/v1/wishes', { network: true });
    await page.instance.onPullDownRefresh();
    await fake.settle();
    expect(text(page, '.queue-error')).toBe('网络连接失败，请检查网络后重试，点此重试');
    fake.on('GET /api/v1/wishes', 'wishes_review');
    tap(page, '.queue-error');
    await fake.settle();
    expect(texts(page, '.wish__title')).toHaveLength(2);
  });

  test('someone who is not a reviewer sees why', async () => {
    const { page } = await openReview({ 'GET /api/v1/wishes': 'wishes_review_forbidden' });
    expect(text(page, '.queue-error')).toBe('只有审核员或管理员可以查看审核队列，点此重试');
  });
});

describe('approve', () => {
  test('to the whole community with the default 10 points, under an idempotency key', async () => {
    const { fake, page } = await openReview({ [APPROVE]: 'wish_approve_ok' });
    await openApprove(page, fake);
    expect(page.instance.data.points).toBe('10');
    expect(exists(page, '.grid-picker')).toBe(false);
    tap(page, '.approve-confirm');
    await fake.settle();
    const sent = fake.requestsTo(APPROVE)[0];
    expect(sent.path).toBe('/api/v1/wishes/611/approve');
    expect(sent.data).toEqual({ audience: 'community', points: 10 });
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(texts(page, '.wish__status')).toEqual(['待认领', '待审核']);
    expect(text(page, '.wish__decided')).toBe('已发布到全社区，完成后认领方获得 10 积分');
    expect(exists(page, '.approve-panel')).toBe(false);
    expect(texts(page, '.approve-btn')).toHaveLength(1); // only the other wish
    expect(fake.lastToast().title).toBe('已发布');
  });

  test("to one grid picked from the community's grids, with other points", async () => {
    const { fake, page } = await openReview({ [APPROVE]: 'wish_approve_grid_ok' });
    await openApprove(page, fake);
    tap(page, '.audience-grid');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/communities/{community_id}/grids')[0].path).toBe(
      '/api/v1/communities/1/grids'
    );
    expect(page.instance.data.grids.map((g) => g.name)).toEqual([
      '居民所在网格（默认）',
      '第一网格（幸福里）',
      '第二网格（和平苑）',
      '第三网格（光明小区）',
    ]);
    expect(text(page, '.grid-choice')).toBe('居民所在网格（默认）');
    find(page, '.grid-picker').dispatchEvent('change', { detail: { value: '2' } });
    find(page, '.points-input').dispatchEvent('input', { detail: { value: '20' } });
    await fake.settle();
    tap(page, '.approve-confirm');
    await fake.settle();
    expect(fake.requestsTo(APPROVE)[0].data).toEqual({ audience: 'grid', grid_id: 2, points: 20 });
    expect(text(page, '.wish__decided')).toBe(
      '已发布到第二网格（和平苑），完成后认领方获得 20 积分'
    );
  });

  test("to the resident's own grid: no grid_id, the server picks it and names it", async () => {
    const { fake, page } = await openReview({ [APPROVE]: 'wish_approve_grid_ok' });
    await openApprove(page, fake);
    tap(page, '.audience-grid');
    await fake.settle();
    tap(page, '.approve-confirm');
    await fake.settle();
    expect(fake.requestsTo(APPROVE)[0].data).toEqual({ audience: 'grid', points: 10 });
    expect(text(page, '.wish__decided')).toBe(
      '已发布到第二网格（和平苑），完成后认领方获得 20 积分'
    );
  });

  test('points outside 1..100 are refused beside the field, and nothing is sent', async () => {
    const { fake, page } = await openReview({ [APPROVE]: 'wish_approve_ok' });
    await openApprove(page, fake);
    for (const value of ['0', '101', '', '5.5']) {
      find(page, '.points-input').dispatchEvent('input', { detail: { value } });
      await fake.settle();
      tap(page, '.approve-confirm');
      await fake.settle();
      expect(text(page, '.error-points')).toBe('积分应为 1 到 100 的整数');
    }
    expect(fake.requestsTo(APPROVE)).toHaveLength(0);
  });

  test("a 422's field message lands beside its field", async () => {
    const { fake, page } = await openReview({ [APPROVE]: 'wish_approve_invalid' });
    await openApprove(page, fake);
    tap(page, '.approve-confirm');
    await fake.settle();
    expect(text(page, '.error-points')).toBe('应大于或等于 1 且小于或等于 100');
    expect(exists(page, '.form-error')).toBe(false);
    expect(texts(page, '.wish__status')[0]).toBe('待审核');
  });

  test('a resident with no grid: grid_required lands beside the grid', async () => {
    const { fake, page } = await openReview({ [APPROVE]: 'wish_grid_required' });
    await openApprove(page, fake);
    tap(page, '.audience-grid');
    await fake.settle();
    tap(page, '.approve-confirm');
    await fake.settle();
    expect(text(page, '.error-grid_id')).toBe('居民未加入网格，请指定网格');
  });

  test('someone decided first (409): the card shows the state found and why', async () => {
    const { fake, page } = await openReview({ [APPROVE]: 'wish_already_reviewed' });
    await openApprove(page, fake);
    tap(page, '.approve-confirm');
    await fake.settle();
    expect(texts(page, '.wish__status')).toEqual(['待认领', '待审核']);
    expect(text(page, '.wish__decided')).toBe('该心愿已审核或已结束，请刷新后查看');
    expect(exists(page, '.approve-panel')).toBe(false);
  });

  test('past its needed-by day (409): said on the form; it can still be rejected', async () => {
    const { fake, page } = await openReview({ [APPROVE]: 'wish_past_needed_by_review' });
    await openApprove(page, fake);
    tap(page, '.approve-confirm');
    await fake.settle();
    expect(text(page, '.form-error')).toBe('该心愿已过期望完成日期');
    expect(texts(page, '.wish__status')[0]).toBe('待审核');
    tap(page, '.approve-panel .btn--ghost'); // 取消
    await fake.settle();
    expect(texts(page, '.reject-btn')).toHaveLength(2);
  });

  test("reviewing one's own wish (403) shows the server's message", async () => {
    const { fake, page } = await openReview({ [APPROVE]: 'wish_review_own' });
    await openApprove(page, fake);
    tap(page, '.approve-confirm');
    await fake.settle();
    expect(text(page, '.form-error')).toBe('不能审核自己的心愿');
    expect(exists(page, '.wish__decided')).toBe(false);
  });

  test('a network failure is said on the form; trying again sends a new key', async () => {
    const { fake, page } = await openReview({ [APPROVE]: 'wish_approve_ok' });
    fake.once(APPROVE, { network: true });
    await openApprove(page, fake);
    tap(page, '.approve-confirm');
    await fake.settle();
    expect(text(page, '.form-error')).toBe('网络连接失败，请检查网络后重试');
    tap(page, '.approve-confirm');
    await fake.settle();
    const keys = fake.requestsTo(APPROVE).map((r) => r.header['Idempotency-Key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    expect(texts(page, '.wish__status')[0]).toBe('待认领');
  });
});

describe('reject', () => {
  test('needs a reason, which is sent; the card says 未通过', async () => {
    const { fake, page } = await openReview({ [REJECT]: 'wish_reject_ok' });
    tap(page, '.reject-btn');
    await fake.settle();
    find(page, '.reason-input').dispatchEvent('input', { detail: { value: '   ' } });
    await fake.settle();
    tap(page, '.reject-confirm');
    await fake.settle();
    expect(text(page, '.error-reason')).toBe('请填写驳回原因（居民会看到）');
    expect(fake.requestsTo(REJECT)).toHaveLength(0);

    find(page, '.reason-input').dispatchEvent('input', { detail: { value: ' 不属于微心愿的范围 ' } });
    await fake.settle();
    tap(page, '.reject-confirm');
    await fake.settle();
    const sent = fake.requestsTo(REJECT)[0];
    expect(sent.path).toBe('/api/v1/wishes/611/reject');
    expect(sent.data).toEqual({ reason: '不属于微心愿的范围' });
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(texts(page, '.wish__status')).toEqual(['未通过', '待审核']);
    expect(text(page, '.wish__decided')).toBe('已驳回：不属于微心愿的范围');
    expect(fake.lastToast().title).toBe('已驳回');
  });

  test("the server's reason_required lands beside the reason", async () => {
    const { fake, page } = await openReview({ [REJECT]: 'wish_reject_reason_required' });
    tap(page, '.reject-btn');
    await fake.settle();
    find(page, '.reason-input').dispatchEvent('input', { detail: { value: '不合适' } });
    await fake.settle();
    tap(page, '.reject-confirm');
    await fake.settle();
    expect(text(page, '.error-reason')).toBe('驳回时请填写原因');
  });

  test('opening another card closes the first form', async () => {
    const { fake, page } = await openReview();
    tap(page, '.reject-btn', 0);
    await fake.settle();
    expect(texts(page, '.approve-btn')).toHaveLength(1); // the open card's buttons give way
    tap(page, '.approve-btn', 0);
    await fake.settle();
    expect(exists(page, '.reject-panel')).toBe(false);
    expect(texts(page, '.approve-panel')).toHaveLength(1);
    expect(page.instance.data.panel).toEqual({ id: 612, mode: 'approve' });
  });
});
