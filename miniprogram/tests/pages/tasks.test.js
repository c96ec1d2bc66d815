// 任务: the list, sign-up turning into 已报名 / 候补第 N 位, 409s, scan to check in / out,
// my tasks and hours.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, texts, exists, tap, find } = require('../helpers/page');

async function open(name, query, extra) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

describe('task list', () => {
  test('shows upcoming tasks with reward, seats and my status; 加载更多 appends', async () => {
    const { fake, page } = await open('tasks');
    expect(texts(page, '.task__title')).toEqual(['幸福里垃圾分类宣传', '敬老院探访']);
    expect(texts(page, '.task__reward')).toEqual(['10 积分', '每小时 5 分，最多 20 分']);
    expect(texts(page, '.task__when')[0]).toBe('11月21日 09:00–11:30'); // Asia/Shanghai
    expect(fake.requestsTo('GET /api/v1/tasks')[0].query).toEqual({
      when: 'upcoming',
      limit: '10',
    });

    fake.on('GET /api/v1/tasks', 'tasks_page2');
    tap(page, '.load-more');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/tasks')[1].query.cursor).toBe('c-tasks-2');
    expect(texts(page, '.task__title')).toHaveLength(3);
    expect(texts(page, '.task__signup')).toEqual(['已报名']);
    expect(exists(page, '.load-more')).toBe(false);
    expect(screenText(page)).toContain('没有更多了');
  });

  test('filters and search go to the server as declared query parameters', async () => {
    const { fake, page } = await open('tasks', {}, { 'GET /api/v1/me': 'me_reviewer' });
    tap(page, '.when-past');
    await fake.settle();
    tap(page, '.filter-mine');
    await fake.settle();
    find(page, '.task-search').dispatchEvent('input', { detail: { value: ' 敬老 ' } });
    tap(page, '.search__btn');
    await fake.settle();
    const queries = fake.requestsTo('GET /api/v1/tasks').map((r) => r.query);
    expect(queries[1]).toEqual({ when: 'past', limit: '10' });
    expect(queries[2]).toEqual({ when: 'past', limit: '10', organised_by_me: 'true' });
    expect(queries[3]).toEqual({ when: 'past', limit: '10', organised_by_me: 'true', q: '敬老' });
  });

  test('residents without an organiser role get no 我组织的 filter; empty list says so', async () => {
    const { page } = await open('tasks', {}, { 'GET /api/v1/tasks': 'tasks_empty' });
    expect(exists(page, '.filter-mine')).toBe(false);
    expect(text(page, '.tasks-empty')).toBe('暂时没有任务');
  });

  test('tapping a task opens its page', async () => {
    const { fake, page } = await open('tasks');
    tap(page, '.task', 1);
    await fake.settle();
    expect(fake.navigations).toEqual([
      { type: 'navigateTo', url: '/pages/task-detail/index?id=12' },
    ]);
  });
});

test('the home tab reaches 随手拍 and 微心愿 in one tap', async () => {
  const { fake, page } = await open('tasks');
  expect(text(page, '.report-entry .quick__title')).toBe('随手拍');
  expect(text(page, '.wishes-entry .quick__title')).toBe('微心愿');
  tap(page, '.report-entry');
  tap(page, '.wishes-entry');
  await fake.settle();
  expect(fake.navigations).toEqual([
    { type: 'navigateTo', url: '/pages/report-form/index' },
    { type: 'navigateTo', url: '/pages/wishes/index' },
  ]);
});

