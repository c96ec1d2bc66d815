// 我的申报: my claims, newest first, with their review status and the reviewer's reason.

const api = require('../../utils/api');
const { paged, empty } = require('../../utils/paged');
const { claimView } = require('../../utils/points');

Component({
  data: { claims: empty() },
  methods: {
    onLoad() {
      this.list = paged(
        this,
        'claims',
        (cursor) => api.listClaims({ scope: 'mine', limit: 20, cursor }),
        claimView
      );
      this.list.reload();
    },
    async onPullDownRefresh() {
      await this.list.reload();
      wx.stopPullDownRefresh();
    },
    loadMore() {
      this.list.loadMore();
    },
    onReachBottom() {
      this.list.loadMore();
    },
    retry() {
      this.list.reload();
    },
    newClaim() {
      wx.navigateTo({ url: '/pages/claim-form/index' });
    },
  },
});
