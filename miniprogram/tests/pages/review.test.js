// 积分审核: the queue with photos downloaded with the bearer header, approve and reject.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, texts, exists, tap, queryAll } = require('../helpers/page');

async function openReview(extra) {
  const fake = serveDemo(
    installFakeWx(),
    Object.assign(
      { 'GET /api/v1/me': 'me_reviewer', 'GET /api/v1/points/claims': 'claims_queue' },
      extra
    )
  );
  fake.on('GET /api/v1/uploads/{upload_id}', (req) => ({
    status: 200,
    body: null,
    file: `wxfile://tmp/photo-${req.path.split('/').pop()}.jpg`,
  }));
  const page = renderPage('review');
  await fake.settle();
  return { fake, page };
}

test('the queue shows claims with their photos, fetched with the bearer header', async () => {
  const { fake, page } = await openReview();
  expect(fake.requestsTo('GET /api/v1/points/claims')[0].query).toEqual({
    scope: 'queue',
    limit: '20',
  });
  expect(texts(page, '.claim__who')).toEqual(['李芳 · 好人好事', '王强 · 好人好事']);
  expect(texts(page, '.claim__status')).toEqual(['待审核', '待人工复核']);
  expect(exists(page, '.claim__flagged')).toBe(true);

  const downloads = fake.requestsTo('GET /api/v1/uploads/{upload_id}');
  expect(downloads.map((d) => d.kind)).toEqual(['download', 'download']);
  expect(downloads.map((d) => d.path)).toEqual(['/api/v1/uploads/301', '/api/v1/uploads/302']);
  expect(downloads.every((d) => /^Bearer /.test(d.header.Authorization))).toBe(true);
  expect(page.instance.data.queue.items[0].photos.map((p) => p.path)).toEqual([
    'wxfile://tmp/photo-301.jpg',
    'wxfile://tmp/photo-302.jpg',
  ]);

  tap(page, '.photo__img', 1);
  await fake.settle();
  expect(fake.previews).toEqual([
    {
      current: 'wxfile://tmp/photo-302.jpg',
      urls: ['wxfile://tmp/photo-301.jpg', 'wxfile://tmp/photo-302.jpg'],
    },
  ]);
});

test('a photo the server refuses says so instead of breaking the queue', async () => {
  const { fake, page } = await openReview();
  fake.on('GET /api/v1/uploads/{upload_id}', {
    status: 404,
    body: { error: { code: 'upload_not_found', message: '图片不存在', details: {} } },
  });
  page.instance.setData({ 'queue.items[0].photos[0].path': '' });
  await page.instance.loadPhotos();
  await fake.settle();
  expect(texts(page, '.photo__failed')).toEqual(['照片加载失败']);
});

test('approve: confirm, credit, and the card says so', async () => {
  const { fake, page } = await openReview({
    'POST /api/v1/points/claims/{claim_id}/approve': 'claim_approved',
  });
  tap(page, '.approve-btn');
  await fake.settle();
  expect(fake.modals[0].title).toBe('通过申报');
  const sent = fake.requestsTo('POST /api/v1/points/claims/{claim_id}/approve')[0];
  expect(sent.path).toBe('/api/v1/points/claims/72/approve');
  expect(sent.data).toEqual({});
  expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
  expect(text(page, '.claim__decided')).toBe('已通过，发放 5 积分');
  expect(texts(page, '.approve-btn')).toHaveLength(1); // only the other claim still has one
  expect(texts(page, '.claim__status')[0]).toBe('已通过');
  expect(queryAll(page, '.claim__status')[0].dom.className).toMatch(/tag--green/);
});

test('reject needs a reason, which is sent', async () => {
  const { fake, page } = await openReview({
    'POST /api/v1/points/claims/{claim_id}/reject': 'claim_rejected',
  });
  fake.modalAnswer = { confirm: true, content: '  ' };
  tap(page, '.reject-btn');
  await fake.settle();
  expect(fake.lastToast().title).toBe('请填写驳回原因');
  expect(fake.requestsTo('POST /api/v1/points/claims/{claim_id}/reject')).toHaveLength(0);

  fake.modalAnswer = { confirm: true, content: '照片不清晰' };
  tap(page, '.reject-btn');
  await fake.settle();
  expect(fake.requestsTo('POST /api/v1/points/claims/{claim_id}/reject')[0].data).toEqual({
    reason: '照片不清晰',
  });
  expect(text(page, '.claim__decided')).toBe('已驳回：照片不清晰');
  expect(texts(page, '.claim__status')[0]).toBe('未通过');
  const tag = queryAll(page, '.claim__status')[0].dom.className;
  expect(tag).toMatch(/tag--grey/);
  expect(tag).not.toMatch(/tag--green/);
});

test('a claim someone else decided meanwhile (409) says so', async () => {
  const { fake, page } = await openReview({
    'POST /api/v1/points/claims/{claim_id}/approve': 'claim_already_decided',
  });
  tap(page, '.approve-btn');
  await fake.settle();
  expect(fake.lastToast().title).toBe('该申报已审核，请刷新后查看');
  expect(text(page, '.claim__decided')).toBe('该申报已审核，请刷新后查看');
});

test('someone who is not a reviewer sees why', async () => {
  const { page } = await openReview({ 'GET /api/v1/points/claims': 'claims_queue_forbidden' });
  expect(text(page, '.queue-error')).toBe('只有审核员或管理员可以查看审核队列，点此重试');
});
