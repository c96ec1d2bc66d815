// 编辑资料 (头像昵称填写): choose an avatar (uploaded, then saved as the upload's url), edit
// the nickname, 422s beside their fields, the privacy guide first; 我的 shows the result.

const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { renderPage, text, exists, tap, find } = require('../helpers/page');
const profile = require('../../utils/profile');
const avatar = require('../../utils/avatar');

const PATCH = 'PATCH /api/v1/me';
const UPLOAD = 'POST /api/v1/uploads';
const DOWNLOAD = 'GET /api/v1/uploads/{upload_id}';

async function open(extra, { agreed = true } = {}) {
  avatar.clear();
  const fake = serveDemo(installFakeWx(), extra);
  fake.on('GET /api/v1/acts-on-behalf', 'acts_not_holder');
  fake.privacyAgreed = agreed;
  const page = renderPage('profile-edit');
  await fake.settle();
  return { fake, page };
}

// An attribute as the template set it (miniprogram-simulate keeps them in toJSON()).
function attr(page, selector, name) {
  const found = find(page, selector).toJSON().attrs.find((a) => a.name === name);
  return found ? found.value : undefined;
}

async function chooseAvatar(page, fake, path = 'wxfile://tmp/avatar.jpg') {
  find(page, '.avatar-btn').dispatchEvent('chooseavatar', {
    detail: { avatarUrl: path, errMsg: 'chooseAvatar:ok' },
  });
  await fake.settle();
}

test('a chosen avatar is uploaded, then saved as its url; the cached profile is updated', async () => {
  const { fake, page } = await open({ [PATCH]: 'me_patched_avatar' });
  expect(attr(page, '.nickname-input', 'type')).toBe('nickname');
  expect(attr(page, '.avatar-btn', 'openType')).toBe('chooseAvatar');
  expect(text(page, '.avatar--text')).toBe('张');

  await chooseAvatar(page, fake);
  const sent = fake.requestsTo(UPLOAD)[0];
  expect(sent.filePath).toBe('wxfile://tmp/avatar.jpg');
  expect(sent.query).toEqual({ purpose: 'avatar' }); // no community needed, stored small
  expect(attr(page, '.avatar', 'src')).toBe('wxfile://tmp/avatar.jpg');

  tap(page, '.save-btn');
  await fake.settle();
  expect(fake.requestsTo(PATCH)[0].data).toEqual({ avatar_url: '/api/v1/uploads/301' });
  expect(fake.lastToast()).toEqual({ title: '已保存', icon: 'success', duration: undefined });
  expect(fake.navigations.pop()).toEqual({ type: 'navigateBack', delta: 1 });
  expect((await profile.get()).avatar_url).toBe('/api/v1/uploads/301');
  // The file just chosen is shown on 我的 without downloading it again.
  expect(await avatar.avatarPath('/api/v1/uploads/301')).toBe('wxfile://tmp/avatar.jpg');
  expect(fake.requestsTo(DOWNLOAD)).toHaveLength(0);
});

test('the nickname goes trimmed; its 422 shows beside it and nothing is left half-saved', async () => {
  const { fake, page } = await open({ [PATCH]: 'me_patch_nickname_invalid' });
  find(page, '.nickname-input').dispatchEvent('input', { detail: { value: ' 小红 ' } });
  tap(page, '.save-btn');
  await fake.settle();
  expect(fake.requestsTo(PATCH)[0].data).toEqual({ nickname: '小红' });
  expect(text(page, '.error-nickname')).toBe('长度应在 1 到 32 之间');
  expect(exists(page, '.form-error')).toBe(false);
  expect(fake.navigations).toEqual([]);

  // Typing again clears the message.
  find(page, '.nickname-input').dispatchEvent('input', { detail: { value: '小红红' } });
  await fake.settle();
  expect(exists(page, '.error-nickname')).toBe(false);
});

