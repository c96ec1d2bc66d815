// 积分排行: this month, quarter or year; residents, party members, organisations or grid
// workers; my own rank on top.

const api = require('../../utils/api');
const format = require('../../utils/format');
const { paged, empty, listMethods } = require('../../utils/paged');
const { RANKING_KINDS, PERIODS } = require('../../utils/points');

Component({
  data: {
    kinds: RANKING_KINDS,
    periods: PERIODS,
    kind: 'person',
    period: 'month',
    periodLabel: '',
    me: null,
    ranking: empty(),
  },
  methods: Object.assign(listMethods(), {
    onLoad() {
      this.list = paged(
        this,
        'ranking',
        async (cursor) => {
          const page = await api.getRankings({
            kind: this.data.kind,
            period: format.period(this.data.period),
            limit: 50,
            cursor,
          });
          if (!cursor) {
            this.setData({
              me: page.me ? { rank: page.me.rank, points: page.me.points } : null,
              periodLabel: format.periodName(page.period),
            });
          }
          return page;
        },
        (item) => ({ rank: item.rank, name: item.name, points: item.points, isMe: item.is_me })
      );
      this.list.reload();
    },
    setKind(e) {
      this.setData({ kind: e.currentTarget.dataset.key });
      this.list.reload();
    },
    setPeriod(e) {
      this.setData({ period: e.currentTarget.dataset.key });
      this.list.reload();
    },
    openNotices() {
      wx.navigateTo({ url: '/pages/notices/index' });
    },
  }),
});