describe('sign-up', () => {
  test('signing up shows 已报名', async () => {
    const { fake, page } = await open('task-detail', { id: '11' });
    expect(text(page, '.task-title')).toBe('幸福里垃圾分类宣传');
    expect(text(page, '.signup-btn')).toBe('立即报名');
    fake.on('POST /api/v1/tasks/{task_id}/signups', 'signup_confirmed');

    tap(page, '.signup-btn');
    await fake.settle();

    expect(fake.requestsTo('POST /api/v1/tasks/{task_id}/signups')[0].path).toBe(
      '/api/v1/tasks/11/signups'
    );
    expect(text(page, '.signup-status')).toBe('已报名');
    expect(text(page, '.task-seats')).toBe('5/10 人');
    expect(exists(page, '.signup-btn')).toBe(false);
    expect(text(page, '.scan-btn')).toBe('扫码签到');
    expect(fake.lastToast().title).toBe('报名成功');
  });

  test('a full task puts me on the waitlist: 候补第 3 位', async () => {
    const { fake, page } = await open(
      'task-detail',
      { id: '12' },
      {
        'GET /api/v1/tasks/{task_id}': 'task_detail_full',
      }
    );
    expect(text(page, '.signup-btn')).toBe('名额已满，报名候补');
    fake.on('POST /api/v1/tasks/{task_id}/signups', 'signup_waitlisted');
    tap(page, '.signup-btn');
    await fake.settle();
    expect(text(page, '.signup-status')).toBe('候补第 3 位');
    expect(text(page, '.cancel-btn')).toBe('取消候补');
    expect(text(page, '.task-seats')).toBe('5/5 人，候补 3 人');
  });

  test('a 409 already_signed_up shows the server message and reloads the truth', async () => {
    const { fake, page } = await open('task-detail', { id: '11' });
    fake.on('POST /api/v1/tasks/{task_id}/signups', 'signup_already');
    fake.on('GET /api/v1/tasks/{task_id}', 'task_detail_confirmed');
    tap(page, '.signup-btn');
    await fake.settle();
    expect(text(page, '.action-error')).toBe('您已报名该任务');
    expect(fake.lastToast().title).toBe('您已报名该任务');
    expect(text(page, '.signup-status')).toBe('已报名');
  });

  test.each([
    ['signup_closed', '报名已截止或任务已取消'],
    ['signup_audience', '该任务仅限党员报名'],
  ])('%s becomes its message', async (fixture, message) => {
    const { fake, page } = await open('task-detail', { id: '11' });
    fake.on('POST /api/v1/tasks/{task_id}/signups', fixture);
    tap(page, '.signup-btn');
    await fake.settle();
    expect(text(page, '.action-error')).toBe(message);
    expect(exists(page, '.signup-status')).toBe(false);
  });

  test('someone outside the audience is told why and has no button', async () => {
    const { page } = await open(
      'task-detail',
      { id: '11' },
      {
        'GET /api/v1/tasks/{task_id}': 'task_detail_not_eligible',
      }
    );
    expect(text(page, '.not-eligible')).toBe('该任务面向党员，您暂不能报名');
    expect(exists(page, '.signup-btn')).toBe(false);
  });

  test('cancelling asks first, then frees the seat', async () => {
    const { fake, page } = await open(
      'task-detail',
      { id: '11' },
      {
        'GET /api/v1/tasks/{task_id}': 'task_detail_confirmed',
      }
    );
    fake.on('DELETE /api/v1/tasks/{task_id}/signups/me', 'signup_cancelled');
    tap(page, '.cancel-btn');
    await fake.settle();
    expect(fake.modals[0].title).toBe('取消报名');
    expect(exists(page, '.signup-status')).toBe(false);
    expect(text(page, '.signup-btn')).toBe('立即报名');
    expect(text(page, '.task-seats')).toBe('4/10 人');
  });

  test('a 409 cancel_closed keeps the sign-up and says why', async () => {
    const { fake, page } = await open(
      'task-detail',
      { id: '11' },
      {
        'GET /api/v1/tasks/{task_id}': 'task_detail_confirmed',
      }
    );
    fake.on('DELETE /api/v1/tasks/{task_id}/signups/me', 'signup_cancel_closed');
    tap(page, '.cancel-btn');
    await fake.settle();
    expect(text(page, '.action-error')).toBe('任务已开始，不能取消报名');
    expect(text(page, '.signup-status')).toBe('已报名');
  });

  test('an unknown task shows the 404 message with 重试', async () => {
    const { page } = await open(
      'task-detail',
      { id: '99' },
      {
        'GET /api/v1/tasks/{task_id}': 'task_not_found',
      }
    );
    expect(screenText(page)).toContain('志愿任务不存在');
    expect(exists(page, '.page-state >>> .state__retry')).toBe(true);
  });
});

