// 公示: the list of notices (by period type, 更正 / 已更正 marks, 加载更多, empty and error
// states) and one notice (tabs per kind, 积分之星, correction banners both ways), reached
// from the ranking page.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, screenText, text, texts, exists, tap, queryAll } = require('../helpers/page');

async function open(name, extra, query) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

function tapNth(page, selector, n) {
  queryAll(page, selector)[n].dispatchEvent('tap');
}

describe('the 公示 list', () => {
  test('newest first with marks; a type filters; 加载更多; a notice opens', async () => {
    const { fake, page } = await open('notices');
    expect(fake.requestsTo('GET /api/v1/notices')[0].query).toEqual({ limit: '20' });
    expect(texts(page, '.notice-item__title')).toEqual([
      '2026年11月 红色积分公示（更正）',
      '2026年度 红色积分评选',
    ]);
    expect(texts(page, '.notice-item__date')).toEqual(['2026-12-03 发布', '2027-01-01 发布']);
    expect(texts(page, '.notice-item__correction')).toEqual(['更正']);

    fake.on('GET /api/v1/notices', 'notices_page2');
    tap(page, '.load-more');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/notices')[1].query).toEqual({
      limit: '20',
      cursor: 'c-notices-2',
    });
    expect(texts(page, '.notice-item__corrected')).toEqual(['已更正']);
    expect(exists(page, '.load-more')).toBe(false);

    tap(page, '.type-year');
    await fake.settle();
    expect(fake.requestsTo('GET /api/v1/notices')[2].query).toEqual({
      limit: '20',
      period_type: 'year',
    });

    tapNth(page, '.notice-item', 0);
    await fake.settle();
    expect(fake.navigations.pop().url).toBe('/pages/notice/index?id=1');
  });

  test('no notice yet says so; a refusal shows why and 点此重试 loads again', async () => {
    const empty = await open('notices', { 'GET /api/v1/notices': 'notices_empty' });
    expect(text(empty.page, '.notices-empty')).toBe('还没有发布公示');

    const fake = serveDemo(installFakeWx());
    fake.once('GET /api/v1/notices', 'notices_not_member');
    const page = renderPage('notices');
    await fake.settle();
    expect(text(page, '.list-error')).toBe('请先加入社区，点此重试');
    tap(page, '.list-error');
    await fake.settle();
    expect(texts(page, '.notice-item__title')).toHaveLength(2);
  });

  test('the ranking page leads to it', async () => {
    const { fake, page } = await open('rankings');
    tap(page, '.notices-entry');
    await fake.settle();
    expect(fake.navigations.pop().url).toBe('/pages/notices/index');
  });
});

describe('one notice', () => {
  test('title, community and period; tabs per kind with masked names', async () => {
    const { fake, page } = await open('notice', {}, { id: '1' });
    expect(fake.requestsTo('GET /api/v1/notices/{notice_id}')[0].query).toEqual({ limit: '100' });
    expect(text(page, '.notice-title')).toBe('2026年11月 红色积分公示');
    expect(text(page, '.notice-meta')).toBe('幸福里社区 · 2026年11月 · 2026-12-01 发布');
    expect(texts(page, '.rank__name')).toEqual(['1. 刘*', '2. 陈*', '2. 张*明']);
    expect(texts(page, '.rank__points')).toEqual(['50 分', '30 分', '30 分']);
    expect(exists(page, '.stars')).toBe(false);
    tap(page, '.kind-organisation');
    await fake.settle();
    expect(texts(page, '.rank__name')).toEqual(['1. 幸福路小学']);
    tap(page, '.kind-merchant');
    await fake.settle();
    expect(text(page, '.notice-empty')).toBe('本期暂无积分记录');
    expect(screenText(page)).not.toMatch(/刘洋|张伟明/);
  });

  test('a corrected notice links to its correction, and the correction back', async () => {
    const { fake, page } = await open('notice', {}, { id: '1' });
    expect(text(page, '.corrected-banner')).toBe(
      '本公示已更正查看「2026年11月 红色积分公示（更正）」'
    );
    tap(page, '.corrected-banner');
    await fake.settle();
    expect(fake.navigations.pop().url).toBe('/pages/notice/index?id=4');

    const correction = await open('notice', { 'GET /api/v1/notices/{notice_id}': 'notice_correction' }, { id: '4' });
    expect(text(correction.page, '.correction-banner')).toBe(
      '本公示更正「2026年11月 红色积分公示」：刘洋的一条积分记错，已冲正查看原公示'
    );
    expect(exists(correction.page, '.corrected-banner')).toBe(false);
    tap(correction.page, '.correction-banner');
    await correction.fake.settle();
    expect(correction.fake.navigations.pop().url).toBe('/pages/notice/index?id=1');
  });

  test('a yearly notice names the 积分之星 of each kind', async () => {
    const { page } = await open('notice', { 'GET /api/v1/notices/{notice_id}': 'notice_year' }, { id: '3' });
    expect(texts(page, '.star__name')).toEqual(['个人：杨*', '驻区单位：幸福路小学', '网格员：陈*强']);
    expect(texts(page, '.star__points')).toEqual(['100 分', '60 分', '20 分']);
  });

  test('another community\'s notice is not found, and 重试 asks again', async () => {
    const fake = serveDemo(installFakeWx());
    fake.once('GET /api/v1/notices/{notice_id}', 'notice_not_found');
    const page = renderPage('notice', { query: { id: '99' } });
    await fake.settle();
    expect(screenText(page)).toMatch('公示不存在');
    expect(exists(page, '.notice-title')).toBe(false);
    page.instance.onRetry();
    await fake.settle();
    expect(text(page, '.notice-title')).toBe('2026年11月 红色积分公示');
  });
});
