// 我的兑换: my redemptions, newest first; a reserved one opens its QR code.

const api = require('../../utils/api');
const { paged, empty } = require('../../utils/paged');
const { redemptionView } = require('../../utils/rewards');

Component({
  data: { redemptions: empty() },
  methods: {
    onLoad() {
      this.list = paged(
        this,
        'redemptions',
        (cursor) => api.listRedemptions({ limit: 20, cursor }),
        redemptionView
      );
      this.list.reload();
    },
    onShow() {
      // Back from a redemption that was just verified or cancelled.
      if (this.list && this.data.redemptions.loaded) this.list.reload();
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
    open(e) {
      wx.navigateTo({ url: `/pages/redemption/index?id=${e.currentTarget.dataset.id}` });
    },
  },
});