test("the server's refusal of the avatar shows beside the avatar", async () => {
  const { fake, page } = await open({ [PATCH]: 'me_patch_avatar_invalid' });
  await chooseAvatar(page, fake);
  tap(page, '.save-btn');
  await fake.settle();
  expect(text(page, '.error-avatar_url')).toBe('头像图片不存在或不是您上传的');
  expect(fake.navigations).toEqual([]);
});

test('a failed upload says so beside the avatar and the old avatar is kept', async () => {
  const { fake, page } = await open({ [UPLOAD]: 'upload_too_large' });
  await chooseAvatar(page, fake);
  expect(text(page, '.error-avatar_url')).toBe('图片不能超过 10 MB');
  find(page, '.nickname-input').dispatchEvent('input', { detail: { value: '小红' } });
  fake.on(PATCH, 'me_patched');
  tap(page, '.save-btn');
  await fake.settle();
  expect(fake.requestsTo(PATCH)[0].data).toEqual({ nickname: '小红' });
});

test('nothing changed: 保存 just goes back', async () => {
  const { fake, page } = await open();
  tap(page, '.save-btn');
  await fake.settle();
  expect(fake.requestsTo(PATCH)).toHaveLength(0);
  expect(fake.navigations.pop()).toEqual({ type: 'navigateBack', delta: 1 });
});

describe('the privacy guide before chooseAvatar', () => {
  test('agreeing turns the avatar into the chooseAvatar button', async () => {
    const { fake, page } = await open({}, { agreed: false });
    tap(page, '.avatar-btn--privacy');
    await fake.settle();
    expect(exists(page, '.privacy-guide >>> .privacy__sheet')).toBe(true);
    find(page, '.privacy-guide >>> #agree-btn').dispatchEvent('agreeprivacyauthorization', {});
    await fake.settle();
    expect(exists(page, '.avatar-btn--privacy')).toBe(false);
    expect(attr(page, '.avatar-btn', 'openType')).toBe('chooseAvatar');
  });

  test('refusing uploads nothing and says so beside the avatar', async () => {
    const { fake, page } = await open({}, { agreed: false });
    tap(page, '.avatar-btn--privacy');
    await fake.settle();
    tap(page, '.privacy-guide >>> .privacy__refuse');
    await fake.settle();
    expect(text(page, '.error-avatar_url')).toBe('您未同意隐私保护指引，不能选择头像');
    expect(exists(page, '.avatar-btn--privacy')).toBe(true);
    expect(fake.requestsTo(UPLOAD)).toHaveLength(0);
  });

  test("chooseAvatar refused by WeChat's own privacy check uploads nothing", async () => {
    const { fake, page } = await open();
    find(page, '.avatar-btn').dispatchEvent('chooseavatar', {
      detail: { errMsg: 'chooseAvatar:fail privacy permission is not authorized' },
    });
    await fake.settle();
    expect(text(page, '.error-avatar_url')).toBe('您未同意隐私保护指引，不能选择头像');
    expect(fake.requestsTo(UPLOAD)).toHaveLength(0);
  });
});

describe('我的 header', () => {
  test('shows the uploaded avatar (downloaded with the bearer header) and the nickname', async () => {
    avatar.clear();
    const fake = serveDemo(installFakeWx(), { 'GET /api/v1/me': 'me_avatar' });
    fake.on('GET /api/v1/acts-on-behalf', 'acts_not_holder');
    const page = renderPage('me');
    await fake.settle();
    const download = fake.requestsTo(DOWNLOAD);
    expect(download.map((r) => r.path)).toEqual(['/api/v1/uploads/301']);
    expect(download[0].header.Authorization).toMatch(/^Bearer /);
    expect(attr(page, '.profile__avatar', 'src')).toMatch(/^wxfile:\/\/tmp\//);
    expect(text(page, '.profile__name')).toBe('张晓明');
    expect(text(page, '.profile__nickname')).toBe('昵称 小红');

    tap(page, '.profile');
    await fake.settle();
    expect(fake.navigations.pop()).toEqual({
      type: 'navigateTo',
      url: '/pages/profile-edit/index',
    });
  });
});
