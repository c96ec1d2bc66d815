// 我的任务: my sign-ups (newest first, 加载更多) and my volunteer hours.

const api = require('../../utils/api');
const format = require('../../utils/format');
const { paged, empty } = require('../../utils/paged');
const { signupText, attendanceText } = require('../../utils/tasks');

function signupView(s) {
  return {
    id: s.id,
    taskId: s.task_id,
    title: s.task.title,
    when: format.timeRange(s.task.starts_at, s.task.ends_at),
    status: s.status,
    statusText: signupText(s) || (s.status === 'cancelled' ? '已取消' : s.status),
    attendance: attendanceText(s.attendance),
    taskStatus: s.task.status,
  };
}

Component({
  data: { hours: null, hoursError: '', signups: empty() },
  methods: {
    onLoad() {
      this.list = paged(
        this,
        'signups',
        (cursor) => api.listMySignups({ limit: 20, cursor }),
        signupView
      );
      this.load();
    },
    async onPullDownRefresh() {
      await this.load();
      wx.stopPullDownRefresh();
    },
    load() {
      return Promise.all([this.loadHours(), this.list.reload()]);
    },
    async loadHours() {
      try {
        const h = await api.getMyHours();
        this.setData({
          hours: { year: format.hours(h.this_year), lifetime: format.hours(h.lifetime) },
          hoursError: '',
        });
      } catch (err) {
        this.setData({ hoursError: api.errorMessage(err) });
      }
    },
    loadMore() {
      this.list.loadMore();
    },
    onReachBottom() {
      this.list.loadMore();
    },
    retry() {
      this.load();
    },
    openTask(e) {
      wx.navigateTo({ url: `/pages/task-detail/index?id=${e.currentTarget.dataset.id}` });
    },
  },
});
