// 扫码登录办公台: opened by scanning the code the office console shows (its scene arrives in
// options.scene). It says which browser asks and when, then confirms or cancels; outcomes
// are result views, not toasts (a toast holds 7 characters).

const api = require('../../utils/api');
const format = require('../../utils/format');

const FINAL = {
  confirmed: '已确认登录，请在电脑上继续操作',
  cancelled: '已取消本次登录',
  expired: '二维码已过期，请在电脑上刷新后重新扫码',
};

Component({
  data: { scene: '', loading: true, login: null, result: '', error: '', busy: false },
  methods: {
    onLoad(options) {
      const scene = decodeURIComponent((options && options.scene) || '');
      this.setData({ scene });
      if (!scene) {
        this.setData({ loading: false, error: '二维码无效，请重新扫码' });
        return;
      }
      this.load();
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        this.show(await api.getConsoleLogin(this.data.scene));
      } catch (err) {
        this.setData({ error: api.errorMessage(err) });
      } finally {
        this.setData({ loading: false });
      }
    },
    show(login) {
      this.setData({
        login: {
          browser: login.browser,
          ip: login.ip,
          requestedAt: format.dateTime(login.requested_at),
        },
        result: login.status === 'pending' ? '' : FINAL[login.status] || '',
      });
    },
    async decide(action) {
      if (this.data.busy) return;
      this.setData({ busy: true, error: '' });
      try {
        this.show(await api[action](this.data.scene));
      } catch (err) {
        if (err && err.isNetwork) api.showError(err, { onRetry: () => this.decide(action) });
        else this.setData({ error: api.errorMessage(err) });
      } finally {
        this.setData({ busy: false });
      }
    },
    confirm() {
      this.decide('confirmConsoleLogin');
    },
    cancel() {
      this.decide('cancelConsoleLogin');
    },
    finish() {
      wx.switchTab({ url: '/pages/me/index' });
    },
  },
});
