// 我的数据与注销 (PIPL): 导出我的数据 fetches the caller's own data as an xlsx (one sheet per
// kind of record) with the bearer header, saves it and sends it to a chat or opens it; 注销账号
// explains what is erased and what is kept, takes the typed phrase and one more confirmation,
// then forgets this phone's session. What may be deleted is the server's decision (staff are
// asked to hand their roles over first): its refusal is shown as it says it.

const api = require('../../utils/api');
const documents = require('../../utils/documents');
const lastBalance = require('../../utils/last-balance');
const profile = require('../../utils/profile');
const session = require('../../utils/session');
const { CONFIRM_PHRASE } = require('../../utils/privacy-api');

const EXPORTED = { shared: '已发送', opened: '已打开' };

Component({
  data: {
    phrase: CONFIRM_PHRASE,
    exporting: false,
    exportError: '',
    confirmText: '',
    deleting: false,
    deleteError: '',
    deleted: null,
  },
  methods: {
    async exportData() {
      if (this.data.exporting) return;
      this.setData({ exporting: true, exportError: '' });
      try {
        const bytes = await api.getMyDataXlsx();
        const filePath = `${wx.env.USER_DATA_PATH}/my-data.xlsx`;
        await documents.save(filePath, bytes);
        const how = await documents.shareOrOpen(filePath, '我的数据.xlsx', 'xlsx');
        if (EXPORTED[how]) wx.showToast({ title: EXPORTED[how], icon: 'success' });
      } catch (err) {
        if (err && err.isNetwork) api.showError(err, { onRetry: () => this.exportData() });
        else this.setData({ exportError: api.errorMessage(err) });
      } finally {
        this.setData({ exporting: false });
      }
    },
    onConfirmText(e) {
      this.setData({ confirmText: String(e.detail.value || '').trim(), deleteError: '' });
    },
    askDelete() {
      if (this.data.deleting || this.data.confirmText !== CONFIRM_PHRASE) return;
      wx.showModal({
        title: '确定注销账号？',
        content: '注销后无法恢复，个人信息和照片将被删除，积分不能再使用。',
        confirmText: '确定注销',
        confirmColor: '#C8102E',
        success: (res) => {
          if (res.confirm) this.deleteAccount();
        },
      });
    },
    async deleteAccount() {
      this.setData({ deleting: true, deleteError: '' });
      try {
        const result = await api.deleteAccount(this.data.confirmText);
        // The old token is refused from now on: forget it and everything kept for it.
        session.clearToken();
        profile.clear();
        wx.removeStorageSync(lastBalance.KEY);
        this.setData({ deleted: result, confirmText: '' });
      } catch (err) {
        if (err && err.isNetwork) api.showError(err, { onRetry: () => this.deleteAccount() });
        else this.setData({ deleteError: api.errorMessage(err) });
      } finally {
        this.setData({ deleting: false });
      }
    },
    finish() {
      wx.switchTab({ url: '/pages/tasks/index' });
    },
  },
});
