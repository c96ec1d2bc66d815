// The resident's pages opened for a card holder (?for=<id>&name=): a banner saying for whom,
// X-Acting-For on exactly the calls made as the holder, and none on the others.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, exists, tap, find } = require('../helpers/page');

const FOR = { for: '41', name: '%E9%83%AD*%E5%85%B0' }; // 郭*兰, as the holder page sends it

async function open(name, query, extra) {
  const routes = Object.assign({ 'GET /api/v1/me': 'me_grid_worker' }, extra);
  const fake = serveDemo(installFakeWx(), routes);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

const acting = (r) => r.header['X-Acting-For'];

describe('代为申报 (claim-form)', () => {
  async function fill(page, fake) {
    find(page, '.item-picker').dispatchEvent('change', { detail: { value: '1' } });
    find(page, '.description-input').dispatchEvent('input', { detail: { value: '打扫楼道' } });
    await fake.settle();
  }

  test('photos and the claim go as the holder; the catalogue does not', async () => {
    const { fake, page } = await open('claim-form', FOR, {
      'POST /api/v1/points/claims': 'claim_created',
    });
    expect(text(page, '.acting-banner')).toBe('正在为 郭*兰 代办');
    await fill(page, fake);
    fake.media = [{ tempFilePath: 'wxfile://tmp/stairs.jpg', size: 1000 }];
    tap(page, '.add-photo');
    await fake.settle();
    tap(page, '.submit-btn');
    await fake.settle();

    expect(acting(fake.requestsTo('POST /api/v1/uploads')[0])).toBe('41');
    const claim = fake.requestsTo('POST /api/v1/points/claims')[0];
    expect(acting(claim)).toBe('41');
    expect(claim.data.photo_ids).toEqual([301]);
    expect(acting(fake.requestsTo('GET /api/v1/points/items')[0])).toBeUndefined();
    // Back to the holder's page, not to my own claims.
    expect(fake.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);
  });

  test('without `for` nothing carries the header and there is no banner', async () => {
    const { fake, page } = await open('claim-form', {}, {
      'POST /api/v1/points/claims': 'claim_created',
    });
    expect(exists(page, '.acting-banner')).toBe(false);
    await fill(page, fake);
    tap(page, '.submit-btn');
    await fake.settle();
    expect(fake.requests.filter(acting)).toEqual([]);
    expect(fake.navigations).toEqual([{ type: 'redirectTo', url: '/pages/my-claims/index' }]);
  });

  test('a `for` that is not an id is ignored', async () => {
    const { page } = await open('claim-form', { for: '41; drop', name: 'x' });
    expect(exists(page, '.acting-banner')).toBe(false);
  });
});

describe('代为报名 (task-detail)', () => {
  const QUERY = Object.assign({ id: '11' }, FOR);

  test('sign up for the holder: the answer is shown; my own sign-up is not', async () => {
    const { fake, page } = await open('task-detail', QUERY, {
      'GET /api/v1/tasks/{task_id}': 'task_detail_confirmed',
      'POST /api/v1/tasks/{task_id}/signups': 'signup_waitlisted',
    });
    expect(text(page, '.acting-banner')).toBe('正在为 郭*兰 代办');
    expect(exists(page, '.my-status')).toBe(false); // that is the worker's, not the holder's
    expect(exists(page, '.signup-btn')).toBe(false);
    tap(page, '.act-signup');
    await fake.settle();
    const sent = fake.requestsTo('POST /api/v1/tasks/{task_id}/signups')[0];
    expect(acting(sent)).toBe('41');
    expect(text(page, '.acting-result')).toBe('郭*兰：候补第 3 位');
    // Reading the task is not acting (the route does not take the header).
    const reads = fake.requestsTo('GET /api/v1/tasks/{task_id}');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.filter(acting)).toEqual([]);
  });

  test('a refusal (already signed up) is shown by the buttons', async () => {
    const { fake, page } = await open('task-detail', QUERY, {
      'POST /api/v1/tasks/{task_id}/signups': 'signup_already',
    });
    tap(page, '.act-signup');
    await fake.settle();
    expect(text(page, '.action-error')).toBe('您已报名该任务');
    expect(exists(page, '.acting-result')).toBe(false);
  });

  test('cancel for the holder asks first', async () => {
    const { fake, page } = await open('task-detail', QUERY, {
      'DELETE /api/v1/tasks/{task_id}/signups/me': 'signup_cancelled',
    });
    tap(page, '.act-cancel');
    await fake.settle();
    expect(fake.modals[0].content).toBe('确定为 郭*兰 取消报名吗？');
    expect(acting(fake.requestsTo('DELETE /api/v1/tasks/{task_id}/signups/me')[0])).toBe('41');
    expect(text(page, '.acting-result')).toBe('郭*兰：已取消报名');
  });

  test.each([
    ['.act-checkin', 'checkin', 'checkin_ok', '郭*兰：签到成功'],
    ['.act-checkout', 'checkout', 'checkout_ok', '郭*兰：签退成功，服务 148 分钟'],
  ])('%s scans the organiser code for the holder', async (button, action, fixture, shown) => {
    const { fake, page } = await open('task-detail', QUERY, {
      [`POST /api/v1/tasks/{task_id}/${action}`]: fixture,
    });
    fake.scanResults.push({ result: 'RPCHECKIN:11:eyJ.checkin-one.sig' });
    tap(page, button);
    await fake.settle();
    const sent = fake.requestsTo(`POST /api/v1/tasks/{task_id}/${action}`)[0];
    expect(acting(sent)).toBe('41');
    expect(sent.data.token).toBe('eyJ.checkin-one.sig');
    expect(sent.data.location).toMatchObject({ latitude: 31.2304, longitude: 121.4737 });
    expect(text(page, '.acting-result')).toBe(shown);
  });

  test('another task’s code is refused for the holder too', async () => {
    const { fake, page } = await open('task-detail', QUERY);
    fake.scanResults.push({ result: 'RPCHECKIN:12:eyJ.other.sig' });
    tap(page, '.act-checkin');
    await fake.settle();
    expect(text(page, '.action-error')).toBe('这是其他任务的签到码，请扫描本任务的签到码');
    expect(fake.requestsTo('POST /api/v1/tasks/{task_id}/checkin')).toHaveLength(0);
  });
});

