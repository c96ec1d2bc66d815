// 我的随手拍: my reports, newest first, with their state; a report opens its detail, where
// it is rated after resolution or reopened within the window.

const api = require('../../utils/api');
const { paged, empty, listMethods } = require('../../utils/paged');
const { reportView } = require('../../utils/reports');

Component({
  data: { reports: empty() },
  methods: Object.assign(listMethods(), {
    onLoad() {
      this.list = paged(
        this,
        'reports',
        (cursor) => api.listReports({ scope: 'mine', limit: 20, cursor }),
        (r) => reportView(r)
      );
      this.list.reload();
    },
    onShow() {
      // Back from a detail where the report was rated or reopened.
      if (this.list && this.data.reports.loaded) this.list.reload();
    },
    open(e) {
      wx.navigateTo({ url: `/pages/report-detail/index?id=${e.currentTarget.dataset.id}` });
    },
    newReport() {
      wx.navigateTo({ url: '/pages/report-form/index' });
    },
  }),
});
