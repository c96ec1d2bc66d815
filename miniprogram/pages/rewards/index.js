// 兑换: whether reserving is open now (一季一兑换), and the rewards of my community with
// 加载更多; a reward opens its page.

const api = require('../../utils/api');
const format = require('../../utils/format');
const { tabPage } = require('../../utils/tab-page');
const { paged, empty } = require('../../utils/paged');
const { offerView } = require('../../utils/rewards');

function offersOf(component) {
  if (!component._offers) {
    component._offers = paged(
      component,
      'offers',
      (cursor) => api.listOffers({ limit: 20, cursor }),
      offerView
    );
  }
  return component._offers;
}

Component(
  tabPage({
    data: { window: null, available: null, offers: empty() },
    async onMember(me) {
      this.setData({ available: me.points ? me.points.available : null });
      await Promise.all([this.loadWindow(), offersOf(this).reload()]);
    },
    methods: {
      async loadWindow() {
        try {
          const w = await api.getRedemptionWindow();
          let text = '';
          if (!w.open) {
            text = w.next_opens_on
              ? `当前不在兑换时间内，下次开放：${format.date(w.next_opens_on)}`
              : '当前不在兑换时间内，请留意社区通知';
          } else if (w.current) {
            text = `兑换开放中，截至 ${format.date(w.current.ends_on)}`;
          }
          this.setData({ window: { open: w.open, text } });
        } catch (err) {
          this.setData({ window: null });
        }
      },
      loadMore() {
        offersOf(this).loadMore();
      },
      onReachBottom() {
        offersOf(this).loadMore();
      },
      retryOffers() {
        offersOf(this).reload();
      },
      openOffer(e) {
        wx.navigateTo({ url: `/pages/offer-detail/index?id=${e.currentTarget.dataset.id}` });
      },
      goMine() {
        wx.navigateTo({ url: '/pages/my-redemptions/index' });
      },
    },
  })
);
