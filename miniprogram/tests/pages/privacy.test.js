// 隐私保护指引: before 绑定手机号 and before choosing photos the user reads the guide and agrees
// (WeChat's requirePrivacyAuthorize / onNeedPrivacyAuthorization flow); refusing binds and
// uploads nothing and says so; without the APIs (base library < 2.32.3) nothing changes.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, exists, tap, find } = require('../helpers/page');
const { PHOTO_REFUSED } = require('../../utils/photo-upload');

const GUIDE = '.privacy-guide >>> .privacy__sheet';
const AGREE = '.privacy-guide >>> #agree-btn';
const PHONE = 'POST /api/v1/auth/phone';
const UPLOAD = 'POST /api/v1/uploads';

async function open(name, { agreed = false, extra, query } = {}) {
  const fake = serveDemo(installFakeWx(), Object.assign({ [PHONE]: 'auth_phone_bound' }, extra));
  fake.on('GET /api/v1/acts-on-behalf', 'acts_not_holder');
  fake.privacyAgreed = agreed;
  const page = renderPage(name, { query });
  await fake.settle();
  return { fake, page };
}

async function agree(page, fake) {
  find(page, AGREE).dispatchEvent('agreeprivacyauthorization', { detail: {} });
  await fake.settle();
}

function withoutPrivacyApis() {
  delete wx.requirePrivacyAuthorize;
  delete wx.onNeedPrivacyAuthorization;
  delete wx.getPrivacySetting;
}

describe('绑定手机号', () => {
  test('asks for the guide first; agreeing turns the button into getPhoneNumber', async () => {
    const { fake, page } = await open('me');
    expect(exists(page, GUIDE)).toBe(false);
    expect(exists(page, '.bind-phone--privacy')).toBe(true);

    tap(page, '.bind-phone--privacy');
    await fake.settle();
    expect(fake.privacyRequests).toBe(1);
    expect(text(page, GUIDE)).toContain('《红色积分小程序隐私保护指引》');
    expect(fake.privacyAnswers).toEqual([{ event: 'exposureAuthorization' }]);

    tap(page, '.privacy-guide >>> .privacy__open');
    await fake.settle();
    expect(fake.contractsOpened).toBe(1);

    await agree(page, fake);
    expect(fake.privacyAnswers[1]).toEqual({ buttonId: 'agree-btn', event: 'agree' });
    expect(exists(page, GUIDE)).toBe(false);
    expect(text(page, '.phone-note')).toContain('请再点一次绑定手机号');
    expect(exists(page, '.bind-phone--privacy')).toBe(false);
    expect(fake.requestsTo(PHONE)).toHaveLength(0); // agreeing alone binds nothing

    find(page, '.bind-phone').dispatchEvent('getphonenumber', {
      detail: { code: 'phone-code-1', errMsg: 'getPhoneNumber:ok' },
    });
    await fake.settle();
    expect(fake.requestsTo(PHONE)[0].data).toEqual({ code: 'phone-code-1' });
    expect(text(page, '.profile__phone')).toBe('手机号 138****8000');
  });

  test('拒绝 keeps the user on the page, says so, and binds nothing', async () => {
    const { fake, page } = await open('me');
    tap(page, '.bind-phone--privacy');
    await fake.settle();
    tap(page, '.privacy-guide >>> .privacy__refuse');
    await fake.settle();
    expect(fake.privacyAnswers.pop()).toEqual({ event: 'disagree' });
    expect(exists(page, GUIDE)).toBe(false);
    expect(text(page, '.phone-error')).toBe('您未同意隐私保护指引，手机号未绑定');
    expect(exists(page, '.bind-phone--privacy')).toBe(true); // can ask again
    expect(fake.requestsTo(PHONE)).toHaveLength(0);
    expect(fake.navigations).toEqual([]);
  });

  test("getPhoneNumber refused for privacy (WeChat's own check) binds nothing", async () => {
    const { fake, page } = await open('me', {
      agreed: true,
      // Even the local server's dev phone code must not be sent after a refusal.
    });
    find(page, '.bind-phone').dispatchEvent('getphonenumber', {
      detail: { errMsg: 'getPhoneNumber:fail privacy permission is not authorized' },
    });
    await fake.settle();
    expect(text(page, '.phone-error')).toBe('您未同意隐私保护指引，手机号未绑定');
    expect(fake.requestsTo(PHONE)).toHaveLength(0);
  });

  test('someone who agreed before goes straight to getPhoneNumber', async () => {
    const { fake, page } = await open('me', { agreed: true });
    expect(exists(page, '.bind-phone--privacy')).toBe(false);
    expect(exists(page, '.bind-phone')).toBe(true);
    expect(fake.privacyRequests).toBe(0);
  });

  test('an old base library without the privacy APIs binds as before', async () => {
    const fake = serveDemo(installFakeWx(), { [PHONE]: 'auth_phone_bound' });
    fake.on('GET /api/v1/acts-on-behalf', 'acts_not_holder');
    withoutPrivacyApis();
    const page = renderPage('me');
    await fake.settle();
    expect(exists(page, '.bind-phone--privacy')).toBe(false);
    find(page, '.bind-phone').dispatchEvent('getphonenumber', {
      detail: { code: 'phone-code-2', errMsg: 'getPhoneNumber:ok' },
    });
    await fake.settle();
    expect(fake.requestsTo(PHONE)).toHaveLength(1);
  });
});

