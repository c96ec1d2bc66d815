// The organiser's view: the check-in QR rotating before it expires, attendees, manual
// attendance, 完成任务, and 编辑 / 修改文字 before the start / until the end.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { paintedOps } = require('../helpers/qr');
const { renderPage, screenText, text, texts, exists, tap } = require('../helpers/page');

afterEach(() => {
  jest.useRealTimers();
});

// The fixture task runs 09:00–11:30 in Shanghai on 21 November (01:00–03:30 UTC).
async function openManage(extra, now = '2026-11-21T01:00:00Z') {
  jest.useFakeTimers({ now: Date.parse(now) });
  const fake = serveDemo(
    installFakeWx(),
    Object.assign(
      {
        'GET /api/v1/tasks/{task_id}': 'task_detail_organiser',
      },
      extra
    )
  );
  if (!extra || !extra['GET /api/v1/tasks/{task_id}/checkin-code']) {
    fake.once('GET /api/v1/tasks/{task_id}/checkin-code', 'checkin_code_1');
    fake.on('GET /api/v1/tasks/{task_id}/checkin-code', 'checkin_code_2');
  }
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

// ---- the windows (checkin_opens_at … from the server) -----------------------------------

const CODE = 'GET /api/v1/tasks/{task_id}/checkin-code';

test('days before: no code, no 完成任务, the day and time check-in opens', async () => {
  const { fake, page } = await openManage({}, '2026-11-18T02:00:00Z');
  expect(text(page, '.phase-text')).toBe('签到将于 11月21日 08:30 开放');
  expect(exists(page, '.qr__canvas')).toBe(false);
  expect(fake.requestsTo(CODE)).toHaveLength(0);
  expect(exists(page, '.complete-btn')).toBe(false);
  expect(text(page, '.complete-later')).toBe('任务开始后（11月21日 09:00）可完成任务并发放积分');
  page.instance.onUnload();
});

test('the same day: the time only, then the code appears by itself at 08:30', async () => {
  const { fake, page } = await openManage({}, '2026-11-21T00:29:00Z'); // 08:29
  expect(text(page, '.phase-text')).toBe('签到将于 08:30 开放');
  expect(text(page, '.complete-later')).toBe('任务开始后（09:00）可完成任务并发放积分');
  await jest.advanceTimersByTimeAsync(59000);
  expect(fake.requestsTo(CODE)).toHaveLength(0);
  await jest.advanceTimersByTimeAsync(1000); // 08:30
  await fake.settle();
  expect(fake.requestsTo(CODE)).toHaveLength(1);
  expect(exists(page, '.phase-text')).toBe(false);
  expect(fake.lastDraw('checkin-qr')).toEqual(paintedOps('RPCHECKIN:11:eyJ.checkin-one.sig'));
  expect(exists(page, '.complete-btn')).toBe(false);
  page.instance.onUnload();
});

test('完成任务 appears by itself when the task starts', async () => {
  const { fake, page } = await openManage({}, '2026-11-21T00:59:50Z'); // 08:59:50
  expect(exists(page, '.complete-btn')).toBe(false);
  await jest.advanceTimersByTimeAsync(10000);
  await fake.settle();
  expect(text(page, '.complete-btn')).toBe('完成任务并发放积分');
  page.instance.onUnload();
});

test('after the end: the code stays for 签退, then the page says it is over', async () => {
  const { fake, page } = await openManage({}, '2026-11-21T05:29:00Z'); // 13:29
  expect(text(page, '.phase-note')).toBe('签到已截止，13:30 前仍可扫码签退');
  expect(fake.requestsTo(CODE)).toHaveLength(1);
  await jest.advanceTimersByTimeAsync(2 * 60000); // 13:31
  await fake.settle();
  expect(text(page, '.phase-text')).toBe('签到和签退已结束');
  expect(exists(page, '.qr__canvas')).toBe(false);
  const asked = fake.requestsTo(CODE).length;
  await jest.advanceTimersByTimeAsync(120000);
  expect(fake.requestsTo(CODE)).toHaveLength(asked); // no more codes once closed
  expect(text(page, '.complete-btn')).toBe('完成任务并发放积分');
  page.instance.onUnload();
});

test('a refusal of the code (a phone clock ahead) is shown with 重试', async () => {
  const { fake, page } = await openManage({
    [CODE]: {
      status: 409,
      body: {
        error: {
          code: 'checkin_not_open',
          message: '签到尚未开放（开始前 30 分钟开放）',
          details: { opens_at: '2026-11-21T00:30:00+00:00', closes_at: '2026-11-21T05:30:00+00:00' },
        },
      },
    },
  });
  expect(text(page, '.code-error')).toBe('签到尚未开放（开始前 30 分钟开放），点此重试');
  page.instance.onUnload();
});

// ---- the full-screen code ------------------------------------------------------------------

test('tapping the code shows it full screen with the screen kept on; a tap closes it', async () => {
  const { fake, page } = await openManage();
  tap(page, '.qr__canvas');
  await fake.settle();
  expect(exists(page, '.fullscreen-code')).toBe(true);
  expect(fake.screen.keepOn).toBe(true);
  expect(fake.lastDraw('checkin-qr-full')).toEqual(
    paintedOps('RPCHECKIN:11:eyJ.checkin-one.sig', { size: 320 })
  );
  await jest.advanceTimersByTimeAsync(25000); // the code rotates on the big screen too
  await fake.settle();
  expect(fake.lastDraw('checkin-qr-full')).toEqual(
    paintedOps('RPCHECKIN:11:eyJ.checkin-two.sig', { size: 320 })
  );
  tap(page, '.fullscreen-code');
  await fake.settle();
  expect(exists(page, '.fullscreen-code')).toBe(false);
  expect(fake.screen.keepOn).toBe(false);
  expect(fake.lastDraw('checkin-qr')).toEqual(paintedOps('RPCHECKIN:11:eyJ.checkin-two.sig'));
  page.instance.onUnload();
});

test('leaving the page while full screen lets the screen sleep again', async () => {
  const { fake, page } = await openManage();
  tap(page, '.qr__canvas');
  await fake.settle();
  expect(fake.screen.keepOn).toBe(true);
  page.instance.onUnload();
  expect(fake.screen.keepOn).toBe(false);
});

// ---- 已签到 x / y -------------------------------------------------------------------------------

const ATTENDEES = 'GET /api/v1/tasks/{task_id}/attendees';

function bothCheckedIn() {
  const body = JSON.parse(JSON.stringify(require('../fixtures/attendees.json').body));
  body.items[1].attendance = Object.assign({}, body.items[0].attendance, {
    checkin_at: '2026-11-21T01:05:00+00:00',
  });
  return { status: 200, body };
}

test('已签到 x / y updates every 10 s while shown and stops when hidden or closed', async () => {
  const { fake, page } = await openManage();
  expect(text(page, '.progress__count')).toBe('1 / 2');
  fake.on(ATTENDEES, bothCheckedIn());
  await jest.advanceTimersByTimeAsync(10000);
  await fake.settle();
  expect(text(page, '.progress__count')).toBe('2 / 2');
  expect(texts(page, '.attendee__attendance')).toEqual(['已签到 09:02', '已签到 09:05']);
  const polled = fake.requestsTo(ATTENDEES).length;

  page.instance.onHide();
  await jest.advanceTimersByTimeAsync(60000);
  expect(fake.requestsTo(ATTENDEES)).toHaveLength(polled);
  expect(fake.requestsTo(CODE)).toHaveLength(1); // nor codes while hidden

  page.instance.onShow();
  await fake.settle();
  expect(fake.requestsTo(CODE)).toHaveLength(2);
  expect(fake.requestsTo('GET /api/v1/tasks/{task_id}')).toHaveLength(2); // read again
  await jest.advanceTimersByTimeAsync(10000);
  expect(fake.requestsTo(ATTENDEES)).toHaveLength(polled + 1);

  page.instance.onUnload();
  await jest.advanceTimersByTimeAsync(60000);
  expect(fake.requestsTo(ATTENDEES)).toHaveLength(polled + 1);
});

test('a failed poll keeps the list; every page of attendees is counted', async () => {
  const first = JSON.parse(JSON.stringify(require('../fixtures/attendees.json').body));
  const second = JSON.parse(JSON.stringify(first));
  first.items = first.items.slice(0, 1);
  first.next_cursor = 'page-2';
  second.items = second.items.slice(1);
  const { fake, page } = await openManage({
    [ATTENDEES]: (req) => ({ status: 200, body: req.query.cursor ? second : first }),
  });
  expect(text(page, '.progress__count')).toBe('1 / 2');
  expect(fake.requestsTo(ATTENDEES).map((r) => r.query.limit)).toEqual(['100', '100']);
  fake.on(ATTENDEES, { network: true });
  await jest.advanceTimersByTimeAsync(10000);
  await fake.settle();
  expect(text(page, '.progress__count')).toBe('1 / 2');
  expect(exists(page, '.attendees .error-text')).toBe(false);
  page.instance.onUnload();
});

test('编辑 opens the task form', async () => {
  const { page, fake } = await openManage({}, '2026-11-20T02:00:00Z');
  expect(text(page, '.edit-btn')).toBe('编辑');
  tap(page, '.edit-btn');
  await fake.settle();
  expect(fake.navigations[0].url).toBe('/pages/task-form/index?id=11');
  page.instance.onUnload();
});

test('编辑 becomes 修改文字 by itself when the task starts (edits_close_at)', async () => {
  const { page, fake } = await openManage({}, '2026-11-21T00:59:50Z'); // 08:59:50
  expect(text(page, '.edit-btn')).toBe('编辑');
  await jest.advanceTimersByTimeAsync(10000); // 09:00
  await fake.settle();
  expect(text(page, '.edit-btn')).toBe('修改文字');
  tap(page, '.edit-btn');
  await fake.settle();
  expect(fake.navigations[0].url).toBe('/pages/task-form/index?id=11&wording=1');
  page.instance.onUnload();
});

test('修改文字 goes away by itself when the task ends (ends_at)', async () => {
  const { page, fake } = await openManage({}, '2026-11-21T03:29:50Z'); // 11:29:50
  expect(text(page, '.edit-btn')).toBe('修改文字');
  await jest.advanceTimersByTimeAsync(10000); // 11:30
  await fake.settle();
  expect(exists(page, '.edit-btn')).toBe(false);
  page.instance.onUnload();
});

test('after the end, or once completed, there is nothing to edit', async () => {
  const later = await openManage({}, '2026-11-21T05:00:00Z'); // 13:00
  expect(exists(later.page, '.edit-btn')).toBe(false);
  later.page.instance.onUnload();
  const { page, fake } = await openManage({
    'POST /api/v1/tasks/{task_id}/complete': 'task_completed',
  }); // 09:00
  expect(text(page, '.edit-btn')).toBe('修改文字');
  tap(page, '.complete-btn');
  await fake.settle();
  expect(exists(page, '.edit-btn')).toBe(false);
  page.instance.onUnload();
});
