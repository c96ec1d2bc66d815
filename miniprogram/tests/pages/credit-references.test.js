// 信用证明: issue a reference for the bank (the check code shows once), the list with every
// check, 撤销; an organisation's staff open the page for its account.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, texts, exists, tap } = require('../helpers/page');

const LIST = 'GET /api/v1/me/credit-references';
const ISSUE = 'POST /api/v1/me/credit-references';
const REVOKE = 'POST /api/v1/me/credit-references/{reference_id}/revoke';

async function open(routes, query = {}) {
  const fake = serveDemo(installFakeWx(), routes || {});
  const page = renderPage('credit-references', { query });
  await fake.settle();
  return { fake, page };
}

describe('信用证明', () => {
  test('lists references with their status, figures and every check', async () => {
    const { fake, page } = await open();
    expect(fake.requestsTo(LIST)[0].url).toMatch(/limit=20/);
    expect(texts(page, '.credit-ref__serial')).toEqual([
      'CR2026-7KQ4-M2XH-9PZC',
      'CR2026-H3RT-8WNE-4YDA',
    ]);
    expect(texts(page, '.credit-ref__status')).toEqual(['有效', '已撤销']);
    expect(texts(page, '.credit-ref__figures')[0]).toBe(
      '2026 年 320 分 · 累计 1180 分 · 46.5 小时 · 前10%'
    );
    expect(texts(page, '.credit-ref__checks-title')).toEqual(['被核验 2 次', '被核验 0 次']);
    expect(texts(page, '.credit-check__outcome')).toEqual(['核验通过', '核验码错误']);
    expect(texts(page, '.credit-check__client')).toEqual(['203.0.113.*', '203.0.113.*']);
    expect(texts(page, '.credit-ref__dates')[1]).toMatch('撤销于 9月10日 16:20');
    // Only the live one can be revoked.
    expect(texts(page, '.credit-ref__revoke')).toEqual(['撤销']);
  });

  test('issues with the chosen validity and shows the serial and code once', async () => {
    const { fake, page } = await open({ [ISSUE]: 'credit_reference_issued' });
    expect(exists(page, '.credit-issued')).toBe(false);
    tap(page, '.credit-days__item', 2); // 90 天
    await fake.settle();
    expect(text(page, '.credit-days__item--on')).toBe('90 天');
    tap(page, '.credit-issue__submit');
    await fake.settle();
    expect(fake.requestsTo(ISSUE)[0].data).toEqual({ valid_days: 90 });
    expect(text(page, '.credit-issued__serial')).toBe('CR2026-P5SG-2BVQ-KM7T');
    expect(text(page, '.credit-issued__code')).toBe('Q8ZK3MHT');
    expect(text(page, '.credit-issued__url')).toBe('http://127.0.0.1:8000/v');
    expect(text(page, '.credit-issued__once')).toMatch('只显示这一次');
    expect(fake.requestsTo(LIST)).toHaveLength(2); // the list reloads with the new one
    tap(page, '.credit-issued__copy');
    await fake.settle();
    expect(fake.clipboard[0]).toMatch('CR2026-P5SG-2BVQ-KM7T');
    expect(fake.clipboard[0]).toMatch('核验码：Q8ZK3MHT');
    tap(page, '.credit-issued__done');
    await fake.settle();
    expect(exists(page, '.credit-issued')).toBe(false);
    expect(page.dom.textContent).not.toMatch('Q8ZK3MHT'); // gone for good
    expect(exists(page, '.credit-issue__submit')).toBe(true);
  });

  test('撤销 asks first, then shows the reference revoked', async () => {
    const { fake, page } = await open({ [REVOKE]: 'credit_reference_revoked' });
    tap(page, '.credit-ref__revoke');
    await fake.settle();
    expect(fake.modals[0].title).toBe('撤销信用证明');
    expect(fake.requestsTo(REVOKE)[0].url).toMatch('/api/v1/me/credit-references/2/revoke');
    expect(texts(page, '.credit-ref__status')).toEqual(['已撤销', '已撤销']);
    expect(exists(page, '.credit-ref__revoke')).toBe(false);
    expect(fake.lastToast().title).toBe('已撤销');
  });

  test('nothing is revoked when the confirmation is cancelled', async () => {
    const fake = serveDemo(installFakeWx(), { [REVOKE]: 'credit_reference_revoked' });
    fake.modalAnswer = { confirm: false, cancel: true };
    const page = renderPage('credit-references');
    await fake.settle();
    tap(page, '.credit-ref__revoke');
    await fake.settle();
    expect(fake.requestsTo(REVOKE)).toHaveLength(0);
    expect(texts(page, '.credit-ref__status')).toEqual(['有效', '已撤销']);
  });

  test("an organisation's staff issue for its account; a refusal shows why", async () => {
    const { fake, page } = await open(
      { [ISSUE]: 'credit_reference_forbidden', [LIST]: 'credit_references_empty' },
      { organisation_id: '4' }
    );
    expect(fake.requestsTo(LIST)[0].url).toMatch(/organisation_id=4/);
    expect(text(page, '.credit-list__empty')).toBe('还没有出具过信用证明');
    tap(page, '.credit-issue__submit');
    await fake.settle();
    expect(fake.requestsTo(ISSUE)[0].data).toEqual({ valid_days: 30, organisation_id: 4 });
    expect(text(page, '.credit-issue__error')).toBe('只有该单位的工作人员可以出具信用证明');
    expect(exists(page, '.credit-issued')).toBe(false);
  });
});
