// 绑定积分卡: someone without a community (the card holder, or family with them) types the
// 8-digit code the community printed; the server moves this WeChat login onto the holder's
// account and answers with its token, which replaces ours. The outcome is a result view, not
// a toast (a toast holds 7 characters).

const api = require('../../utils/api');
const profile = require('../../utils/profile');
const session = require('../../utils/session');

const CODE = /^[0-9]{8}$/;
const CODE_FIELDS = { bind_code_invalid: 'code' };

Component({
  data: { code: '', codeError: '', formError: '', submitting: false, done: null },
  methods: {
    onCode(e) {
      const code = String(e.detail.value || '').replace(/[^0-9]/g, '').slice(0, 8);
      this.setData({ code, codeError: '', formError: '' });
    },
    async submit() {
      if (this.data.submitting) return;
      if (!CODE.test(this.data.code)) {
        this.setData({ codeError: '请输入 8 位数字绑定码' });
        return;
      }
      this.setData({ submitting: true, codeError: '', formError: '' });
      try {
        const result = await api.bindCard(this.data.code);
        // From now on this WeChat is the card holder: their token, their profile.
        session.setToken(result.token, result.expires_in);
        profile.clear();
        this.setData({ code: '', done: { name: '', community: '', available: null } });
        await this.showProfile();
      } catch (err) {
        if (err && err.isNetwork) api.showError(err, { onRetry: () => this.submit() });
        if (CODE_FIELDS[err && err.code]) this.setData({ codeError: api.errorMessage(err) });
        else this.setData({ formError: api.errorMessage(err) });
      } finally {
        this.setData({ submitting: false });
      }
    },
    async showProfile() {
      try {
        const me = await profile.get({ refresh: true });
        this.setData({
          done: {
            name: me.real_name || me.nickname || '',
            community: me.membership ? me.membership.community.name : '',
            available: me.points ? me.points.available : null,
          },
        });
      } catch (err) {
        // Bound all the same; 我的 loads the profile again when shown.
      }
    },
    finish() {
      wx.switchTab({ url: '/pages/me/index' });
    },
  },
});
