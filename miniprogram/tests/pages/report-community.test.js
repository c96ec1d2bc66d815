// A report opened from 问题处理 (reviewers and admins): content review (release, reject with
// a reason), the handler steps the community may take (accept, resolve, transfer from the
// community queue to a grid) and marking a duplicate by the other report's number.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, exists, tap, find } = require('../helpers/page');

async function open(name, extra, query) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

describe('a report, for the community', () => {
  const handle = (extra) =>
    open('report-detail', Object.assign({ 'GET /api/v1/me': 'me_reviewer' }, extra), {
      id: '521',
      handle: 'community',
    });

  test('flagged content: release it, without a body, and the handler steps follow', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_in_review',
      'POST /api/v1/grid/reports/{report_id}/release': 'report_release_ok',
    });
    expect(text(page, '.detail__status')).toBe('内容复核中');
    expect(text(page, '.detail__number')).toBe('问题编号 521');
    expect(exists(page, '.detail__flagged')).toBe(true);
    expect(exists(page, '.accept-btn')).toBe(false);
    expect(exists(page, '.duplicate-open')).toBe(false);
    expect(exists(page, '.handler-done')).toBe(false);

    tap(page, '.release-btn');
    await fake.settle();
    expect(fake.modals[0].title).toBe('放行内容');
    const sent = fake.requestsTo('POST /api/v1/grid/reports/{report_id}/release')[0];
    expect(sent.path).toBe('/api/v1/grid/reports/521/release');
    expect(sent.data).toBeUndefined();
    expect(fake.lastToast().title).toBe('已放行');
    expect(text(page, '.detail__status')).toBe('待受理');
    expect(exists(page, '.release-btn')).toBe(false);
    expect(exists(page, '.accept-btn')).toBe(true);
    expect(exists(page, '.duplicate-open')).toBe(true);
  });

  test('cancelling the release modal sends nothing', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_in_review',
    });
    fake.modalAnswer = { confirm: false, cancel: true };
    tap(page, '.release-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/release')).toHaveLength(0);
  });

  test('someone released or rejected it first (409): the message is shown', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_in_review',
      'POST /api/v1/grid/reports/{report_id}/release': 'report_release_conflict',
    });
    tap(page, '.release-btn');
    await fake.settle();
    expect(fake.lastToast().title).toBe('问题当前状态不允许该操作，请刷新后查看');
    expect(text(page, '.detail__status')).toBe('内容复核中');
  });

  test('reject the content with a reason; an empty one sends nothing', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_in_review',
      'POST /api/v1/grid/reports/{report_id}/reject': 'report_content_reject_ok',
    });
    fake.modalAnswer = { confirm: true, content: '  ' };
    tap(page, '.reject-btn');
    await fake.settle();
    expect(fake.lastToast().title).toBe('请填写原因');
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/reject')).toHaveLength(0);

    fake.modalAnswer = { confirm: true, content: '含有广告联系方式' };
    tap(page, '.reject-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/reject')[0].data).toEqual({
      reason: '含有广告联系方式',
    });
    expect(text(page, '.detail__status')).toBe('未通过');
    expect(text(page, '.handler-done')).toBe('当前状态无需处置');
  });

  test("rejecting one's own report (403) shows the server's message", async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_in_review',
      'POST /api/v1/grid/reports/{report_id}/reject': 'report_reject_own',
    });
    fake.modalAnswer = { confirm: true, content: '广告' };
    tap(page, '.reject-btn');
    await fake.settle();
    expect(fake.lastToast().title).toBe('不能审核自己上报的问题');
  });

  test('a report in the community queue: accept, then resolve', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_community_submitted',
      'POST /api/v1/grid/reports/{report_id}/accept': 'report_community_accept_ok',
      'POST /api/v1/grid/reports/{report_id}/resolve': 'report_resolve_ok',
    });
    expect(screenText(page)).toContain('社区队列');
    expect(text(page, '.detail__overdue')).toBe('已超时');
    expect(exists(page, '.escalate-btn')).toBe(false); // already in the community queue
    expect(exists(page, '.release-btn')).toBe(false);
    tap(page, '.accept-btn');
    await fake.settle();
    const sent = fake.requestsTo('POST /api/v1/grid/reports/{report_id}/accept')[0];
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(text(page, '.detail__status')).toBe('处理中');
    expect(exists(page, '.duplicate-open')).toBe(false); // only before it is accepted

    tap(page, '.resolve-open');
    await fake.settle();
    find(page, '.note-input').dispatchEvent('input', { detail: { value: '已联系物业更换灯泡' } });
    await fake.settle();
    tap(page, '.resolve-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/resolve')[0].data).toEqual({
      note: '已联系物业更换灯泡',
      photo_ids: [],
    });
    expect(text(page, '.detail__status')).toBe('已办结待确认');
  });

  test("transfer from the community queue to one of the community's grids", async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_community_submitted',
      'POST /api/v1/grid/reports/{report_id}/transfer': 'report_community_transfer_ok',
    });
    tap(page, '.transfer-open');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/communities/{community_id}/grids')[0].path).toBe(
      '/api/v1/communities/1/grids'
    );
    expect(page.instance.data.grids.map((g) => g.id)).toEqual([1, 2, 3]); // no grid of its own
    find(page, '.grid-picker').dispatchEvent('change', { detail: { value: '1' } });
    find(page, '.reason-input').dispatchEvent('input', { detail: { value: '属于和平苑' } });
    await fake.settle();
    tap(page, '.transfer-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/transfer')[0].data).toEqual({
      grid_id: 2,
      reason: '属于和平苑',
    });
    expect(screenText(page)).toContain('第二网格（和平苑）');
    expect(text(page, '.escalate-btn')).toBe('转回社区队列');
  });

  test('mark as a duplicate of another report by its number', async () => {
    const { fake, page } = await handle({
      'GET /api/v1/grid/reports/{report_id}': 'report_community_submitted',
      'POST /api/v1/grid/reports/{report_id}/duplicate': 'report_duplicate_invalid',
    });
    tap(page, '.duplicate-open');
    await fake.settle();
    tap(page, '.duplicate-btn');
    await fake.settle();
    expect(text(page, '.error-duplicate_of_id')).toBe('请填写重复的问题编号');
    find(page, '.duplicate-input').dispatchEvent('input', { detail: { value: '521' } });
    await fake.settle();
    tap(page, '.duplicate-btn');
    await fake.settle();
    expect(text(page, '.error-duplicate_of_id')).toBe('不能标记为自己的重复');
    expect(fake.requestsTo('POST /api/v1/grid/reports/{report_id}/duplicate')).toHaveLength(0);

    find(page, '.duplicate-input').dispatchEvent('input', { detail: { value: '522' } });
    await fake.settle();
    tap(page, '.duplicate-btn');
    await fake.settle();
    expect(text(page, '.error-duplicate_of_id')).toBe('不能标记为该问题的重复');
    expect(exists(page, '.form-error')).toBe(false);

    fake.on('POST /api/v1/grid/reports/{report_id}/duplicate', 'report_duplicate_not_found');
    find(page, '.duplicate-input').dispatchEvent('input', { detail: { value: '999' } });
    await fake.settle();
    tap(page, '.duplicate-btn');
    await fake.settle();
    expect(text(page, '.error-duplicate_of_id')).toBe('问题不存在或无权查看');

    fake.on('POST /api/v1/grid/reports/{report_id}/duplicate', 'report_duplicate_ok');
    find(page, '.duplicate-input').dispatchEvent('input', { detail: { value: '511' } });
    await fake.settle();
    tap(page, '.duplicate-btn');
    await fake.settle();
    const sent = fake.requestsTo('POST /api/v1/grid/reports/{report_id}/duplicate');
    expect(sent.map((r) => r.data)).toEqual([
      { duplicate_of_id: 522 },
      { duplicate_of_id: 999 },
      { duplicate_of_id: 511 },
    ]);
    expect(text(page, '.detail__status')).toBe('重复上报');
    expect(exists(page, '.duplicate-panel')).toBe(false);
    expect(text(page, '.handler-done')).toBe('当前状态无需处置');
  });

  test('opened from the grid desk, a report has no community steps', async () => {
    const { page } = await open(
      'report-detail',
      {
        'GET /api/v1/me': 'me_grid_worker',
        'GET /api/v1/grid/reports/{report_id}': 'report_community_submitted',
      },
      { id: '531', handle: '1' }
    );
    expect(exists(page, '.accept-btn')).toBe(true);
    expect(exists(page, '.duplicate-open')).toBe(false);
    expect(exists(page, '.detail__number')).toBe(false);
  });
});
