// One reward: its picture, what it is, where, its limits; 立即兑换 reserves it (points held,
// stock taken) with a fresh Idempotency-Key per tap, then shows the redemption's QR code. When
// the available points (of the holder, when acting) fall short, 立即兑换 is greyed with 还差 N 分
// (the server still decides on a tap elsewhere: this is the last known balance). With
// ?for=<holder id>&name= staff reserve it for a card holder (代为预约兑换, X-Acting-For); the
// holder then redeems it at the counter with their card, so no QR code follows.

const api = require('../../utils/api');
const subscribe = require('../../utils/subscribe');
const profile = require('../../utils/profile');
const lastBalance = require('../../utils/last-balance');
const { refusalMessage } = require('../../utils/rewards');
const { offerCard, affordability, loadOfferImage } = require('../../utils/offers');
const { actingTarget } = require('../../utils/card-holders');

Component({
  data: {
    id: null,
    loading: true,
    error: '',
    offer: null,
    reserving: false,
    reserveError: '',
    acting: null,
  },
  methods: {
    onLoad(query) {
      subscribe.warm(); // the template ids its tap asks for (asked inside the tap)
      const acting = actingTarget(query);
      this.client = acting ? api.actingFor(acting.id) : api;
      this.setData({ id: Number(query && query.id), acting });
      this.load();
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const [offer, available] = await Promise.all([
          api.getOffer(this.data.id),
          this.loadAvailable(),
        ]);
        this.setData({ loading: false, offer: offerCard(offer, available) });
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
        return;
      }
      await loadOfferImage(this, 'offer');
    },
    // Available points, or null when unknown (nothing is marked then).
    async loadAvailable() {
      try {
        const b = await this.client.getBalance();
        if (!this.data.acting) lastBalance.remember(b);
        return b.available;
      } catch (err) {
        const last = !this.data.acting && lastBalance.isOffline(err) && lastBalance.lastKnown();
        return last ? last.available : null;
      }
    },
    onRetry() {
      this.load();
    },
    reserve() {
      const { offer, acting } = this.data;
      if (this.data.reserving || offer.soldOut || !offer.affordable) return;
      const whose = acting ? `为 ${acting.name} ` : '';
      const what = `使用 ${offer.points} 积分兑换「${offer.title}」？`;
      wx.showModal({
        title: '确认兑换',
        content: `${whose}${what}积分先冻结，到店核销后扣除。`,
        confirmText: '确认兑换',
        success: (res) => {
          // One key per confirmed tap: a silent re-login retry reuses it, a new tap does not.
          if (!res || !res.confirm) return;
          if (!acting) subscribe.ask('reserve'); // verified / about to expire; never holds it
          this.doReserve(api.newIdempotencyKey());
        },
      });
    },
    async doReserve(key) {
      this.setData({ reserving: true, reserveError: '' });
      try {
        const r = await this.client.reserve(this.data.id, key);
        if (this.data.acting) return this.reservedFor(r);
        profile.clear(); // available points changed
        wx.navigateTo({ url: `/pages/redemption/index?id=${r.id}` });
      } catch (err) {
        this.setData({ reserveError: refusalMessage(err) });
        if (err && err.isNetwork) {
          // Same key: if the first request did reserve, the server answers with it again.
          api.showError(err, { onRetry: () => this.doReserve(key) });
        }
        const d = (err && err.details) || {};
        if (err && err.code === 'insufficient_points' && typeof d.available === 'number') {
          const a = affordability(this.data.offer.points, d.available); // the server's figure
          this.setData({ offer: Object.assign({}, this.data.offer, a) });
        }
        if (err && err.code === 'out_of_stock') {
          this.setData({ 'offer.soldOut': true, 'offer.stockLeft': '已兑完' });
        }
      } finally {
        this.setData({ reserving: false });
      }
      return null;
    },
    // A holder has no phone to show a code: they bring their card to the shop.
    reservedFor(r) {
      const { name } = this.data.acting;
      wx.showModal({
        title: '预约成功',
        content:
          `已为 ${name} 预约「${r.offer_title}」。` +
          `请提醒居民带积分卡到${r.merchant_name}刷卡核销。`,
        showCancel: false,
        confirmText: '知道了',
        success: () => wx.navigateBack(),
      });
    },
  },
});
