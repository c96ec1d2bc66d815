// 发布任务 / 编辑任务: the body sent, only the changes on an edit, 422s beside their fields,
// a refusal (403) for the whole form, where the page goes after saving, and 修改文字 (only
// the wording once the task has started).

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const fs = require('fs');
const path = require('path');
const { ROOT, renderPage, find, text, texts, exists, tap } = require('../helpers/page');

afterEach(() => {
  jest.useRealTimers();
});

const CREATE = 'POST /api/v1/tasks';
const EDIT = 'PATCH /api/v1/tasks/{task_id}';

async function openForm(extra = {}, query = {}) {
  jest.useFakeTimers({ now: Date.parse('2026-11-20T02:00:00Z') }); // 10:00 on 20 November
  const fake = serveDemo(installFakeWx(), Object.assign({ 'GET /api/v1/me': 'me_grid_worker' }, extra));
  const page = renderPage('task-form', { query });
  await fake.settle();
  return { fake, page };
}

// Events reach the page asynchronously: wait until it has rendered.
async function type(page, selector, value) {
  find(page, selector).dispatchEvent('input', { detail: { value } });
  await global.__fakeWx.settle();
}

async function pick(page, selector, value) {
  find(page, selector).dispatchEvent('change', { detail: { value: String(value) } });
  await global.__fakeWx.settle();
}

async function submit(fake, page) {
  tap(page, '.submit-btn');
  await fake.settle();
}

test('发布任务 sends the task with a point item and opens it', async () => {
  const { fake, page } = await openForm({ [CREATE]: 'task_created' });
  expect(text(page, '.submit-btn')).toBe('发布任务');
  await type(page, '.title-input', ' 楼道消防通道清理 ');
  await type(page, '.description-input', '清理楼道杂物');
  await pick(page, '.start-date', '2026-11-22');
  await pick(page, '.start-time', '14:00');
  await pick(page, '.end-date', '2026-11-22');
  await pick(page, '.end-time', '16:30');
  await type(page, '.place-input', '和平苑 2 号楼');
  await type(page, '.capacity-input', '8');
  await pick(page, '.item-picker', 0);
  expect(text(page, '.item-choice')).toBe('志愿服务（10 分）');
  await pick(page, '.deadline-date', '2026-11-21');
  await pick(page, '.deadline-time', '20:00');
  await submit(fake, page);

  expect(fake.requestsTo(CREATE)[0].data).toEqual({
    title: '楼道消防通道清理',
    description: '清理楼道杂物',
    starts_at: '2026-11-22T14:00:00+08:00',
    ends_at: '2026-11-22T16:30:00+08:00',
    place_name: '和平苑 2 号楼',
    capacity: 8,
    reward_kind: 'item',
    point_item_id: 4,
    audience: 'everyone',
    signup_deadline: '2026-11-21T20:00:00+08:00',
  });
  expect(fake.lastToast().title).toBe('已发布');
  expect(fake.navigations).toEqual([{ type: 'redirectTo', url: '/pages/task-detail/index?id=21' }]);
});

test('hours and a grid: the rate and cap, the grid, no point item', async () => {
  const { fake, page } = await openForm({ [CREATE]: 'task_created' });
  await type(page, '.title-input', '探访独居老人');
  await pick(page, '.reward-picker', 1);
  expect(exists(page, '.item-picker')).toBe(false);
  await type(page, '.per-hour-input', '5');
  await type(page, '.cap-input', '20');
  await pick(page, '.audience-picker', 2);
  await pick(page, '.grid-picker', 1);
  expect(text(page, '.grid-choice')).toBe('第二网格（和平苑）');
  await submit(fake, page);
  const sent = fake.requestsTo(CREATE)[0].data;
  expect(sent).toMatchObject({
    reward_kind: 'hours',
    points_per_hour: 5,
    points_cap: 20,
    audience: 'grid',
    audience_grid_id: 2,
    starts_at: '2026-11-21T09:00:00+08:00', // tomorrow 09:00 unless changed
    place_name: null,
  });
  expect(sent).not.toHaveProperty('point_item_id');
  expect(sent).not.toHaveProperty('signup_deadline');
});

test('party members of one kind', async () => {
  const { fake, page } = await openForm({ [CREATE]: 'task_created' });
  await type(page, '.title-input', '在职党员回家日');
  await pick(page, '.item-picker', 0);
  await pick(page, '.audience-picker', 1);
  await pick(page, '.party-picker', 1);
  await submit(fake, page);
  expect(fake.requestsTo(CREATE)[0].data).toMatchObject({
    audience: 'party_members',
    audience_party_kind: '在职',
  });
});

