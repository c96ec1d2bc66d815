// 任务: upcoming (or past) tasks of my community with filters and 加载更多; scan to check
// in; my tasks and hours; organisers can narrow the list to the tasks they organise.

const api = require('../../utils/api');
const profile = require('../../utils/profile');
const home = require('../../utils/home');
const { tabPage } = require('../../utils/tab-page');
const { paged, empty } = require('../../utils/paged');
const { taskView, scanAndAttend, showAttendResult } = require('../../utils/tasks');

const ORGANISER_ROLES = ['admin', 'reviewer', 'grid_worker', 'org_staff'];
const WHEN = [
  { key: 'upcoming', name: '即将开始' },
  { key: 'past', name: '已结束' },
];

function listOf(component) {
  if (!component._tasks) {
    component._tasks = paged(
      component,
      'tasks',
      (cursor) => {
        const { when, mine, q } = component.data.filter;
        const query = { when, limit: 10, cursor };
        if (mine) query.organised_by_me = true;
        if (q) query.q = q;
        return api.listTasks(query);
      },
      taskView
    );
  }
  return component._tasks;
}

Component(
  tabPage({
    data: {
      whenTabs: WHEN,
      filter: { when: 'upcoming', mine: false, q: '' },
      keyword: '',
      organiser: false,
      tasks: empty(),
      scanning: false,
    },
    async onMember(me) {
      home.openCounterOnce(me);
      this.setData({
        organiser: (me.roles || []).some((r) => ORGANISER_ROLES.indexOf(r) >= 0),
      });
      await listOf(this).reload();
    },
    methods: {
      setWhen(e) {
        const { when } = e.currentTarget.dataset;
        if (when === this.data.filter.when) return;
        this.setData({ 'filter.when': when });
        listOf(this).reload();
      },
      toggleMine() {
        this.setData({ 'filter.mine': !this.data.filter.mine });
        listOf(this).reload();
      },
      onKeyword(e) {
        this.setData({ keyword: e.detail.value });
      },
      search() {
        this.setData({ 'filter.q': (this.data.keyword || '').trim().slice(0, 32) });
        listOf(this).reload();
      },
      loadMore() {
        listOf(this).loadMore();
      },
      retryList() {
        listOf(this).reload();
      },
      onReachBottom() {
        listOf(this).loadMore();
      },
      openTask(e) {
        wx.navigateTo({ url: `/pages/task-detail/index?id=${e.currentTarget.dataset.id}` });
      },
      goMyTasks() {
        wx.navigateTo({ url: '/pages/my-tasks/index' });
      },
      // 随手拍 and 微心愿, one tap from the home tab.
      openEntry(e) {
        wx.navigateTo({ url: e.currentTarget.dataset.url });
      },
      async scanCheckin() {
        if (this.data.scanning) return;
        this.setData({ scanning: true });
        try {
          const outcome = await scanAndAttend();
          if (outcome) {
            showAttendResult(outcome);
            profile.clear(); // hours and points on 我的 changed
          }
        } catch (err) {
          api.showError(err);
        } finally {
          this.setData({ scanning: false });
        }
      },
    },
  })
);
