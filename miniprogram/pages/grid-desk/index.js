// 网格工作台 (grid workers): this month's performance, 登记服务, 代办 for card holders, and
// the grid's report queue with overdue marks; a report opens with the handler's steps.

const api = require('../../utils/api');
const format = require('../../utils/format');
const { empty, listMethods } = require('../../utils/paged');
const { filteredReports } = require('../../utils/report-lists');

const FILTERS = [
  { key: 'open', name: '待处理', query: { open_only: true } },
  { key: 'overdue', name: '已超时', query: { open_only: true, overdue: true } },
  { key: 'all', name: '全部', query: {} },
];

function performanceView(p) {
  return {
    month: p.month,
    logs: p.logs,
    pending: p.pending_logs,
    hours: format.hours(p.hours),
    points: p.points,
    residents: p.residents_reached,
    kinds: p.kinds.map((k) => `${k.name} ${k.count} 次`).join('，'),
    closed: p.reports_closed,
    rating: p.average_rating === null ? '暂无' : p.average_rating.toFixed(1),
  };
}

Component({
  data: {
    filters: FILTERS,
    filter: 'open',
    perf: null,
    perfError: '',
    queue: empty(),
  },
  methods: Object.assign(listMethods(), {
    onLoad() {
      this.list = filteredReports(this, 'grid', FILTERS);
      this.refresh();
    },
    onShow() {
      if (this.list && this.data.queue.loaded) this.refresh();
    },
    // Not listMethods' own: the figures above the list reload with it.
    async onPullDownRefresh() {
      await this.refresh();
      wx.stopPullDownRefresh();
    },
    refresh() {
      return Promise.all([this.loadPerformance(), this.list.reload()]);
    },
    async loadPerformance() {
      this.setData({ perfError: '' });
      try {
        const perf = await api.getMyPerformance({ month: format.thisMonth() });
        this.setData({ perf: performanceView(perf) });
      } catch (err) {
        this.setData({ perfError: api.errorMessage(err) });
      }
    },
    setFilter(e) {
      const { key } = e.currentTarget.dataset;
      if (key === this.data.filter) return;
      this.setData({ filter: key });
      this.list.reload();
    },
    open(e) {
      const { id } = e.currentTarget.dataset;
      wx.navigateTo({ url: `/pages/report-detail/index?id=${id}&handle=1` });
    },
    newLog() {
      wx.navigateTo({ url: '/pages/service-log-form/index' });
    },
    openCardHolders() {
      wx.navigateTo({ url: '/pages/card-holders/index' });
    },
  }),
});