test('what is missing is said before anything is sent', async () => {
  const { fake, page } = await openForm();
  await type(page, '.capacity-input', '0');
  await submit(fake, page);
  expect(fake.requestsTo(CREATE)).toHaveLength(0);
  expect(text(page, '.error-title')).toBe('请填写任务名称');
  expect(text(page, '.error-capacity')).toBe('名额应为 1 到 10000');
  expect(text(page, '.error-point_item_id')).toBe('请选择积分项目');
  await type(page, '.title-input', '河道巡护');
  expect(exists(page, '.error-title')).toBe(false); // typing clears the field's message
});

test.each([
  ['task_create_invalid', { '.error-title': '长度应在 1 到 64 之间', '.error-capacity': '应大于或等于 1 且小于或等于 10000' }],
  ['task_create_starts_in_past', { '.error-starts_at': '开始时间必须在当前时间之后' }],
  ['task_create_item_unusable', { '.error-point_item_id': '该积分项目不可用于志愿任务' }],
])('a 422 (%s) shows beside its fields', async (fixture, shown) => {
  const { fake, page } = await openForm({ [CREATE]: fixture });
  await type(page, '.title-input', '河道巡护');
  await pick(page, '.item-picker', 0);
  await submit(fake, page);
  for (const [selector, message] of Object.entries(shown)) {
    expect(text(page, selector)).toBe(message);
  }
  expect(exists(page, '.form-error')).toBe(false);
  expect(fake.navigations).toEqual([]);
});

test('a refusal (403) is said for the whole form', async () => {
  const { fake, page } = await openForm({ [CREATE]: 'task_create_forbidden' });
  await type(page, '.title-input', '河道巡护');
  await pick(page, '.item-picker', 0);
  await submit(fake, page);
  expect(text(page, '.form-error')).toBe('您没有发布志愿任务的权限');
  expect(fake.navigations).toEqual([]);
});

test('编辑任务 fills the form and sends only what changed', async () => {
  const { fake, page } = await openForm(
    { 'GET /api/v1/tasks/{task_id}': 'task_detail_organiser', [EDIT]: 'task_edited' },
    { id: '11' }
  );
  expect(page.instance.data.form.title).toBe('幸福里垃圾分类宣传');
  expect(page.instance.data.form.capacity).toBe('10');
  expect(text(page, '.item-choice')).toBe('志愿服务（10 分）');
  expect(text(page, '.start-time')).toBe('09:00');
  expect(text(page, '.end-time')).toBe('11:30');
  expect(text(page, '.deadline-time')).toBe('20:00');
  expect(text(page, '.submit-btn')).toBe('保存修改');
  await type(page, '.capacity-input', '12');
  await submit(fake, page);
  const sent = fake.requestsTo(EDIT)[0];
  expect(sent.path).toBe('/api/v1/tasks/11');
  expect(sent.data).toEqual({ capacity: 12 });
  expect(fake.lastToast().title).toBe('已保存');
  expect(fake.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);
});

test('switching an edit to hours sends the kind with its fields', async () => {
  const { fake, page } = await openForm(
    { 'GET /api/v1/tasks/{task_id}': 'task_detail_organiser', [EDIT]: 'task_edited' },
    { id: '11' }
  );
  await pick(page, '.reward-picker', 1);
  await type(page, '.per-hour-input', '6');
  await type(page, '.cap-input', '18');
  await submit(fake, page);
  expect(fake.requestsTo(EDIT)[0].data).toEqual({
    reward_kind: 'hours',
    points_per_hour: 6,
    points_cap: 18,
  });
});

test('an edit after the start is refused with the server message', async () => {
  const { fake, page } = await openForm(
    { 'GET /api/v1/tasks/{task_id}': 'task_detail_organiser', [EDIT]: 'task_edit_started' },
    { id: '11' }
  );
  await type(page, '.title-input', '新标题');
  await submit(fake, page);
  expect(fake.requestsTo(EDIT)[0].data).toEqual({ title: '新标题' });
  expect(text(page, '.form-error')).toBe('任务已开始，只能修改标题、说明和地点名称');
});

test('an unchanged edit goes back without a request', async () => {
  const { fake, page } = await openForm(
    { 'GET /api/v1/tasks/{task_id}': 'task_detail_organiser' },
    { id: '11' }
  );
  await submit(fake, page);
  expect(fake.requestsTo(EDIT)).toHaveLength(0);
  expect(fake.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);
});

// ---- 修改文字: after the start only the title, description and place name change -------

const WORDING_NOTICE = '任务已开始，只能修改标题、说明和地点名称';
const FIXED_LABELS = [
  '开始时间',
  '结束时间',
  '名额（人）',
  '计分方式',
  '积分项目',
  '报名对象',
  '报名截止（选填，默认为开始时间）',
];

