// 编辑资料: avatar and nickname by WeChat's 头像昵称填写 — <button open-type="chooseAvatar">
// and <input type="nickname">. The chosen avatar is uploaded (POST /uploads) and saved as that
// upload's url with PATCH /me, which accepts only the caller's own upload; a 422 shows beside
// its field. Both are privacy APIs: the 隐私保护指引 is agreed first.

const api = require('../../utils/api');
const profile = require('../../utils/profile');
const privacy = require('../../utils/privacy');
const { avatarPath, remember } = require('../../utils/avatar');
const { formErrors } = require('../../utils/form-errors');

// Codes that are about the avatar, shown beside it.
const AVATAR_CODES = {
  avatar_upload_not_found: 'avatar_url',
  avatar_not_an_upload: 'avatar_url',
  upload_already_attached: 'avatar_url',
};

Component({
  data: {
    loading: true,
    error: '',
    avatarPath: '', // what the avatar shows: the chosen file or the downloaded one
    initial: '',
    nickname: '',
    uploading: false,
    saving: false,
    privacyPending: false,
    errors: {},
    formError: '',
  },
  methods: {
    onLoad() {
      this.load();
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const me = await profile.get();
        this.original = { nickname: me.nickname || '', avatar: me.avatar_url || null };
        this.avatarUrl = this.original.avatar; // what PATCH would send
        const name = me.real_name || me.nickname || '微信用户';
        this.setData({ loading: false, nickname: this.original.nickname, initial: name[0] });
        this.setData({ privacyPending: await privacy.pending() });
        this.setData({ avatarPath: await avatarPath(me.avatar_url) });
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    // While the guide is not agreed the avatar button asks for it first.
    async agreeForAvatar() {
      const agreed = await privacy.ensure();
      this.setData({
        privacyPending: !agreed,
        'errors.avatar_url': agreed ? '' : '您未同意隐私保护指引，不能选择头像',
        formError: '',
      });
      if (agreed) wx.showToast({ title: '请选择头像', icon: 'none' });
    },
    async onChooseAvatar(e) {
      const detail = (e && e.detail) || {};
      if (privacy.isRefusal(detail.errMsg)) {
        this.setData({ privacyPending: true, 'errors.avatar_url': '您未同意隐私保护指引，不能选择头像' });
        return;
      }
      const path = detail.avatarUrl;
      if (!path || this.data.uploading) return;
      this.setData({ avatarPath: path, uploading: true, 'errors.avatar_url': '' });
      try {
        const upload = await api.uploadAvatar(path);
        this.avatarUrl = upload.url;
        remember(upload.url, path);
      } catch (err) {
        this.avatarUrl = this.original.avatar;
        this.setData({ 'errors.avatar_url': api.errorMessage(err) });
      } finally {
        this.setData({ uploading: false });
      }
    },
    onNickname(e) {
      this.setData({ nickname: e.detail.value, 'errors.nickname': '', formError: '' });
    },
    async save() {
      if (this.data.saving || this.data.uploading) return;
      const changes = {};
      const nickname = this.data.nickname.trim();
      if (nickname !== this.original.nickname) changes.nickname = nickname;
      if (this.avatarUrl !== this.original.avatar) changes.avatar_url = this.avatarUrl;
      if (!Object.keys(changes).length) {
        wx.navigateBack({ delta: 1 });
        return;
      }
      this.setData({ saving: true, errors: {}, formError: '' });
      try {
        const me = await api.patchMe(changes);
        profile.set(me);
        wx.showToast({ title: '已保存', icon: 'success' });
        wx.navigateBack({ delta: 1 });
      } catch (err) {
        if (err instanceof api.ApiError && err.isNetwork) {
          api.showError(err, { onRetry: () => this.save() });
        } else {
          const { fields, message } = formErrors(err, AVATAR_CODES);
          this.setData({ errors: fields, formError: message });
        }
      } finally {
        this.setData({ saving: false });
      }
    },
  },
});
