// 积分: balance (余额, 冻结, 可用), my rank this month, history with reasons (加载更多),
// and the ways to rankings, a new claim and my claims.

const api = require('../../utils/api');
const format = require('../../utils/format');
const { tabPage } = require('../../utils/tab-page');
const { paged, empty } = require('../../utils/paged');
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

Component(
  tabPage({
    data: { balance: null, balanceError: '', rank: null, ledger: empty() },
    async onMember() {
      await Promise.all([this.loadBalance(), this.loadRank(), ledgerOf(this).reload()]);
    },
    methods: {
      async loadBalance() {
        try {
          const b = await api.getBalance();
          this.setData({
            balance: {
              balance: b.balance,
              held: b.held,
              available: b.available,
              year: b.year_earned,
            },
            balanceError: '',
          });
        } catch (err) {
          this.setData({ balanceError: api.errorMessage(err) });
        }
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
  })
);