// The fixture task starts at 09:00 on 21 November (Shanghai); 10:00 that day it has started.
async function openStarted(extra = {}, query = { id: '11' }) {
  jest.useFakeTimers({ now: Date.parse('2026-11-21T02:00:00Z') });
  const fake = serveDemo(
    installFakeWx(),
    Object.assign(
      {
        'GET /api/v1/me': 'me_grid_worker',
        'GET /api/v1/tasks/{task_id}': 'task_detail_organiser',
      },
      extra
    )
  );
  const page = renderPage('task-form', { query });
  await fake.settle();
  return { fake, page };
}

const disabledLabels = (page) => texts(page, '.field--disabled .field__label');

test('before the start every field is open and there is no notice', async () => {
  const { page } = await openForm(
    { 'GET /api/v1/tasks/{task_id}': 'task_detail_organiser' },
    { id: '11' }
  );
  expect(exists(page, '.wording-notice')).toBe(false);
  expect(disabledLabels(page)).toEqual([]);
  expect(exists(page, '.clear-deadline')).toBe(true);
});

test('修改文字 (?wording=1): the notice, the rules greyed out, only the wording sent', async () => {
  const { fake, page } = await openForm(
    { 'GET /api/v1/tasks/{task_id}': 'task_detail_organiser', [EDIT]: 'task_edited' },
    { id: '11', wording: '1' }
  );
  expect(text(page, '.wording-notice')).toBe(WORDING_NOTICE);
  expect(disabledLabels(page)).toEqual(FIXED_LABELS);
  expect(exists(page, '.clear-deadline')).toBe(false);
  // The fixed fields ignore whatever reaches them.
  await pick(page, '.start-date', '2026-11-25');
  await type(page, '.capacity-input', '30');
  await pick(page, '.reward-picker', 1);
  await pick(page, '.audience-picker', 1);
  expect(text(page, '.start-date')).toBe('2026-11-21');
  expect(page.instance.data.form.capacity).toBe('10');
  expect(text(page, '.reward-choice')).toBe('按积分项目（每人固定分值）');
  await type(page, '.title-input', '幸福里垃圾分类宣传（改在西门）');
  await type(page, '.place-input', '幸福里西门');
  await submit(fake, page);
  expect(fake.requestsTo(EDIT)[0].data).toEqual({
    title: '幸福里垃圾分类宣传（改在西门）',
    place_name: '幸福里西门',
  });
  expect(fake.lastToast().title).toBe('已保存');
  expect(fake.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);
});

test('a started task opens in wording mode by itself; its past start is not refused', async () => {
  const { fake, page } = await openStarted({ [EDIT]: 'task_edited' });
  expect(text(page, '.wording-notice')).toBe(WORDING_NOTICE);
  expect(disabledLabels(page)).toEqual(FIXED_LABELS);
  // Even a form holding other differences, one of them out of range (a start with seconds
  // read back, a stale capacity), is neither refused for them nor sends them.
  page.instance.setData({ 'form.capacity': '0', 'form.startTime': '09:30' });
  await type(page, '.description-input', '改在西门集合，发放宣传册。');
  await submit(fake, page);
  expect(exists(page, '.error-starts_at')).toBe(false);
  expect(fake.requestsTo(EDIT)[0].data).toEqual({ description: '改在西门集合，发放宣传册。' });
});

test('in wording mode only the wording is checked: a title, and not too long', async () => {
  const { fake, page } = await openStarted();
  await type(page, '.title-input', '  ');
  await submit(fake, page);
  expect(text(page, '.error-title')).toBe('请填写任务名称');
  await type(page, '.title-input', '长'.repeat(65));
  await type(page, '.place-input', '地'.repeat(65));
  await submit(fake, page);
  expect(text(page, '.error-title')).toBe('任务名称不能超过 64 个字');
  expect(text(page, '.error-place_name')).toBe('地点不能超过 64 个字');
  expect(fake.requestsTo(EDIT)).toHaveLength(0);
});

test('in wording mode a 409 still shows the server message', async () => {
  const { fake, page } = await openStarted({ [EDIT]: 'task_edit_not_editable' });
  await type(page, '.title-input', '新标题');
  await submit(fake, page);
  expect(fake.requestsTo(EDIT)[0].data).toEqual({ title: '新标题' });
  expect(text(page, '.form-error')).toBe('任务已取消或已结束，不能修改');
  expect(fake.navigations).toEqual([]);
});

test('every input and picker but the wording is disabled in wording mode (WXML)', () => {
  const wxml = fs.readFileSync(path.join(ROOT, 'pages/task-form/index.wxml'), 'utf8');
  const controls = wxml.match(/<(input|textarea|picker)\b[^>]*>/g);
  const wordingInput = /data-field="(title|description|place)"/;
  const fixed = controls.filter((c) => !wordingInput.test(c));
  expect(controls.length - fixed.length).toBe(3);
  expect(fixed.length).toBe(14);
  for (const c of fixed) expect(c).toContain('disabled="{{wording}}"');
  for (const c of controls.filter((c) => wordingInput.test(c))) expect(c).not.toMatch(/disabled/);
});
