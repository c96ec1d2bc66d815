// 转发 a task: the share card, and opening it cold (no token yet) as a member, as a
// non-member who joins and comes back, for another community's task and a cancelled one.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, exists, tap } = require('../helpers/page');

const TASK = 'GET /api/v1/tasks/{task_id}';
const LOGIN = 'POST /api/v1/auth/wechat-login';
const SHARED = { id: '11', from: 'share' };

async function open(query, extra) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage('task-detail', { query });
  await fake.settle();
  return { fake, page };
}

test('the share card carries the title and the page to open; 转发 is enabled', async () => {
  const { fake, page } = await open({ id: '11' });
  expect(fake.shareMenu.menus).toContain('shareAppMessage');
  expect(page.instance.onShareAppMessage()).toEqual({
    title: '幸福里垃圾分类宣传',
    path: '/pages/task-detail/index?id=11&from=share',
  });
});

test('a card holder acted for never leaks into the share card', async () => {
  const { page } = await open({ id: '11', for: '41', name: '郭*兰' });
  expect(page.instance.onShareAppMessage().path).toBe('/pages/task-detail/index?id=11&from=share');
});

test('a member opening the card cold logs in first, then sees the task and can sign up', async () => {
  const { fake, page } = await open(SHARED);
  expect(fake.requestsTo(LOGIN)).toHaveLength(1);
  const read = fake.requestsTo(TASK);
  expect(read).toHaveLength(1);
  expect(read[0].path).toBe('/api/v1/tasks/11');
  expect(read[0].header.Authorization).toMatch(/^Bearer test-token-/);
  expect(text(page, '.task-title')).toBe('幸福里垃圾分类宣传');
  expect(exists(page, '.signup-btn')).toBe(true);
  expect(exists(page, '.share-join')).toBe(false);
});

test('a non-member is led to 加入社区 and back to the task', async () => {
  const { fake, page } = await open(SHARED, { [TASK]: 'task_not_a_member' });
  expect(text(page, '.share-join')).toContain('加入社区后查看任务');
  expect(exists(page, '.task-title')).toBe(false);
  tap(page, '.share-join__btn');
  await fake.settle();
  expect(fake.navigations.pop()).toEqual({
    type: 'navigateTo',
    url: '/pages/community-join/index?from=task',
  });

  // Joined: the join page goes back, and this page asks again as a member.
  fake.on(TASK, 'task_detail');
  page.instance.onShow();
  await fake.settle();
  expect(text(page, '.task-title')).toBe('幸福里垃圾分类宣传');
  expect(exists(page, '.share-join')).toBe(false);
  expect(fake.requestsTo(TASK)).toHaveLength(2);
});

test('the join page sent from a task says so and its button goes back', async () => {
  const fake = installFakeWx();
  fake.on('GET /api/v1/me', 'me_newcomer');
  fake.on('GET /api/v1/communities', 'communities');
  fake.on('GET /api/v1/communities/{community_id}/grids', 'grids');
  fake.on('POST /api/v1/communities/{community_id}/join', 'join_ok');
  const page = renderPage('community-join', { query: { from: 'task' } });
  await fake.settle();
  expect(text(page, '.from-task')).toContain('回到刚才的任务');
  tap(page, '.community', 0);
  await fake.settle();
  tap(page, '.join');
  await fake.settle();
  expect(text(page, '.result__done')).toBe('返回任务');
  tap(page, '.result__done');
  await fake.settle();
  expect(fake.navigations.pop()).toEqual({ type: 'navigateBack', delta: 1 });
});

test("another community's task (hidden as missing) says it is not this community's", async () => {
  const { fake, page } = await open(SHARED, { [TASK]: 'task_not_found' });
  expect(text(page, '.share-elsewhere')).toContain('不属于您所在的社区');
  expect(exists(page, '.page-state >>> .state__retry')).toBe(false);
  tap(page, '.share-home');
  await fake.settle();
  expect(fake.navigations.pop()).toEqual({ type: 'switchTab', url: '/pages/tasks/index' });
});

test('a missing task opened from inside the app keeps the plain error with 重试', async () => {
  const { page } = await open({ id: '11' }, { [TASK]: 'task_not_found' });
  expect(exists(page, '.share-elsewhere')).toBe(false);
  expect(screenText(page)).toContain('志愿任务不存在');
});

test('a cancelled task says so, offers no sign-up, and points to other tasks', async () => {
  const { page } = await open(SHARED, { [TASK]: 'task_cancelled' });
  expect(text(page, '.task-cancelled')).toBe('任务已取消：暴雨预警，活动取消，不能再报名');
  expect(exists(page, '.signup-btn')).toBe(false);
  expect(exists(page, '.share-home')).toBe(true);
});
