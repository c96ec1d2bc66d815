// 兑换 and the offer page: pictures (an upload fetched with the bearer header, a plain https
// picture as is, a placeholder when none) and 还差 N 分 on what the available points do not
// cover yet — still listed, 立即兑换 greyed with the reason.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, texts, exists, tap, queryAll } = require('../helpers/page');
const offers = require('../../utils/offers');
const meResident = require('../fixtures/me_resident.json');
const balance = require('../fixtures/balance.json');

const UPLOAD = 'GET /api/v1/uploads/{upload_id}';

async function open(name, extra, query) {
  const fake = serveDemo(installFakeWx(), extra);
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

function meWith(available) {
  const points = { balance: available + 5, held: 5, available };
  return { status: 200, body: Object.assign({}, meResident.body, { points }) };
}

function balanceOf(available) {
  return { status: 200, body: Object.assign({}, balance.body, { available }) };
}

describe('offer helpers', () => {
  test('upload URLs on any host are recognised; other pictures are shown as they are', () => {
    expect(offers.uploadIdOf('https://rp.example.cn/api/v1/uploads/401')).toBe(401);
    expect(offers.uploadIdOf('/api/v1/uploads/7?x=1')).toBe(7);
    expect(offers.uploadIdOf('https://img.example.cn/uploads/401.jpg')).toBeNull();
    expect(offers.imageSlot(null)).toEqual({ imageSrc: '', imageUpload: null, noImage: true });
    expect(offers.imageSlot('https://img.example.cn/a.jpg')).toEqual({
      imageSrc: 'https://img.example.cn/a.jpg',
      imageUpload: null,
      noImage: false,
    });
  });

  test.each([
    [20, 100, true, ''],
    [20, 20, true, ''],
    [50, 30, false, '还差 20 分'],
    [50, 0, false, '还差 50 分'],
    [50, null, true, ''], // unknown balance: nothing marked
  ])('cost %d, available %p', (cost, available, affordable, shortText) => {
    expect(offers.affordability(cost, available)).toMatchObject({ affordable, shortText });
  });
});

describe('兑换 tab', () => {
  test('pictures: an upload downloaded with the bearer header, a link, a placeholder', async () => {
    const { fake, page } = await open('rewards');
    const downloads = fake.requestsTo(UPLOAD);
    expect(downloads).toHaveLength(1);
    expect(downloads[0].url).toMatch(/\/api\/v1\/uploads\/401$/);
    expect(downloads[0].header.Authorization).toMatch(/^Bearer /);
    const cards = page.instance.data.offers.items;
    expect(cards[0].imageSrc).toMatch(/^wxfile:\/\/tmp\/download-/);
    expect(cards[1]).toMatchObject({ imageSrc: '', noImage: true });
    expect(queryAll(page, '.offer__photo')).toHaveLength(1);
    expect(text(page, '.offer__image--none')).toBe('暂无图片');

    fake.on('GET /api/v1/offers', 'offers_page2');
    tap(page, '.load-more');
    await fake.settle();
    expect(page.instance.data.offers.items[2].imageSrc).toBe(
      'https://img.example.cn/offers/detergent.jpg'
    );
    expect(fake.requestsTo(UPLOAD)).toHaveLength(1); // a plain link is not downloaded
  });

  test('a picture that fails to download shows the placeholder', async () => {
    const { page } = await open('rewards', {
      [UPLOAD]: {
        status: 404,
        body: { error: { code: 'upload_not_found', message: '图片不存在', details: {} } },
      },
    });
    expect(texts(page, '.offer__image--none')).toEqual(['暂无图片', '暂无图片']);
  });

  test('what the available points do not cover says 还差 N 分 and stays listed', async () => {
    const { page } = await open('rewards', { 'GET /api/v1/me': meWith(30) });
    expect(text(page, '.available')).toBe('30');
    expect(texts(page, '.offer__title')).toEqual(['理发券', '大米 5 斤']);
    expect(texts(page, '.offer__short')).toEqual(['还差 20 分']);
    const cards = queryAll(page, '.offer');
    expect(cards[0].dom.className).not.toMatch(/offer--short/);
    expect(cards[1].dom.className).toMatch(/offer--short/);
  });
});

describe('offer page', () => {
  test('its picture is downloaded with the bearer header', async () => {
    const { fake, page } = await open('offer-detail', {}, { id: '21' });
    expect(fake.requestsTo(UPLOAD)[0].header.Authorization).toMatch(/^Bearer /);
    expect(page.instance.data.offer.imageSrc).toMatch(/^wxfile:\/\/tmp\/download-/);
    expect(exists(page, '.offer-photo')).toBe(true);
    expect(exists(page, '.short-note')).toBe(false);
    expect(find_(page, '.reserve-btn')).not.toMatch(/btn--disabled/);
  });

  test('no picture: the placeholder', async () => {
    const detail = require('../fixtures/offer_detail.json');
    const body = Object.assign({}, detail.body, { image_url: null });
    const { fake, page } = await open('offer-detail', {
      'GET /api/v1/offers/{offer_id}': { status: 200, body },
    }, { id: '21' });
    expect(text(page, '.offer-image--none')).toBe('暂无图片');
    expect(fake.requestsTo(UPLOAD)).toHaveLength(0);
  });

  test('short of points: 立即兑换 greyed with the reason, and a tap reserves nothing', async () => {
    const { fake, page } = await open(
      'offer-detail',
      { 'GET /api/v1/points/balance': balanceOf(12) },
      { id: '21' }
    );
    expect(text(page, '.short-note')).toBe('积分不足，还差 8 分，可以先去参加活动、申报积分');
    expect(find_(page, '.reserve-btn')).toMatch(/btn--disabled/);
    expect(text(page, '.reserve-btn')).toBe('立即兑换');
    tap(page, '.reserve-btn');
    await fake.settle();
    expect(fake.modals).toEqual([]);
    expect(fake.requestsTo('POST /api/v1/redemptions')).toHaveLength(0);
  });

  test('the balance unknown (no network, nothing remembered): nothing is marked, the server decides', async () => {
    const { fake, page } = await open(
      'offer-detail',
      {
        'GET /api/v1/points/balance': { network: true },
        'POST /api/v1/redemptions': 'reserve_insufficient',
      },
      { id: '21' }
    );
    expect(exists(page, '.short-note')).toBe(false);
    tap(page, '.reserve-btn');
    await fake.settle();
    expect(fake.requestsTo('POST /api/v1/redemptions')).toHaveLength(1);
    // The server's refusal carries the figures: the page now knows and greys the button.
    expect(text(page, '.reserve-error')).toBe('可用积分不足：需要 20 分，当前可用 5 分');
    expect(page.instance.data.offer).toMatchObject({ affordable: false, shortText: '还差 15 分' });
    expect(find_(page, '.reserve-btn')).toMatch(/btn--disabled/);
  });

  test('for a card holder the holder\'s balance decides (X-Acting-For)', async () => {
    const { fake, page } = await open(
      'offer-detail',
      { 'GET /api/v1/me': 'me_grid_worker', 'GET /api/v1/points/balance': balanceOf(3) },
      { id: '21', for: '41', name: '%E9%83%AD*%E5%85%B0' }
    );
    const asked = fake.requestsTo('GET /api/v1/points/balance')[0];
    expect(asked.header['X-Acting-For']).toBe('41');
    expect(text(page, '.short-note')).toBe('积分不足，还差 17 分，可以先去参加活动、申报积分');
  });
});

function find_(page, selector) {
  return queryAll(page, selector)[0].dom.className;
}
