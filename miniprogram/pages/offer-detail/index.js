// One reward: what it is, where, its limits; 立即兑换 reserves it (points held, stock
// taken) with a fresh Idempotency-Key per tap, then shows the redemption's QR code.

const api = require('../../utils/api');
const profile = require('../../utils/profile');
const { offerView, refusalMessage } = require('../../utils/rewards');

Component({
  data: { id: null, loading: true, error: '', offer: null, reserving: false, reserveError: '' },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) });
      this.load();
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const offer = await api.getOffer(this.data.id);
        this.setData({ loading: false, offer: offerView(offer) });
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    reserve() {
      const { offer } = this.data;
      if (this.data.reserving || offer.soldOut) return;
      wx.showModal({
        title: '确认兑换',
        content: `使用 ${offer.points} 积分兑换「${offer.title}」？积分先冻结，到店核销后扣除。`,
        confirmText: '确认兑换',
        success: (res) => {
          // One key per confirmed tap: a silent re-login retry reuses it, a new tap does not.
          if (res && res.confirm) this.doReserve(api.newIdempotencyKey());
        },
      });
    },
    async doReserve(key) {
      this.setData({ reserving: true, reserveError: '' });
      try {
        const r = await api.reserve(this.data.id, key);
        profile.clear(); // available points changed
        wx.navigateTo({ url: `/pages/redemption/index?id=${r.id}` });
      } catch (err) {
        this.setData({ reserveError: refusalMessage(err) });
        if (err && err.isNetwork) {
          // Same key: if the first request did reserve, the server answers with it again.
          api.showError(err, { onRetry: () => this.doReserve(key) });
        }
        if (err && err.code === 'out_of_stock') {
          this.setData({ 'offer.soldOut': true, 'offer.stockText': '已兑完' });
        }
      } finally {
        this.setData({ reserving: false });
      }
    },
  },
});
