// 我的兑换: my redemptions, newest first; a reserved one opens its QR code.

const api = require('../../utils/api');
const { paged, empty, listMethods } = require('../../utils/paged');
const { redemptionView } = require('../../utils/rewards');

Component({
  data: { redemptions: empty() },
  methods: Object.assign(listMethods(), {
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
    open(e) {
      wx.navigateTo({ url: `/pages/redemption/index?id=${e.currentTarget.dataset.id}` });
    },
  }),
});
