// The organiser's view: the check-in QR rotating before it expires, attendees, manual
// attendance and 完成任务.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { paintedOps } = require('../helpers/qr');
const { renderPage, screenText, text, texts, exists, tap } = require('../helpers/page');

afterEach(() => {
  jest.useRealTimers();
});

async function openManage(extra) {
  jest.useFakeTimers({ now: Date.parse('2026-11-21T01:00:00Z') });
  const fake = serveDemo(
    installFakeWx(),
    Object.assign(
      {
        'GET /api/v1/tasks/{task_id}': 'task_detail_organiser',
      },
      extra
    )
  );
  fake.once('GET /api/v1/tasks/{task_id}/checkin-code', 'checkin_code_1');
  fake.on('GET /api/v1/tasks/{task_id}/checkin-code', 'checkin_code_2');
  const page = renderPage('task-manage', { query: { id: '11' } });
  await fake.settle();
  return { fake, page };
}

test('the check-in code is drawn and replaced 5 s before it expires', async () => {
  const { fake, page } = await openManage();
  expect(fake.lastDraw('checkin-qr')).toEqual(paintedOps('RPCHECKIN:11:eyJ.checkin-one.sig'));
  expect(text(page, '.code-countdown')).toContain('30 秒后失效');

  await jest.advanceTimersByTimeAsync(10000);
  expect(text(page, '.code-countdown')).toContain('20 秒后失效');
  expect(fake.requestsTo('GET /api/v1/tasks/{task_id}/checkin-code')).toHaveLength(1);

  await jest.advanceTimersByTimeAsync(15000); // 25 s: 5 s before expiry
  await fake.settle();
  expect(fake.requestsTo('GET /api/v1/tasks/{task_id}/checkin-code')).toHaveLength(2);
  expect(fake.lastDraw('checkin-qr')).toEqual(paintedOps('RPCHECKIN:11:eyJ.checkin-two.sig'));
  expect(text(page, '.code-countdown')).toContain('30 秒后失效');

  page.instance.onUnload();
  await jest.advanceTimersByTimeAsync(120000);
  expect(fake.requestsTo('GET /api/v1/tasks/{task_id}/checkin-code')).toHaveLength(2);
});

test('attendees with attendance; 登记到场 marks someone present', async () => {
  const { fake, page } = await openManage({
    'POST /api/v1/tasks/{task_id}/attendance': 'attendance_marked',
  });
  expect(texts(page, '.attendee__name')).toEqual(['张晓明 已报名', '李芳 已报名']);
  expect(texts(page, '.attendee__attendance')).toEqual(['已签到 09:02', '未签到']);
  expect(texts(page, '.mark-btn')).toEqual(['登记到场']);
  tap(page, '.mark-btn');
  await fake.settle();
  expect(fake.requestsTo('POST /api/v1/tasks/{task_id}/attendance')[0].data).toEqual({
    user_id: 8,
  });
  expect(texts(page, '.attendee__attendance')).toEqual(['已签到 09:02', '已签到 09:10']);
  expect(exists(page, '.mark-btn')).toBe(false);
  page.instance.onUnload();
});

test('marking before the start shows the 409 message', async () => {
  const { fake, page } = await openManage({
    'POST /api/v1/tasks/{task_id}/attendance': 'attendance_not_started',
  });
  tap(page, '.mark-btn');
  await fake.settle();
  expect(fake.lastToast().title).toBe('任务开始后才能登记出勤');
  page.instance.onUnload();
});

test('完成任务 confirms, credits and stops the code', async () => {
  const { fake, page } = await openManage({
    'POST /api/v1/tasks/{task_id}/complete': 'task_completed',
  });
  tap(page, '.complete-btn');
  await fake.settle();
  expect(fake.modals[0].title).toBe('完成任务');
  expect(text(page, '.completion__summary')).toBe('到场 2 人，已发放积分 2 人共 20 分，缺席 0 人');
  expect(exists(page, '.checkin-code')).toBe(false);
  expect(exists(page, '.complete-btn')).toBe(false);
  await jest.advanceTimersByTimeAsync(60000);
  expect(fake.requestsTo('GET /api/v1/tasks/{task_id}/checkin-code')).toHaveLength(1);
  expect(screenText(page)).not.toMatch(/undefined|NaN/);
});

test('完成任务 says when the organiser own attendance waits for a second person', async () => {
  const { fake, page } = await openManage({
    'POST /api/v1/tasks/{task_id}/complete': 'task_completed_own_pending',
  });
  tap(page, '.complete-btn');
  await fake.settle();
  expect(text(page, '.completion__own')).toBe(
    '您本人的出勤由他人手工登记，需由其他组织者或社区管理员完成任务时计分'
  );
  const sent = fake.requestsTo('POST /api/v1/tasks/{task_id}/complete')[0];
  expect(sent.header['Idempotency-Key']).toMatch(/^mp-/);
});