describe('代为预约兑换 (offer-detail)', () => {
  const QUERY = Object.assign({ id: '21' }, FOR);

  test('reserves as the holder, says where to bring the card, and goes back', async () => {
    const { fake, page } = await open('offer-detail', QUERY, {
      'POST /api/v1/redemptions': 'reserve_ok',
    });
    expect(text(page, '.acting-banner')).toBe('正在为 郭*兰 代办');
    tap(page, '.reserve-btn');
    await fake.settle();
    expect(fake.modals[0].content).toBe(
      '为 郭*兰 使用 20 积分兑换「理发券」？积分先冻结，到店核销后扣除。'
    );
    const sent = fake.requestsTo('POST /api/v1/redemptions')[0];
    expect(acting(sent)).toBe('41');
    expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
    expect(fake.modals[1]).toMatchObject({
      title: '预约成功',
      content: '已为 郭*兰 预约「理发券」。请提醒居民带积分卡到幸福理发店刷卡核销。',
    });
    // No QR code page: the holder has no phone to show it.
    expect(fake.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);
  });

  test('the holder’s points not being enough is explained', async () => {
    const { fake, page } = await open('offer-detail', QUERY, {
      'POST /api/v1/redemptions': 'reserve_insufficient',
    });
    tap(page, '.reserve-btn');
    await fake.settle();
    expect(text(page, '.reserve-error')).toBe('可用积分不足：需要 20 分，当前可用 5 分');
    expect(fake.navigations).toEqual([]);
  });
});
