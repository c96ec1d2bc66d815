// 问题处理 (reviewers and admins): open and overdue counts per grid and in the community
// queue, and the community's reports (content to review, the community queue's own work,
// everything) with overdue marks; a report opens with the community's steps.

const api = require('../../utils/api');
const { empty, listMethods } = require('../../utils/paged');
const { filteredReports } = require('../../utils/report-lists');

// in_review: texts WeChat flagged; unassigned: reports with no grid (none given, or escalated).
const FILTERS = [
  { key: 'review', name: '待审核内容', query: { status: 'in_review' }, empty: '没有待审核的内容' },
  {
    key: 'community',
    name: '社区待办',
    query: { unassigned: true, open_only: true },
    empty: '社区队列没有待办问题',
  },
  { key: 'all', name: '全部', query: {}, empty: '社区还没有上报的问题' },
];

// One page of grids covers a community; past it the header says only the first are shown.
const STATS_LIMIT = 100;

function statsView(s) {
  return {
    queueOpen: s.queue.open,
    queueOverdue: s.queue.overdue,
    grids: s.items.map((g) => ({
      id: g.grid.id,
      name: g.grid.name,
      open: g.open,
      overdue: g.overdue,
    })),
    more: !!s.next_cursor,
  };
}

Component({
  data: {
    filters: FILTERS,
    filter: 'review',
    emptyText: FILTERS[0].empty,
    stats: null,
    statsError: '',
    queue: empty(),
  },
  methods: Object.assign(listMethods(), {
    onLoad() {
      this.list = filteredReports(this, 'community', FILTERS);
      this.refresh();
    },
    // Back from a report: its state (and the counts) may have changed.
    onShow() {
      if (this.list && this.data.queue.loaded) this.refresh();
    },
    // Not listMethods' own: the figures above the list reload with it.
    async onPullDownRefresh() {
      await this.refresh();
      wx.stopPullDownRefresh();
    },
    refresh() {
      return Promise.all([this.loadStats(), this.list.reload()]);
    },
    async loadStats() {
      this.setData({ statsError: '' });
      try {
        const stats = await api.getReportStats({ limit: STATS_LIMIT });
        this.setData({ stats: statsView(stats) });
      } catch (err) {
        this.setData({ statsError: api.errorMessage(err) });
      }
    },
    setFilter(e) {
      const { key } = e.currentTarget.dataset;
      if (key === this.data.filter) return;
      const filter = FILTERS.find((f) => f.key === key);
      this.setData({ filter: key, emptyText: filter.empty });
      this.list.reload();
    },
    retryStats() {
      this.loadStats();
    },
    open(e) {
      const { id } = e.currentTarget.dataset;
      wx.navigateTo({ url: `/pages/report-detail/index?id=${id}&handle=community` });
    },
  }),
});
