// 我的任务 → 我组织的: shown to people who may publish (GET /tasks/me/rights), with 发布任务
// and each organised task opening 组织者管理.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, texts, exists, tap } = require('../helpers/page');

async function openMyTasks(extra) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage('my-tasks');
  await fake.settle();
  return { fake, page };
}

const ORGANISER = {
  'GET /api/v1/me': 'me_grid_worker',
  'GET /api/v1/tasks/me/rights': 'task_rights_organiser',
  'GET /api/v1/tasks': 'tasks_organised',
};

test('a resident sees no 我组织的 and no 发布任务', async () => {
  const { fake, page } = await openMyTasks();
  expect(exists(page, '.publish-btn')).toBe(false);
  expect(exists(page, '.organised-head')).toBe(false);
  expect(fake.requestsTo('GET /api/v1/tasks')).toHaveLength(0);
  expect(texts(page, '.signup__title').length).toBeGreaterThan(0);
});

test('an organiser sees 我组织的 and opens 发布任务 and 组织者管理', async () => {
  const { fake, page } = await openMyTasks(ORGANISER);
  expect(fake.requestsTo('GET /api/v1/tasks')[0].query).toMatchObject({
    when: 'all',
    organised_by_me: 'true',
  });
  expect(texts(page, '.organised__title')).toEqual(['幸福里垃圾分类宣传']);
  expect(text(page, '.organised__status')).toBe('已发布');
  tap(page, '.publish-btn');
  await fake.settle();
  tap(page, '.organised');
  await fake.settle();
  expect(fake.navigations).toEqual([
    { type: 'navigateTo', url: '/pages/task-form/index' },
    { type: 'navigateTo', url: '/pages/task-manage/index?id=11' },
  ]);
  page.instance.onShow(); // the first show
  page.instance.onShow(); // back from 发布任务: the list is read again
  await fake.settle();
  expect(fake.requestsTo('GET /api/v1/tasks')).toHaveLength(2);
});

test('when the rights cannot be read, the sign-ups still show', async () => {
  const { page } = await openMyTasks({
    'GET /api/v1/tasks/me/rights': { status: 503, body: { error: { code: 'unavailable', message: '服务暂不可用', details: {} } } },
  });
  expect(exists(page, '.publish-btn')).toBe(false);
  expect(texts(page, '.signup__title').length).toBeGreaterThan(0);
});