describe('scan to check in and out', () => {
  test('scanning the organiser code checks in with my location', async () => {
    const { fake, page } = await open(
      'task-detail',
      { id: '11' },
      {
        'GET /api/v1/tasks/{task_id}': 'task_detail_confirmed',
      }
    );
    fake.on('POST /api/v1/tasks/{task_id}/checkin', 'checkin_ok');
    fake.scanResults.push({ result: 'RPCHECKIN:11:eyJ.checkin-one.sig' });
    fake.on('GET /api/v1/tasks/{task_id}', 'task_detail_confirmed');
    fake.once('GET /api/v1/tasks/{task_id}', 'task_detail_confirmed');
    fake.once('GET /api/v1/tasks/{task_id}', 'task_detail_checked_in');

    tap(page, '.scan-btn');
    await fake.settle();

    const sent = fake.requestsTo('POST /api/v1/tasks/{task_id}/checkin')[0];
    expect(sent.data).toEqual({
      token: 'eyJ.checkin-one.sig',
      location: { latitude: 31.2304, longitude: 121.4737, accuracy: 20 },
    });
    expect(fake.locationCalls).toBe(1);
    expect(fake.lastToast().title).toBe('签到成功');
    expect(text(page, '.attendance')).toBe('已签到 09:02');
    expect(text(page, '.scan-btn')).toBe('扫码签退');
  });

  test('a second scan checks out and says how long I served', async () => {
    const { fake, page } = await open(
      'tasks',
      {},
      {
        'GET /api/v1/tasks/{task_id}': 'task_detail_checked_in',
        'POST /api/v1/tasks/{task_id}/checkout': 'checkout_ok',
      }
    );
    fake.scanResults.push({ result: 'RPCHECKIN:11:eyJ.checkin-two.sig' });
    tap(page, '.scan-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/tasks/{task_id}/checkout')).toHaveLength(1);
    expect(fake.modals[fake.modals.length - 1]).toMatchObject({
      title: '签退成功',
      content: '签退成功，服务 148 分钟',
    });
  });

  test('outside the radius: the server message is shown', async () => {
    const { fake, page } = await open(
      'task-detail',
      { id: '11' },
      {
        'GET /api/v1/tasks/{task_id}': 'task_detail_confirmed',
        'POST /api/v1/tasks/{task_id}/checkin': 'checkin_outside_radius',
      }
    );
    fake.scanResults.push({ result: 'RPCHECKIN:11:tok' });
    tap(page, '.scan-btn');
    await fake.settle();
    expect(text(page, '.action-error')).toBe('您不在任务地点的签到范围内');
  });

  test('denied location, a foreign QR, another task, a closed scanner', async () => {
    const { fake, page } = await open(
      'task-detail',
      { id: '11' },
      {
        'GET /api/v1/tasks/{task_id}': 'task_detail_confirmed',
      }
    );
    fake.locationFails = true;
    fake.scanResults.push({ result: 'RPCHECKIN:11:tok' });
    tap(page, '.scan-btn');
    await fake.settle();
    expect(text(page, '.action-error')).toBe('需要获取您的位置才能签到，请在设置中允许定位后重试');

    fake.scanResults.push({ result: 'https://example.com/not-ours' });
    tap(page, '.scan-btn');
    await fake.settle();
    expect(text(page, '.action-error')).toBe('这不是志愿任务的签到码');

    fake.scanResults.push({ result: 'RPCHECKIN:12:tok' });
    tap(page, '.scan-btn');
    await fake.settle();
    expect(text(page, '.action-error')).toBe('这是其他任务的签到码，请扫描本任务的签到码');

    fake.scanResults.push({ cancel: true });
    tap(page, '.scan-btn');
    await fake.settle();
    expect(exists(page, '.action-error')).toBe(false);
    expect(fake.requestsTo('POST /api/v1/tasks/{task_id}/checkin')).toHaveLength(0);
  });
});

test('my tasks: hours and sign-ups with their status', async () => {
  const { fake, page } = await open('my-tasks');
  expect(text(page, '.hours__year')).toBe('12.5');
  expect(text(page, '.hours__lifetime')).toBe('30');
  expect(texts(page, '.signup__status')).toEqual(['已报名', '候补第 2 位']);
  expect(text(page, '.signup__attendance')).toBe('已签退 11:30 · 服务 148 分钟，获得 10 积分');
  tap(page, '.signup', 1);
  await fake.settle();
  expect(fake.navigations[0].url).toBe('/pages/task-detail/index?id=12');
});
