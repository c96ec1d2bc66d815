// 加入社区: choose a community and a grid, join, and the refusals the server can give.

const { installFakeWx } = require('../helpers/fake-wx');
const { renderPage, screenText, text, texts, exists, tap } = require('../helpers/page');
const profile = require('../../utils/profile');

const JOIN = 'POST /api/v1/communities/{community_id}/join';
const GRIDS = 'GET /api/v1/communities/{community_id}/grids';

async function openAs(meFixture) {
  const fake = installFakeWx();
  fake.on('GET /api/v1/me', meFixture);
  fake.on('GET /api/v1/communities', 'communities');
  fake.on(GRIDS, 'grids');
  const page = renderPage('community-join');
  await fake.settle();
  return { fake, page };
}

async function chooseDemoAndSecondGrid(fake, page) {
  tap(page, '.community', 0);
  await fake.settle();
  tap(page, '.grid', 1);
  await fake.settle();
}

test('a newcomer picks a community and a grid and joins', async () => {
  const { fake, page } = await openAs('me_newcomer');
  expect(texts(page, '.community .cell__label')).toEqual(['幸福社区', '和平社区']);
  expect(exists(page, '.grids')).toBe(false);

  tap(page, '.community', 0);
  await fake.settle();
  expect(fake.requestsTo(GRIDS)[0].path).toBe('/api/v1/communities/1/grids');
  expect(texts(page, '.grid .cell__label')).toEqual([
    '第一网格（幸福里）',
    '第二网格（和平苑）',
    '第三网格（光明小区）',
    '暂不选择网格',
  ]);
  expect(text(page, '.join')).toBe('加入幸福社区');

  tap(page, '.grid', 1);
  await fake.settle();
  expect(text(page, '.cell--selected.grid .cell__label')).toBe('第二网格（和平苑）');

  fake.on(JOIN, 'join_ok');
  fake.on('GET /api/v1/me', 'me_resident');
  tap(page, '.join');
  await fake.settle();

  const sent = fake.requestsTo(JOIN)[0];
  expect(sent.path).toBe('/api/v1/communities/1/join');
  expect(sent.data).toEqual({ grid_id: 2 });
  expect(text(page, '.result__title')).toBe('加入成功');
  expect(text(page, '.result__detail')).toBe('幸福社区 · 第二网格（和平苑）');
  expect(fake.lastToast()).toEqual({ title: '加入成功', icon: 'success' });

  // The cached profile was dropped, so the next page to show it fetches the new one.
  const before = fake.requestsTo('GET /api/v1/me').length;
  await profile.get();
  expect(fake.requestsTo('GET /api/v1/me')).toHaveLength(before + 1);

  tap(page, '.result__done');
  await fake.settle();
  expect(fake.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);
});

test('joining without choosing a grid sends grid_id null', async () => {
  const { fake, page } = await openAs('me_newcomer');
  tap(page, '.community', 0);
  await fake.settle();
  fake.on(JOIN, 'join_ok_no_grid');
  tap(page, '.join');
  await fake.settle();
  expect(fake.requestsTo(JOIN)[0].data).toEqual({ grid_id: null });
  expect(text(page, '.result__detail')).toBe('幸福社区');
  expect(screenText(page)).toContain('可以随时在“我的”中选择网格');
});

test('a 409 from the server becomes its message next to the button', async () => {
  const { fake, page } = await openAs('me_newcomer');
  await chooseDemoAndSecondGrid(fake, page);
  fake.on(JOIN, 'join_conflict');
  tap(page, '.join');
  await fake.settle();

  expect(text(page, '.join-error')).toBe('您已加入其他社区，如需迁移请联系原社区管理员');
  expect(exists(page, '.result')).toBe(false);
  expect(text(page, '.join')).toBe('加入幸福社区'); // the button is usable again
  expect(fake.modals).toEqual([]);
});

test('a 422 shows the validation message', async () => {
  const { fake, page } = await openAs('me_newcomer');
  await chooseDemoAndSecondGrid(fake, page);
  fake.on(JOIN, 'join_grid_invalid');
  tap(page, '.join');
  await fake.settle();
  expect(text(page, '.join-error')).toBe('所选网格不属于该社区');
});

test('a network failure while joining offers 重试, which joins', async () => {
  const { fake, page } = await openAs('me_newcomer');
  await chooseDemoAndSecondGrid(fake, page);
  fake.once(JOIN, { network: true });
  fake.on(JOIN, 'join_ok');
  tap(page, '.join');
  await fake.settle();

  expect(fake.modals[0]).toMatchObject({ content: '网络连接失败，请检查网络后重试', confirmText: '重试' });
  expect(fake.requestsTo(JOIN)).toHaveLength(2);
  expect(text(page, '.result__title')).toBe('加入成功');
});

test('a member sees where they are and can move to another grid', async () => {
  const { fake, page } = await openAs('me_resident');
  expect(screenText(page)).toContain('当前所在：幸福社区 · 第一网格（幸福里）');
  expect(text(page, '.cell--selected.community .cell__label')).toBe('幸福社区');
  expect(text(page, '.cell--selected.grid .cell__label')).toBe('第一网格（幸福里）');
  expect(text(page, '.join')).toBe('确认更换网格');

  tap(page, '.grid', 1);
  await fake.settle();
  fake.on(JOIN, 'join_ok');
  tap(page, '.join');
  await fake.settle();
  expect(fake.requestsTo(JOIN)[0].data).toEqual({ grid_id: 2 });
  expect(text(page, '.result__detail')).toBe('幸福社区 · 第二网格（和平苑）');
});

test('search sends q and 加载更多 follows the cursor', async () => {
  const fake = installFakeWx();
  fake.on('GET /api/v1/me', 'me_newcomer');
  fake.once('GET /api/v1/communities', 'communities_page1');
  fake.once('GET /api/v1/communities', 'communities_page1');
  fake.once('GET /api/v1/communities', 'communities_page2');
  const page = renderPage('community-join');
  await fake.settle();

  page.querySelector('.search__input').dispatchEvent('input', { detail: { value: ' 社区 ' } });
  await fake.settle();
  tap(page, '.search__btn');
  await fake.settle();
  expect(texts(page, '.community .cell__label')).toEqual(['幸福社区']);

  tap(page, '.more');
  await fake.settle();
  expect(texts(page, '.community .cell__label')).toEqual(['幸福社区', '和平社区']);
  expect(exists(page, '.more')).toBe(false);

  const queries = fake.requestsTo('GET /api/v1/communities').map((r) => r.query);
  expect(queries).toEqual([
    { limit: '20' },
    { limit: '20', q: '社区' },
    { limit: '20', cursor: 'eyJpZCI6IDF9', q: '社区' },
  ]);
});

test('an unknown community shows the server message where the grids would be', async () => {
  const { fake, page } = await openAs('me_newcomer');
  fake.on(GRIDS, 'community_not_found');
  tap(page, '.community', 1);
  await fake.settle();
  expect(text(page, '.grids')).toContain('社区不存在');
});

test('a failed first load says so and 重试 loads the list', async () => {
  const fake = installFakeWx();
  fake.on('GET /api/v1/me', 'me_newcomer');
  fake.once('GET /api/v1/communities', { network: true });
  fake.on('GET /api/v1/communities', 'communities');
  const page = renderPage('community-join');
  await fake.settle();
  expect(screenText(page)).toContain('网络连接失败，请检查网络后重试');
  tap(page, '.page-state >>> .state__retry');
  await fake.settle();
  expect(texts(page, '.community .cell__label')).toEqual(['幸福社区', '和平社区']);
});
