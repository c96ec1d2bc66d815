// 积分: balance (余额, 冻结, 可用), my rank this month, history with reasons (加载更多),
// and the ways to rankings, a new claim and my claims. Offline, the last balance the server
// gave shows, marked 离线 · 更新于 HH:MM (utils/last-balance.js).

const api = require('../../utils/api');
const format = require('../../utils/format');
const { tabPage } = require('../../utils/tab-page');
const { paged, empty } = require('../../utils/paged');
const lastBalance = require('../../utils/last-balance');
const { ledgerView } = require('../../utils/points');

function ledgerOf(component) {
  if (!component._ledger) {
    component._ledger = paged(
      component,
      'ledger',
      (cursor) => api.listLedger({ limit: 20, cursor }),
      ledgerView
    );
  }
  return component._ledger;
}

function balanceView(b) {
  const known = typeof b.year_earned === 'number';
  const year = known ? b.year_earned : '—';
  return { balance: b.balance, held: b.held, available: b.available, year };
}

const page = tabPage({
  data: { balance: null, balanceError: '', offline: '', rank: null, ledger: empty() },
  async onMember() {
    await Promise.all([this.loadBalance(), this.loadRank(), ledgerOf(this).reload()]);
  },
  methods: {
    async loadBalance() {
      try {
        const b = await api.getBalance();
        lastBalance.remember(b);
        this.setData({ balance: balanceView(b), balanceError: '', offline: '' });
      } catch (err) {
        if (!this.showLastKnown(err)) this.setData({ balanceError: api.errorMessage(err) });
      }
    },
    // Offline: the remembered figures instead of an error; false when there are none.
    showLastKnown(err) {
      const last = lastBalance.isOffline(err) && lastBalance.lastKnown();
      if (!last) return false;
      this.setData({ balance: balanceView(last), balanceError: '', offline: last.offline });
      return true;
    },
    async loadRank() {
      try {
        const r = await api.getRankings({ kind: 'person', limit: 1 });
        // Name the period the server ranked (its default, this month), as the rankings page does.
        const periodName = format.periodName(r.period);
        this.setData({
          rank: r.me
            ? { rank: r.me.rank, points: r.me.points, periodName }
            : { rank: 0, periodName },
        });
      } catch (err) {
        // The rank is a nicety: the balance and history still show without it.
        this.setData({ rank: null });
      }
    },
    loadMore() {
      ledgerOf(this).loadMore();
    },
    onReachBottom() {
      ledgerOf(this).loadMore();
    },
    retryLedger() {
      ledgerOf(this).reload();
    },
    retryBalance() {
      this.loadBalance();
    },
    go(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url });
    },
  },
});

// The profile could not be fetched for want of a network: the hero still shows the last
// balance (the page's error, with 重试, stays below it).
const load = page.methods.load;
page.methods.load = async function loadOrLastKnown(options) {
  await load.call(this, options);
  if (this.data.error === api.NETWORK_MESSAGE) this.showLastKnown({ isNetwork: true });
};

Component(page);
