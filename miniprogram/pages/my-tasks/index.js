// 我的任务: my sign-ups (newest first, 加载更多) and my volunteer hours; for people who may
// organise (GET /tasks/me/rights), 我组织的 with 发布任务.

const api = require('../../utils/api');
const format = require('../../utils/format');
const { paged, empty } = require('../../utils/paged');
const { signupText, attendanceText } = require('../../utils/tasks');

const STATUS_NAMES = { published: '已发布', cancelled: '已取消', completed: '已完成' };

function organisedView(t) {
  return {
    id: t.id,
    title: t.title,
    when: format.timeRange(t.starts_at, t.ends_at),
    status: t.status,
    statusText: STATUS_NAMES[t.status] || t.status,
    counts: `${t.confirmed_count}/${t.capacity} 人`,
  };
}

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
  data: { hours: null, hoursError: '', signups: empty(), canPublish: false, organised: empty() },
  methods: {
    onLoad() {
      this.list = paged(
        this,
        'signups',
        (cursor) => api.listMySignups({ limit: 20, cursor }),
        signupView
      );
      this.organisedList = paged(
        this,
        'organised',
        (cursor) => api.listTasks({ when: 'all', organised_by_me: true, limit: 10, cursor }),
        organisedView
      );
      this.load();
    },
    onShow() {
      // Back from 发布任务 or 组织者管理: the organised list may have changed.
      if (this._shown && this.data.canPublish) this.organisedList.reload();
      this._shown = true;
    },
    async onPullDownRefresh() {
      await this.load();
      wx.stopPullDownRefresh();
    },
    load() {
      return Promise.all([this.loadHours(), this.list.reload(), this.loadOrganised()]);
    },
    async loadOrganised() {
      try {
        const rights = await api.getTaskRights();
        this.setData({ canPublish: rights.can_publish });
      } catch (err) {
        this.setData({ canPublish: false }); // a resident's page still works without it
      }
      if (this.data.canPublish) await this.organisedList.reload();
    },
    moreOrganised() {
      this.organisedList.loadMore();
    },
    publish() {
      wx.navigateTo({ url: '/pages/task-form/index' });
    },
    manageTask(e) {
      wx.navigateTo({ url: `/pages/task-manage/index?id=${e.currentTarget.dataset.id}` });
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