test('我的 offers the guide while it is not agreed, and hides it once agreed', async () => {
  const { fake, page } = await open('me');
  tap(page, '.privacy-entry__cell');
  await fake.settle();
  await agree(page, fake);
  expect(exists(page, '.privacy-entry')).toBe(false);
  expect(fake.lastToast()).toEqual({ title: '已同意', icon: 'success', duration: undefined });
});

describe('photos (utils/photo-upload.js)', () => {
  test('agreeing lets the photo be picked and uploaded', async () => {
    const { fake, page } = await open('report-form');
    fake.media = [{ tempFilePath: 'wxfile://tmp/a.jpg', size: 1000 }];
    tap(page, '.add-photo');
    await fake.settle();
    expect(text(page, GUIDE)).toContain('隐私保护提示');
    expect(fake.requestsTo(UPLOAD)).toHaveLength(0);
    await agree(page, fake);
    expect(fake.requestsTo(UPLOAD)).toHaveLength(1);
    expect(page.instance.data.photos.map((p) => p.id)).toEqual([301]);
    expect(exists(page, '.error-photo_ids')).toBe(false);

    // Agreed once: the next photo needs no guide.
    tap(page, '.add-photo');
    await fake.settle();
    expect(exists(page, GUIDE)).toBe(false);
    expect(fake.requestsTo(UPLOAD)).toHaveLength(2);
  });

  test('refusing picks and uploads nothing and says so beside the photos', async () => {
    const { fake, page } = await open('wish-form');
    fake.media = [{ tempFilePath: 'wxfile://tmp/a.jpg', size: 1000 }];
    tap(page, '.add-photo');
    await fake.settle();
    tap(page, '.privacy-guide >>> .privacy__refuse');
    await fake.settle();
    expect(text(page, '.error-photo_ids')).toBe(PHOTO_REFUSED);
    expect(fake.privacyBlocked).toBeUndefined(); // wx.chooseMedia was never called
    expect(fake.requestsTo(UPLOAD)).toHaveLength(0);
    expect(page.instance.data.photos).toEqual([]);
  });

  test('申报积分 asks the guide too: refusing uploads nothing', async () => {
    const { fake, page } = await open('claim-form');
    fake.media = [{ tempFilePath: 'wxfile://tmp/a.jpg', size: 1000 }];
    tap(page, '.add-photo');
    await fake.settle();
    expect(text(page, GUIDE)).toContain('隐私保护提示');
    tap(page, '.privacy-guide >>> .privacy__refuse');
    await fake.settle();
    expect(text(page, '.error-photo_ids')).toBe(PHOTO_REFUSED);
    expect(fake.requestsTo(UPLOAD)).toHaveLength(0);
    tap(page, '.add-photo');
    await fake.settle();
    await agree(page, fake);
    expect(fake.requestsTo(UPLOAD)).toHaveLength(1);
  });

  test('without a guide on screen the request is refused with a way to agree, never hangs', async () => {
    const fake = installFakeWx();
    fake.privacyAgreed = false;
    const privacy = require('../../utils/privacy');
    const answer = privacy.ensure();
    await fake.settle();
    expect(await answer).toBe(false);
    expect(fake.privacyAnswers).toEqual([{ event: 'disagree' }]);
    expect(fake.modals.pop().content).toContain('「我的」页阅读并同意隐私保护指引');
  });

  test('an old base library without the privacy APIs picks photos as before', async () => {
    const fake = serveDemo(installFakeWx());
    withoutPrivacyApis();
    const page = renderPage('report-form');
    await fake.settle();
    fake.media = [{ tempFilePath: 'wxfile://tmp/a.jpg', size: 1000 }];
    tap(page, '.add-photo');
    await fake.settle();
    expect(fake.requestsTo(UPLOAD)).toHaveLength(1);
  });
});
