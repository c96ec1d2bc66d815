// 兑换: whether reserving is open now (一季一兑换), and the rewards of my community with their
// pictures and 加载更多; what my available points do not cover yet says 还差 N 分 (still
// listed); a reward opens its page. Offline, the last known available points show.

const api = require('../../utils/api');
const format = require('../../utils/format');
const lastBalance = require('../../utils/last-balance');
const { tabPage } = require('../../utils/tab-page');
const { paged, empty } = require('../../utils/paged');
const { offerCard, loadOfferImages } = require('../../utils/offers');

function offersOf(component) {
  if (!component._offers) {
    component._offers = paged(
      component,
      'offers',
      (cursor) => api.listOffers({ limit: 20, cursor }),
      (o) => offerCard(o, component.data.available)
    );
  }
  return component._offers;
}

const page = tabPage({
  data: { window: null, available: null, offline: '', offers: empty() },
  async onMember(me) {
    lastBalance.remember(me.points);
    this.setData({ available: me.points ? me.points.available : null, offline: '' });
    await Promise.all([this.loadWindow(), this.loadOffers()]);
  },
  methods: {
    async loadOffers() {
      await offersOf(this).reload();
      await loadOfferImages(this, 'offers');
    },
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
    async loadMore() {
      await offersOf(this).loadMore();
      await loadOfferImages(this, 'offers');
    },
    onReachBottom() {
      this.loadMore();
    },
    retryOffers() {
      this.loadOffers();
    },
    openOffer(e) {
      wx.navigateTo({ url: `/pages/offer-detail/index?id=${e.currentTarget.dataset.id}` });
    },
    goMine() {
      wx.navigateTo({ url: '/pages/my-redemptions/index' });
    },
  },
});

// The profile could not be fetched for want of a network: show the last available points.
const load = page.methods.load;
page.methods.load = async function loadOrLastKnown(options) {
  await load.call(this, options);
  if (this.data.error !== api.NETWORK_MESSAGE) return;
  const last = lastBalance.lastKnown();
  if (last) this.setData({ available: last.available, offline: last.offline });
};

Component(page);
