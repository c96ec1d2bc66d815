// Subscribe messages: each moment (sign-up, claim, reserve, report) asks for its templates
// inside the tap and reports the answers; a refusal, a failed dialog or an unreachable API
// never stops the resident's action.

const { installFakeWx } = require('./helpers/fake-wx');
const { serveDemo } = require('./helpers/demo');
const { fixture } = require('./helpers/fixtures');
const { renderPage, find, tap } = require('./helpers/page');

const MOMENTS = fixture('subscriptions').body.moments;
const REPORTED = 'POST /api/v1/me/subscriptions';

async function open(name, extra, query) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

// Each moment: the page, what the tap needs, the action's request and the tap itself.
const CASES = {
  signup: {
    page: 'task-detail',
    query: { id: '11' },
    answers: { 'POST /api/v1/tasks/{task_id}/signups': 'signup_confirmed' },
    action: 'POST /api/v1/tasks/{task_id}/signups',
    async act(page, fake) {
      tap(page, '.signup-btn');
      await fake.settle();
    },
  },
  claim: {
    page: 'claim-form',
    answers: { 'POST /api/v1/points/claims': 'claim_created' },
    action: 'POST /api/v1/points/claims',
    async act(page, fake) {
      find(page, '.item-picker').dispatchEvent('change', { detail: { value: '1' } });
      await fake.settle();
      find(page, '.description-input').dispatchEvent('input', {
        detail: { value: '帮助邻居老人搬运物品' },
      });
      await fake.settle();
      tap(page, '.submit-btn');
      await fake.settle();
    },
  },
  reserve: {
    page: 'offer-detail',
    query: { id: '21' },
    answers: { 'POST /api/v1/redemptions': 'reserve_ok' },
    action: 'POST /api/v1/redemptions',
    async act(page, fake) {
      tap(page, '.reserve-btn'); // the confirm modal answers 确认兑换
      await fake.settle();
    },
  },
  report: {
    page: 'report-form',
    answers: { 'POST /api/v1/grid/reports': 'report_created' },
    action: 'POST /api/v1/grid/reports',
    async act(page, fake) {
      find(page, '.category-picker').dispatchEvent('change', { detail: { value: '1' } });
      find(page, '.text-input').dispatchEvent('input', { detail: { value: '路灯不亮了' } });
      await fake.settle();
      tap(page, '.submit-btn');
      await fake.settle();
    },
  },
};

describe.each(Object.keys(CASES))('the %s moment', (moment) => {
  const c = CASES[moment];
  const ids = MOMENTS[moment];

  test('asks for its templates in the tap and reports each answer', async () => {
    const { fake, page } = await open(c.page, c.answers, c.query);
    fake.subscribeAnswer = { [ids[0]]: 'accept' };
    await c.act(page, fake);
    expect(fake.subscribeCalls).toEqual([ids]);
    expect(ids.length).toBeLessThanOrEqual(3);
    const results = {};
    ids.forEach((id, i) => {
      results[id] = i === 0 ? 'accept' : 'reject';
    });
    expect(fake.requestsTo(REPORTED).map((r) => r.data)).toEqual([{ results }]);
    expect(fake.requestsTo(c.action)).toHaveLength(1);
  });

  test('a refusal reports nothing and the action goes on', async () => {
    const { fake, page } = await open(c.page, c.answers, c.query);
    fake.subscribeAnswer = 'reject';
    await c.act(page, fake);
    expect(fake.subscribeCalls).toEqual([ids]);
    expect(fake.requestsTo(REPORTED)).toHaveLength(0);
    expect(fake.requestsTo(c.action).map((r) => r.status)).toEqual([
      fixture(c.answers[c.action]).status,
    ]);
  });

  test('a failed dialog and an unreachable API do not stop the action', async () => {
    const { fake, page } = await open(c.page, c.answers, c.query);
    fake.subscribeAnswer = { fail: true };
    await c.act(page, fake);
    expect(fake.requestsTo(c.action)).toHaveLength(1);
    expect(fake.requestsTo(REPORTED)).toHaveLength(0);

    const again = await open(c.page, c.answers, c.query);
    again.fake.subscribeAnswer = 'accept';
    again.fake.on(REPORTED, { network: true });
    await c.act(again.page, again.fake);
    expect(again.fake.requestsTo(REPORTED)).toHaveLength(1);
    expect(again.fake.requestsTo(c.action)).toHaveLength(1);
    // No toast speaks of the subscription: the only ones are the action's own.
    expect(again.fake.toasts.map((t) => t.title)).not.toContain('出错了，请稍后重试');
  });
});

test('without the template ids (the API was down) the tap asks nothing and still acts', async () => {
  const fake = serveDemo(installFakeWx(), CASES.signup.answers);
  fake.on('GET /api/v1/me/subscriptions', { network: true });
  const page = renderPage('task-detail', { query: { id: '11' } });
  await fake.settle();
  await CASES.signup.act(page, fake);
  expect(fake.subscribeCalls).toEqual([]);
  expect(fake.requestsTo('POST /api/v1/tasks/{task_id}/signups')).toHaveLength(1);
  expect(fake.lastToast().title).toBe('报名成功');
});

test('a claim filed for a card holder does not ask the staff member', async () => {
  const { fake, page } = await open(
    'claim-form',
    CASES.claim.answers,
    { for: '41', name: '郭桂兰' }
  );
  await CASES.claim.act(page, fake);
  expect(fake.subscribeCalls).toEqual([]);
  expect(fake.requestsTo('POST /api/v1/points/claims')).toHaveLength(1);
});

test('the ids are cached: a second page asks without reading them again', async () => {
  const answers = Object.assign({}, CASES.signup.answers, CASES.report.answers);
  const { fake } = await open('task-detail', answers, { id: '11' });
  const page = renderPage('report-form', {});
  await fake.settle();
  expect(fake.requestsTo('GET /api/v1/me/subscriptions')).toHaveLength(1);
  await CASES.report.act(page, fake);
  expect(fake.subscribeCalls).toEqual([MOMENTS.report]);
});
