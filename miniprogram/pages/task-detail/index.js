// One task: details, sign up / cancel (已报名 or 候补第 N 位), scan to check in and out,
// and the way into the organiser's view. With ?for=<holder id>&name= staff do the same for a
// card holder (代为报名, X-Acting-For); the task is read as me, so it cannot say whether the
// holder is signed up: each step is offered and the server's answer shown.
// Shared (转发) as ?id=<id>&from=share, it opens cold: the first call logs in, a non-member is
// led to 加入社区 and comes back here, another community's task is explained.

const api = require('../../utils/api');
const subscribe = require('../../utils/subscribe');
const profile = require('../../utils/profile');
const {
  taskView,
  signupText,
  scanAndAttend,
  attendMessage,
  showAttendResult,
} = require('../../utils/tasks');
const { actingTarget } = require('../../utils/card-holders');

const SHARE_PATH = '/pages/task-detail/index';

// Codes after which what is on screen is stale: reload the task to show the truth.
const RELOAD_ON = [
  'already_signed_up',
  'signup_closed',
  'cancel_closed',
  'not_signed_up',
  'task_not_open',
  'already_checked_in',
  'already_checked_out',
];

Component({
  data: {
    id: null,
    loading: true,
    error: '',
    task: null,
    busy: false,
    actionError: '',
    acting: null, // {id, name} of the card holder acted for
    actingResult: '',
    shared: false, // opened from a shared card (?from=share)
    needJoin: false, // the server said 请先加入社区
    elsewhere: false, // a shared task this person cannot see: another community's, or gone
  },
  methods: {
    onLoad(query) {
      subscribe.warm(); // the template ids its tap asks for (asked inside the tap)
      const acting = actingTarget(query);
      this.client = acting ? api.actingFor(acting.id) : api;
      const shared = !!query && query.from === 'share';
      this.setData({ id: Number(query && query.id), acting, shared });
      if (wx.showShareMenu) wx.showShareMenu({ menus: ['shareAppMessage'] });
      this.load();
    },
    onShow() {
      // Back from 加入社区: ask again, now as a member.
      if (this.data.needJoin) this.load();
      else if (this.data.task) this.load({ quiet: true });
    },
    // 转发: the card opens this task for whoever taps it, never as a card holder's act.
    onShareAppMessage() {
      const task = this.data.task;
      return {
        title: task ? task.title : '志愿任务',
        path: `${SHARE_PATH}?id=${this.data.id}&from=share`,
      };
    },
    async onPullDownRefresh() {
      await this.load();
      wx.stopPullDownRefresh();
    },
    async load({ quiet = false } = {}) {
      if (!quiet) this.setData({ loading: true, error: '' });
      try {
        const task = await api.getTask(this.data.id);
        this._raw = task;
        this.setData({
          loading: false,
          error: '',
          task: taskView(task),
          needJoin: false,
          elsewhere: false,
        });
      } catch (err) {
        const code = err && err.code;
        if (code === 'not_a_member') {
          this.setData({ loading: false, error: '', needJoin: true });
        } else if (code === 'task_not_found' && this.data.shared) {
          // The server hides other communities' tasks as missing: one message for both.
          this.setData({ loading: false, error: '', needJoin: false, elsewhere: true });
        } else if (quiet && this.data.task) api.showError(err);
        else this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    goJoin() {
      wx.navigateTo({ url: '/pages/community-join/index?from=task' });
    },
    goTasks() {
      wx.switchTab({ url: '/pages/tasks/index' });
    },
    onRetry() {
      this.load();
    },
    fail(err) {
      // The reason stays on the page next to the button; a toast alone is easy to miss.
      this.setData({ actionError: api.errorMessage(err) });
      api.showError(err);
      if (err && RELOAD_ON.indexOf(err.code) >= 0) this.load({ quiet: true });
    },
    async signUp() {
      if (this.data.busy) return;
      subscribe.ask('signup'); // reminders and changes of this task; never holds the sign-up
      this.setData({ busy: true, actionError: '' });
      try {
        const signup = await api.signUp(this.data.id);
        const confirmed = signup.status === 'confirmed';
        this.setData({
          'task.signup': signupText(signup),
          'task.signupStatus': signup.status,
          'task.confirmed': this.data.task.confirmed + (confirmed ? 1 : 0),
          'task.waitlisted': this.data.task.waitlisted + (confirmed ? 0 : 1),
        });
        wx.showToast({
          title: confirmed ? '报名成功' : '已进入候补', // the page shows 候补第 N 位
          icon: 'none',
        });
      } catch (err) {
        this.fail(err);
      } finally {
        this.setData({ busy: false });
      }
    },
    cancelSignup() {
      if (this.data.busy) return;
      const waiting = this.data.task.signupStatus === 'waitlisted';
      wx.showModal({
        title: waiting ? '取消候补' : '取消报名',
        content: waiting ? '确定不再候补这个任务吗？' : '确定取消报名吗？名额会让给候补的居民。',
        confirmText: '确定取消',
        cancelText: '再想想',
        success: (res) => {
          if (res && res.confirm) this.doCancel();
        },
      });
    },
    async doCancel() {
      this.setData({ busy: true, actionError: '' });
      try {
        const result = await api.cancelSignup(this.data.id);
        const was = result.was;
        this.setData({
          'task.signup': '',
          'task.signupStatus': '',
          'task.confirmed': this.data.task.confirmed - (was === 'confirmed' ? 1 : 0),
          'task.waitlisted': this.data.task.waitlisted - (was === 'waitlisted' ? 1 : 0),
        });
        wx.showToast({ title: '已取消报名', icon: 'none' });
      } catch (err) {
        this.fail(err);
      } finally {
        this.setData({ busy: false });
      }
    },
    async scan() {
      if (this.data.busy) return;
      this.setData({ busy: true, actionError: '' });
      try {
        const outcome = await scanAndAttend(this.data.id);
        if (outcome) {
          showAttendResult(outcome);
          profile.clear();
          await this.load({ quiet: true });
        }
      } catch (err) {
        this.fail(err);
      } finally {
        this.setData({ busy: false });
      }
    },
    manage() {
      wx.navigateTo({ url: `/pages/task-manage/index?id=${this.data.id}` });
    },
    // 代办: one step for the holder; what the server answered stays on the page.
    async act(run) {
      if (this.data.busy) return;
      this.setData({ busy: true, actionError: '', actingResult: '' });
      try {
        const done = await run();
        if (done) {
          this.setData({ actingResult: `${this.data.acting.name}：${done}` });
          this.load({ quiet: true });
        }
      } catch (err) {
        this.fail(err);
      } finally {
        this.setData({ busy: false });
      }
    },
    actSignUp() {
      return this.act(async () => signupText(await this.client.signUp(this.data.id)));
    },
    actCancel() {
      if (this.data.busy) return;
      wx.showModal({
        title: '代为取消报名',
        content: `确定为 ${this.data.acting.name} 取消报名吗？`,
        confirmText: '确定取消',
        cancelText: '再想想',
        success: (res) => {
          if (!res || !res.confirm) return;
          this.act(async () => {
            await this.client.cancelSignup(this.data.id);
            return '已取消报名';
          });
        },
      });
    },
    // The organiser's code, scanned for the holder: 签到 or 签退 as the worker chose.
    actScan(e) {
      const { action } = e.currentTarget.dataset;
      return this.act(async () => {
        const outcome = await scanAndAttend(this.data.id, { client: this.client, action });
        return outcome ? attendMessage(outcome) : '';
      });
    },
  },
});
