// 微心愿: the board (masked names, no phone), my wishes and the ones I claimed; claiming on
// whose behalf; hand back; fulfil with a note and photos; confirm and thank; post a wish.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, texts, exists, tap, find } = require('../helpers/page');

async function open(name, extra, query) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

describe('the wish board', () => {
  test('published and claimed wishes with masked names and no phone number', async () => {
    const { fake, page } = await open('wishes');
    expect(fake.requestsTo('GET /api/v1/wishes')[0].query).toEqual({
      scope: 'board',
      limit: '20',
    });
    expect(texts(page, '.wish__title')).toEqual(['帮独居老人买一袋大米', '辅导孩子数学作业']);
    expect(texts(page, '.wish__status')).toEqual(['待认领', '已认领']);
    expect(texts(page, '.wish__claimer')).toEqual(['认领：区供电所（陈*）']);
    expect(text(page, '.wish__who')).toMatch(/^李\*芳 · /);
    expect(screenText(page)).not.toMatch(/1[3-9]\d{9}|\d{3}\*{4}\d{4}/);
    tap(page, '.wish');
    await fake.settle();
    expect(fake.navigations[0].url).toBe('/pages/wish-detail/index?id=601');
  });

  test('my wishes and the ones I claimed; empty states', async () => {
    const { fake, page } = await open('wishes', { 'GET /api/v1/wishes': 'wishes_mine' });
    tap(page, '.scope-mine');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/wishes')[1].query.scope).toBe('mine');
    expect(texts(page, '.wish__hint')).toEqual(['已完成，请确认并致谢']);
    fake.on('GET /api/v1/wishes', 'wishes_empty');
    tap(page, '.scope-claimed');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/wishes')[2].query.scope).toBe('claimed');
    expect(text(page, '.wishes-empty')).toBe('还没有认领过心愿');
  });

  test('opened on my wishes from the form, and 许个心愿 opens the form', async () => {
    const { fake, page } = await open('wishes', {}, { scope: 'mine' });
    expect(fake.requestsTo('GET /api/v1/wishes')[0].query.scope).toBe('mine');
    tap(page, '.new-wish');
    await fake.settle();
    expect(fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/wish-form/index' }]);
  });

  test('a failed load offers 重试', async () => {
    const { page } = await open('wishes', { 'GET /api/v1/wishes': { network: true } });
    expect(text(page, '.list-error')).toBe('网络连接失败，请检查网络后重试，点此重试');
  });
});

describe('claiming and fulfilling', () => {
  test('a party member who is also organisation staff chooses on whose behalf', async () => {
    const { fake, page } = await open(
      'wish-detail',
      {
        'GET /api/v1/me': 'me_party_member',
        'POST /api/v1/wishes/{wish_id}/claim': 'wish_claim_ok',
      },
      { id: '601' }
    );
    expect(text(page, '.wish__points')).toBe('完成后认领方获得 10 积分');
    fake.actionSheetIndex = 1;
    tap(page, '.claim-btn');
    await fake.settle();
    expect(fake.actionSheets[0].itemList).toEqual(['以党员身份', '以所在单位名义']);
    const sent = fake.requestsTo('POST /api/v1/wishes/{wish_id}/claim')[0];
    expect(sent.data).toEqual({ organisation_id: 3 });
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(text(page, '.wish__status')).toBe('已认领');
    expect(exists(page, '.fulfil-open')).toBe(true);
    expect(exists(page, '.hand-back-btn')).toBe(true);
  });

  test('someone else claimed it first (409): said so', async () => {
    const { fake, page } = await open(
      'wish-detail',
      {
        'GET /api/v1/me': 'me_grid_worker', // a party member only: no choice to make
        'POST /api/v1/wishes/{wish_id}/claim': 'wish_already_claimed',
      },
      { id: '601' }
    );
    tap(page, '.claim-btn');
    await fake.settle();
    expect(fake.actionSheets).toEqual([]);
    expect(fake.requestsTo('POST /api/v1/wishes/{wish_id}/claim')[0].data).toEqual({});
    expect(fake.lastToast().title).toBe('该心愿已被认领');
  });

  test('a resident who may not claim is told who can, and nothing is sent', async () => {
    const { fake, page } = await open('wish-detail', {}, { id: '601' });
    tap(page, '.claim-btn');
    await fake.settle();
    expect(fake.modals[fake.modals.length - 1]).toMatchObject({
      title: '暂不能认领',
      content: '党员或驻区单位、信用店铺的工作人员可以认领',
    });
    expect(fake.requestsTo('POST /api/v1/wishes/{wish_id}/claim')).toHaveLength(0);
  });

  test('fulfil needs a note and a photo, then sends both', async () => {
    const { fake, page } = await open(
      'wish-detail',
      {
        'GET /api/v1/me': 'me_party_member',
        'GET /api/v1/wishes/{wish_id}': 'wish_claimed_by_me',
        'POST /api/v1/wishes/{wish_id}/fulfil': 'wish_fulfil_invalid',
      },
      { id: '601' }
    );
    tap(page, '.fulfil-open');
    await fake.settle();
    tap(page, '.fulfil-btn');
    await fake.settle();
    expect(text(page, '.error-note')).toBe('请填写完成情况');
    expect(text(page, '.error-photo_ids')).toBe('请上传至少一张完成照片');

    find(page, '.note-input').dispatchEvent('input', { detail: { value: '已送到老人家中' } });
    fake.media = [{ tempFilePath: 'wxfile://tmp/rice.jpg', size: 1000 }];
    tap(page, '.add-photo');
    await fake.settle();
    tap(page, '.fulfil-btn');
    await fake.settle();
    expect(text(page, '.error-note')).toBe('长度应在 1 到 500 之间'); // the server's 422

    fake.on('POST /api/v1/wishes/{wish_id}/fulfil', 'wish_fulfil_ok');
    tap(page, '.fulfil-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/wishes/{wish_id}/fulfil')[1].data).toEqual({
      note: '已送到老人家中',
      photo_ids: [301],
    });
    expect(text(page, '.wish__status')).toBe('已完成待确认');
    expect(text(page, '.fulfilment__note')).toBe('已送到老人家中');
  });

  test('hand back with an optional reason', async () => {
    const { fake, page } = await open(
      'wish-detail',
      {
        'GET /api/v1/me': 'me_party_member',
        'GET /api/v1/wishes/{wish_id}': 'wish_claimed_by_me',
        'POST /api/v1/wishes/{wish_id}/hand-back': 'wish_hand_back_ok',
      },
      { id: '601' }
    );
    fake.modalAnswer = { confirm: true, content: '' };
    tap(page, '.hand-back-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/wishes/{wish_id}/hand-back')[0].data).toEqual({});
    expect(text(page, '.wish__status')).toBe('待认领');
  });
});

