// 我的申报 → a rejected claim's 修改后重新提交 → the claim form prefilled from it → resubmitted
// (POST …/claims/{id}/resubmit with an Idempotency-Key) → back to the list, which reloads.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, texts, exists, tap, find, queryAll } = require('../helpers/page');

const RESUBMIT = 'POST /api/v1/points/claims/{claim_id}/resubmit';

async function open(name, extra, query) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

describe('我的申报', () => {
  test('only the rejected claim offers 修改后重新提交, which opens the form for it', async () => {
    const { fake, page } = await open('my-claims');
    expect(queryAll(page, '.claim__resubmit')).toHaveLength(1);
    expect(text(page, '.claim__resubmit')).toBe('修改后重新提交');
    expect(text(page, '.claim__reason')).toBe('未通过原因：照片无法证明事项');
    tap(page, '.claim__resubmit');
    await fake.settle();
    expect(fake.navigations).toEqual([
      { type: 'navigateTo', url: '/pages/claim-form/index?resubmit=69' },
    ]);

    // Back from the form: the list is read again and shows the new state.
    fake.on('GET /api/v1/points/claims', 'my_claims_after_resubmit');
    page.instance.onShow();
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/points/claims')).toHaveLength(2);
    expect(texts(page, '.claim__status')).toEqual(['待审核', '待审核', '已通过', '未通过']);
    expect(exists(page, '.claim__resubmit')).toBe(false);
    expect(text(page, '.claim__resubmitted')).toBe('已修改并重新提交');
    expect(text(page, '.claim__correction')).toBe('修改后重新提交的申报');
  });

  test('coming back without having opened the form does not reload', async () => {
    const { fake, page } = await open('my-claims');
    page.instance.onShow();
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/points/claims')).toHaveLength(1);
  });
});

describe('claim form with ?resubmit=', () => {
  test('prefilled from the rejected claim, its reason shown, its photo kept', async () => {
    const { fake, page } = await open('claim-form', {}, { resubmit: '69' });
    expect(fake.requestsTo('GET /api/v1/points/claims/{claim_id}')[0].url).toMatch(
      /\/api\/v1\/points\/claims\/69$/
    );
    expect(text(page, '.resubmit-title')).toBe('修改后重新提交');
    expect(text(page, '.resubmit-reason')).toBe('未通过原因：照片无法证明事项');
    expect(text(page, '.item-choice')).toBe('好人好事（5 分）');
    expect(text(page, '.date-choice')).toBe('2026-11-20');
    expect(page.instance.data.description).toBe('帮助邻居老人搬运物品，照片拍得不清楚');
    const photos = page.instance.data.photos;
    expect(photos).toHaveLength(1);
    expect(photos[0]).toMatchObject({ id: 302, error: '' });
    expect(photos[0].path).toMatch(/^wxfile:\/\/tmp\/download-/); // fetched with the bearer
    expect(fake.requestsTo('GET /api/v1/uploads/{upload_id}')[0].header.Authorization).toMatch(
      /^Bearer /
    );
    expect(text(page, '.submit-btn')).toBe('重新提交');
  });

  test('the corrected claim goes to …/resubmit, keeps its key on 重试, then back', async () => {
    const { fake, page } = await open('claim-form', {}, { resubmit: '69' });
    find(page, '.description-input').dispatchEvent('input', {
      detail: { value: '帮助邻居老人搬运物品，补充了清晰的照片' },
    });
    find(page, '.date-picker').dispatchEvent('change', { detail: { value: '2026-11-19' } });
    fake.media = [{ tempFilePath: 'wxfile://tmp/clear.jpg', size: 1000 }];
    tap(page, '.add-photo');
    await fake.settle();
    fake.once(RESUBMIT, { network: true });
    fake.on(RESUBMIT, 'claim_resubmitted');
    tap(page, '.submit-btn');
    await fake.settle();
    expect(fake.modals[fake.modals.length - 1]).toMatchObject({ confirmText: '重试' });

    const sent = fake.requestsTo(RESUBMIT);
    expect(sent).toHaveLength(2);
    expect(sent[0].url).toMatch(/\/api\/v1\/points\/claims\/69\/resubmit$/);
    expect(sent[0].data).toEqual({
      item_id: 5,
      occurred_on: '2026-11-19',
      description: '帮助邻居老人搬运物品，补充了清晰的照片',
      photo_ids: [302, 301],
    });
    expect(sent[0].header['Idempotency-Key']).toMatch(/^mp-/);
    expect(sent[1].header['Idempotency-Key']).toBe(sent[0].header['Idempotency-Key']);
    expect(fake.requestsTo('POST /api/v1/points/claims')).toHaveLength(0);
    expect(fake.toasts.map((t) => t.title)).toContain('已重新提交');
    expect(fake.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);
  });

  test('a removed photo is not sent again', async () => {
    const { fake, page } = await open(
      'claim-form',
      { [RESUBMIT]: 'claim_resubmitted' },
      { resubmit: '69' }
    );
    tap(page, '.photo__remove');
    await fake.settle();
    tap(page, '.submit-btn');
    await fake.settle();
    expect(fake.requestsTo(RESUBMIT)[0].data.photo_ids).toEqual([]);
  });

  test('already resubmitted (409) is said on the form and nothing moves', async () => {
    const { fake, page } = await open(
      'claim-form',
      { [RESUBMIT]: 'claim_already_resubmitted' },
      { resubmit: '69' }
    );
    tap(page, '.submit-btn');
    await fake.settle();
    expect(text(page, '.form-error')).toBe('该申报已重新提交过');
    expect(fake.navigations).toEqual([]);
  });

  test('a claim the server says cannot be resubmitted opens no form', async () => {
    const detail = require('../fixtures/claim_detail_rejected.json');
    const body = Object.assign({}, detail.body, { resubmittable: false, resubmitted_as: 73 });
    const { fake, page } = await open(
      'claim-form',
      { 'GET /api/v1/points/claims/{claim_id}': { status: 200, body } },
      { resubmit: '69' }
    );
    expect(exists(page, '.submit-btn')).toBe(false);
    expect(page.instance.data.error).toBe('这条申报已重新提交过或不需要修改');
    expect(fake.requestsTo(RESUBMIT)).toHaveLength(0);
  });

  test('without ?resubmit the form files a new claim and reads no claim', async () => {
    const { fake, page } = await open('claim-form');
    expect(exists(page, '.resubmit-banner')).toBe(false);
    expect(fake.requestsTo('GET /api/v1/points/claims/{claim_id}')).toHaveLength(0);
    expect(text(page, '.submit-btn')).toBe('提交申报');
  });
});
