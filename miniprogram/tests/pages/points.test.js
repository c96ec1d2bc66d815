// 积分: balance, history and rank; rankings; the claim form with photo uploads and caps;
// my claims.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, texts, exists, tap, find, queryAll } = require('../helpers/page');

async function open(name, extra, query) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

describe('points tab', () => {
  test('balance, held and available; my rank; history with reasons and 加载更多', async () => {
    const { fake, page } = await open('points', { 'GET /api/v1/rankings': 'rankings_me' });
    expect(text(page, '.balance__value')).toBe('120');
    expect(text(page, '.balance__available')).toBe('100');
    expect(text(page, '.balance__held')).toBe('20');
    expect(text(page, '.my-rank')).toBe('11月 · 我的排名 第 3 名');
    expect(fake.requestsTo('GET /api/v1/rankings')[0].query).toEqual({
      kind: 'person',
      limit: '1',
    });
    expect(texts(page, '.ledger__reason')).toEqual([
      '志愿服务：幸福里垃圾分类宣传',
      '兑换：理发券',
    ]);
    expect(texts(page, '.ledger__amount')).toEqual(['+10', '-20']);

    fake.on('GET /api/v1/points/ledger', 'ledger_page2');
    tap(page, '.load-more');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/points/ledger')[1].query).toEqual({
      limit: '20',
      cursor: 'c-ledger-2',
    });
    expect(texts(page, '.ledger__reason')).toHaveLength(3);
    expect(exists(page, '.load-more')).toBe(false);
  });

  test('entries lead to rankings, the claim form and my claims', async () => {
    const { fake, page } = await open('points');
    for (const sel of ['.rank-entry', '.claim-entry', '.my-claims-entry']) tap(page, sel);
    await fake.settle();
    expect(fake.navigations.map((n) => n.url)).toEqual([
      '/pages/rankings/index',
      '/pages/claim-form/index',
      '/pages/my-claims/index',
    ]);
  });
});