test('a wish I may not see: the message and 重试', async () => {
  const fake = serveDemo(installFakeWx());
  fake.once('GET /api/v1/wishes/{wish_id}', {
    status: 404,
    body: { error: { code: 'wish_not_found', message: '心愿不存在或无权查看', details: {} } },
  });
  const page = renderPage('wish-detail', { query: { id: '999' } });
  await fake.settle();
  expect(screenText(page)).toContain('心愿不存在或无权查看');
  expect(exists(page, '.claim-btn')).toBe(false);
  tap(page, '.page-state >>> .state__retry');
  await fake.settle();
  expect(exists(page, '.claim-btn')).toBe(true);
});

describe('my wish', () => {
  test('confirm with thanks', async () => {
    const { fake, page } = await open(
      'wish-detail',
      {
        'GET /api/v1/wishes/{wish_id}': 'wish_mine_fulfilled',
        'POST /api/v1/wishes/{wish_id}/confirm': 'wish_confirm_ok',
      },
      { id: '611' }
    );
    expect(text(page, '.fulfilment__note')).toBe('已送到老人家中');
    expect(fake.requestsTo('GET /api/v1/uploads/{upload_id}').map((r) => r.path)).toEqual([
      '/api/v1/uploads/303',
    ]);
    find(page, '.thanks-input').dispatchEvent('input', { detail: { value: '谢谢供电所的师傅' } });
    await fake.settle();
    tap(page, '.confirm-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/wishes/{wish_id}/confirm')[0].data).toEqual({
      thanks: '谢谢供电所的师傅',
    });
    expect(text(page, '.wish__status')).toBe('已确认');
    expect(text(page, '.wish__thanks')).toBe('感谢：谢谢供电所的师傅');
    expect(exists(page, '.confirm-btn')).toBe(false);
  });

  test('withdraw a wish nobody claimed', async () => {
    const { fake, page } = await open(
      'wish-detail',
      {
        'GET /api/v1/wishes/{wish_id}': 'wish_mine_pending',
        'POST /api/v1/wishes/{wish_id}/cancel': 'wish_cancel_ok',
      },
      { id: '612' }
    );
    expect(exists(page, '.claim-btn')).toBe(false);
    tap(page, '.cancel-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/wishes/{wish_id}/cancel')).toHaveLength(1);
    expect(text(page, '.wish__status')).toBe('已撤回');
  });

  test('post a wish; a past date is refused beside the date', async () => {
    const { fake, page } = await open('wish-form', {
      'POST /api/v1/wishes': 'wish_needed_by_past',
    });
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-title')).toBe('请填写心愿内容');
    expect(text(page, '.error-needed_by')).toBe('请选择期望完成日期');
    expect(fake.requestsTo('POST /api/v1/wishes')).toHaveLength(0);

    find(page, '.title-input').dispatchEvent('input', { detail: { value: '陪同就医' } });
    find(page, '.date-picker').dispatchEvent('change', { detail: { value: '2099-12-20' } });
    find(page, '.beneficiary-input').dispatchEvent('input', { detail: { value: '独居老人' } });
    await fake.settle();
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-needed_by')).toBe('期望完成日期不能早于今天');

    fake.on('POST /api/v1/wishes', 'wish_created');
    tap(page, '.submit-btn');
    await fake.settle();
    const sent = fake.requestsTo('POST /api/v1/wishes')[1];
    expect(sent.data).toEqual({
      title: '陪同就医',
      details: '',
      needed_by: '2099-12-20',
      place: '',
      beneficiary: '独居老人',
      photo_ids: [],
    });
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(fake.navigations).toEqual([
      { type: 'redirectTo', url: '/pages/wishes/index?scope=mine' },
    ]);
  });

  test("a 422's field messages show beside their fields", async () => {
    const { fake, page } = await open('wish-form');
    fake.on('POST /api/v1/wishes', {
      status: 422,
      body: {
        error: {
          code: 'validation_error',
          message: '提交的内容有误，请检查后重试',
          details: { fields: { json: { beneficiary: ['长度应在 1 到 64 之间'] } } },
        },
      },
    });
    find(page, '.title-input').dispatchEvent('input', { detail: { value: '陪同就医' } });
    find(page, '.date-picker').dispatchEvent('change', { detail: { value: '2099-12-20' } });
    await fake.settle();
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.error-beneficiary')).toBe('长度应在 1 到 64 之间');
    expect(exists(page, '.form-error')).toBe(false);
  });
});
