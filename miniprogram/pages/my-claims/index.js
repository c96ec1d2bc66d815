// 我的申报: my claims, newest first, with their review status and the reviewer's reason; a
// rejected one offers 修改后重新提交 (the claim form, prefilled), and the list reloads on return.

const api = require('../../utils/api');
const { paged, empty, listMethods } = require('../../utils/paged');
const { claimView } = require('../../utils/points');

Component({
  data: { claims: empty() },
  methods: Object.assign(listMethods(), {
    onLoad() {
      this.list = paged(
        this,
        'claims',
        (cursor) => api.listClaims({ scope: 'mine', limit: 20, cursor }),
        claimView
      );
      this.list.reload();
    },
    onShow() {
      if (!this.reloadOnShow) return;
      this.reloadOnShow = false;
      this.list.reload();
    },
    newClaim() {
      wx.navigateTo({ url: '/pages/claim-form/index' });
    },
    resubmit(e) {
      this.reloadOnShow = true;
      wx.navigateTo({ url: `/pages/claim-form/index?resubmit=${e.currentTarget.dataset.id}` });
    },
  }),
});