describe('rankings', () => {
  test('this month by default, my row highlighted; quarter and party members on tap', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-11-20T16:30:00Z'), doNotFake: ['setTimeout'] });
    try {
      const { fake, page } = await open('rankings');
      expect(fake.requestsTo('GET /api/v1/rankings')[0].query).toEqual({
        kind: 'person',
        period: '2026-11', // 2026-11-21 00:30 in Shanghai is still November
        limit: '50',
      });
      expect(texts(page, '.rank__name')).toEqual(['1. 李*', '2. 王*', '3. 张*明']);
      expect(text(page, '.my-rank__value')).toBe('第 3 名 · 120 分');
      expect(text(page, '.my-rank__period')).toBe('11月 · 我的排名');
      expect(exists(page, '.rank.cell--selected')).toBe(true);

      fake.on('GET /api/v1/rankings', 'rankings_quarter_party');
      tap(page, '.period-quarter');
      await fake.settle();
      tap(page, '.kind-party_member');
      await fake.settle();
      const last = fake.requestsTo('GET /api/v1/rankings').pop().query;
      expect(last).toEqual({ kind: 'party_member', period: '2026-Q4', limit: '50' });
      expect(text(page, '.my-rank__value')).toBe('暂未上榜');
      expect(text(page, '.my-rank__period')).toBe('第四季度 · 我的排名');
      expect(texts(page, '.rank__name')).toEqual(['1. 赵*']);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('claim form', () => {
  async function fill(page, fake) {
    find(page, '.item-picker').dispatchEvent('change', { detail: { value: '1' } });
    await fake.settle();
    find(page, '.description-input').dispatchEvent('input', {
      detail: { value: '帮助邻居老人搬运物品' },
    });
    await fake.settle();
  }

  // Picks one photo (the upload answers as the fake server is set to) and waits for it.
  async function addPhoto(page, fake, path, size = 1000) {
    fake.media = [{ tempFilePath: path, size }];
    tap(page, '.add-photo');
    await fake.settle();
  }

  test('offers only claimable items and explains their caps', async () => {
    const { fake, page } = await open('claim-form');
    expect(page.instance.data.items.map((i) => i.label)).toEqual([
      '志愿服务（10 分）',
      '好人好事（5 分）',
    ]);
    await fill(page, fake);
    expect(text(page, '.item-choice')).toBe('好人好事（5 分）');
    expect(text(page, '.item-caps')).toBe('文明新风类 · 每天最多申报 2 次');
  });

  test('photos upload with progress, then the claim is submitted with their ids', async () => {
    const { fake, page } = await open('claim-form', {
      'POST /api/v1/points/claims': 'claim_created',
    });
    await fill(page, fake);
    await addPhoto(page, fake, 'wxfile://tmp/a.jpg');
    const upload = fake.requestsTo('POST /api/v1/uploads')[0];
    expect(upload.kind).toBe('upload');
    expect(upload.filePath).toBe('wxfile://tmp/a.jpg');
    expect(upload.header.Authorization).toMatch(/^Bearer /);
    expect(exists(page, '.photo__progress')).toBe(false); // done
    expect(page.instance.data.photos[0]).toMatchObject({ id: 301, progress: 100 });

    tap(page, '.submit-btn');
    await fake.settle();
    const sent = fake.requestsTo('POST /api/v1/points/claims')[0];
    expect(sent.data).toEqual({
      item_id: 5,
      occurred_on: page.instance.data.today,
      description: '帮助邻居老人搬运物品',
      photo_ids: [301],
    });
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(fake.navigations).toEqual([{ type: 'redirectTo', url: '/pages/my-claims/index' }]);
  });

  test('upload progress is shown while the photo uploads', async () => {
    const { fake, page } = await open('claim-form');
    const progress = [];
    const original = page.instance.setPhoto;
    page.instance.setPhoto = function (key, values) {
      original.call(this, key, values);
      if ('progress' in values && values.progress < 100)
        progress.push(text(page, '.photo__progress'));
    };
    fake.media = [{ tempFilePath: 'wxfile://tmp/a.jpg', size: 1000 }];
    fake.uploadProgress = [30, 80];
    tap(page, '.add-photo');
    await fake.settle();
    expect(progress).toEqual(['30%', '80%']);
  });

  test('a failed upload can be retried; submitting waits for it', async () => {
    const { fake, page } = await open('claim-form');
    await fill(page, fake);
    fake.once('POST /api/v1/uploads', 'upload_too_large');
    await addPhoto(page, fake, 'wxfile://tmp/big.jpg', 99);
    expect(text(page, '.photo__error')).toBe('上传失败，点此重试');
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.form-error')).toBe('有照片上传失败，请重试或删除');
    tap(page, '.photo__error');
    await fake.settle();
    expect(exists(page, '.photo__error')).toBe(false);
    expect(page.instance.data.photos[0].id).toBe(301);
  });

  test('a failed photo can be removed instead, and the claim goes without it', async () => {
    const { fake, page } = await open('claim-form', {
      'POST /api/v1/points/claims': 'claim_created',
    });
    await fill(page, fake);
    await addPhoto(page, fake, 'wxfile://tmp/a.jpg');
    fake.once('POST /api/v1/uploads', 'upload_too_large');
    await addPhoto(page, fake, 'wxfile://tmp/big.jpg', 99);
    expect(text(page, '.photo__error')).toBe('上传失败，点此重试');
    tap(page, '.photo__remove', 1);
    await fake.settle();
    expect(exists(page, '.photo__error')).toBe(false);
    expect(page.instance.data.photos.map((p) => p.path)).toEqual(['wxfile://tmp/a.jpg']);
    tap(page, '.submit-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/points/claims')[0].data.photo_ids).toEqual([301]);
  });

  test.each([
    ['claim_cap_reached', '该项目每天最多申报 2 次'],
    ['claim_duplicate', '同一天同一项目已申报过，请勿重复申报'],
  ])('%s (409) is explained on the form', async (fixture, message) => {
    const { fake, page } = await open('claim-form', { 'POST /api/v1/points/claims': fixture });
    await fill(page, fake);
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.form-error')).toBe(message);
    expect(fake.navigations).toEqual([]);
  });

  test('重试 after a timeout sends the same Idempotency-Key; a new claim gets a new one', async () => {
    const { fake, page } = await open('claim-form');
    await fill(page, fake);
    fake.once('POST /api/v1/points/claims', { network: true });
    fake.on('POST /api/v1/points/claims', 'claim_created');
    tap(page, '.submit-btn');
    await fake.settle();
    expect(fake.modals[fake.modals.length - 1]).toMatchObject({ confirmText: '重试' });
    let keys = fake.requestsTo('POST /api/v1/points/claims').map((r) => r.header['Idempotency-Key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^mp-/);
    expect(keys[1]).toBe(keys[0]);

    tap(page, '.submit-btn'); // the next claim
    await fake.settle();
    keys = fake.requestsTo('POST /api/v1/points/claims').map((r) => r.header['Idempotency-Key']);
    expect(keys).toHaveLength(3);
    expect(keys[2]).not.toBe(keys[0]);
  });

  test('a 422 shows each field\'s message beside that field', async () => {
    const { fake, page } = await open('claim-form');
    await fill(page, fake);
    fake.once('POST /api/v1/points/claims', {
      status: 422,
      body: {
        error: {
          code: 'validation_error',
          message: '提交的内容有误，请检查后重试',
          details: { fields: { json: { description: ['长度应在 1 到 500 之间'] } } },
        },
      },
    });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-description')).toBe('长度应在 1 到 500 之间');
    expect(exists(page, '.form-error')).toBe(false);
    find(page, '.description-input').dispatchEvent('input', { detail: { value: '新的说明' } });
    await fake.settle();
    expect(exists(page, '.error-description')).toBe(false);
  });

  test('nothing is sent without an item or a description', async () => {
    const { fake, page } = await open('claim-form');
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.form-error')).toBe('请选择申报项目');
    expect(fake.requestsTo('POST /api/v1/points/claims')).toHaveLength(0);
  });
});

test('my claims: status, points and the rejection reason', async () => {
  const { fake, page } = await open('my-claims');
  expect(fake.requestsTo('GET /api/v1/points/claims')[0].query).toEqual({
    scope: 'mine',
    limit: '20',
  });
  expect(texts(page, '.claim__status')).toEqual(['待审核', '已通过', '未通过']);
  expect(text(page, '.claim__points')).toBe('已获得 5 积分');
  expect(text(page, '.claim__reason')).toBe('未通过原因：照片无法证明事项');
  expect(screenText(page)).not.toMatch(/undefined|null/);
});

test('my claims: a rejected claim is tagged grey, never green; an approved one green', async () => {
  const { page } = await open('my-claims');
  const classes = queryAll(page, '.claim__status').map((el) => el.dom.className);
  expect(classes[0]).not.toMatch(/tag--green|tag--grey/);
  expect(classes[1]).toMatch(/tag--green/);
  expect(classes[2]).toMatch(/tag--grey/);
  expect(classes[2]).not.toMatch(/tag--green/);
});
