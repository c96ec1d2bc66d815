// The organiser's view of a task: the rotating check-in QR code (drawn on a canvas and
// replaced before it expires) only while check-in / check-out is open, a full-screen code,
// 已签到 x / y kept current by polling, manual attendance and 完成任务 once it may be done.
// 编辑 until the start; then 修改文字 (the wording alone) until the end.

const api = require('../../utils/api');
const format = require('../../utils/format');
const qr = require('../../utils/qr');
const screen = require('../../utils/screen');
const { empty } = require('../../utils/paged');
const tasks = require('../../utils/tasks');

const { taskView, checkinPayload, attendanceText, countsOf } = tasks;
const CANVAS_ID = 'checkin-qr';
const FULL_CANVAS_ID = 'checkin-qr-full';
const FULL_SIZE = 320; // px: 640rpx on a 375 px wide phone
// Fetch the next code this long before the shown one expires, so the screen never shows a
// dead code while someone scans it.
const REFRESH_MARGIN_MS = 5000;
const POLL_MS = 10000; // 已签到 x / y while the page is visible
const MAX_WAIT_MS = 3600 * 1000; // re-check the windows at least hourly (setTimeout's range)

Component({
  data: {
    id: null,
    loading: true,
    error: '',
    task: null,
    phase: { phase: '', text: '' },
    completable: { open: false, text: '' },
    code: { shown: false, error: '', seconds: 0, expiresAt: '' },
    fullscreen: false,
    editable: false,
    wording: false,
    attendees: empty(),
    counts: { checkedIn: 0, confirmed: 0 },
    completing: false,
    completion: null,
  },
  lifetimes: {
    detached() {
      this.stopAll();
    },
  },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) });
      this.load();
    },
    onShow() {
      if (!this._task || this._stopped) return;
      this._hidden = false;
      this.startPolling();
      this.refreshTask();
    },
    // Back on the page (after 编辑, or from the background): read the task again.
    async refreshTask() {
      try {
        const task = await api.getTask(this.data.id);
        if (this._stopped) return;
        this._task = task;
        this.setData({ task: taskView(task) });
      } catch (err) {
        // Keep what is shown; the windows still follow the clock.
      }
      this.applyPhase();
    },
    onHide() {
      this._hidden = true;
      this.stopTimers();
      if (this.data.fullscreen) this.closeFullscreen();
    },
    onUnload() {
      this.stopAll();
    },
    stopAll() {
      this._stopped = true;
      this.stopTimers();
      if (this.data.fullscreen) screen.restore(this);
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const task = await api.getTask(this.data.id);
        this._task = task;
        this.setData({ loading: false, task: taskView(task) });
        this.applyPhase();
        await this.reloadAttendees();
        this.startPolling();
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    // Show what the current moment allows and wake up at the next window boundary.
    applyPhase() {
      if (this._stopped || this._hidden || !this._task) return;
      clearTimeout(this._phaseTimer);
      this._phaseTimer = null;
      const now = Date.now();
      const published = this.data.task.status === 'published';
      const phase = tasks.checkinPhase(this._task, now);
      const completable = tasks.completionPhase(this._task, now);
      const editUntil = Date.parse(this._task.edits_close_at);
      const endsAt = Date.parse(this._task.ends_at);
      this.setData({
        phase: { phase: phase.phase, text: phase.text },
        completable: { open: completable.open, text: completable.text },
        editable: published && now < endsAt,
        wording: now >= editUntil,
      });
      const codeTime = phase.phase === 'checkin' || phase.phase === 'checkout';
      if (!published || !codeTime) {
        this.stopCode();
        if (this.data.code.shown) this.setData({ 'code.shown': false });
        if (this.data.fullscreen) this.closeFullscreen();
      } else if (!this._refreshTimer && !this._fetchingCode) {
        this.refreshCode();
      }
      const next = [phase.next, completable.next]
        .concat([editUntil, endsAt].filter((t) => now < t))
        .filter((t) => t !== null);
      if (published && next.length) {
        const wait = Math.min(MAX_WAIT_MS, Math.max(0, Math.min(...next) - now));
        this._phaseTimer = setTimeout(() => this.applyPhase(), wait);
      }
    },
    async refreshCode() {
      clearTimeout(this._refreshTimer);
      this._refreshTimer = null;
      this._fetchingCode = true;
      try {
        const code = await api.getCheckinCode(this.data.id);
        if (this._stopped || this._hidden) return;
        this._payload = checkinPayload(code.task_id, code.token);
        this.drawCodes();
        this._expiresAt = Date.parse(code.expires_at);
        this.setData({
          'code.shown': true,
          'code.error': '',
          'code.expiresAt': format.time(code.expires_at),
        });
        this.tick();
        const wait = Math.max(1000, this._expiresAt - Date.now() - REFRESH_MARGIN_MS);
        this._refreshTimer = setTimeout(() => this.refreshCode(), wait);
        if (!this._tickTimer) this._tickTimer = setInterval(() => this.tick(), 1000);
      } catch (err) {
        this.setData({ 'code.shown': false, 'code.error': api.errorMessage(err) });
      } finally {
        this._fetchingCode = false;
      }
    },
    drawCodes() {
      if (!this._payload) return;
      if (this.data.fullscreen) {
        qr.draw(wx.createCanvasContext(FULL_CANVAS_ID, this), this._payload, { size: FULL_SIZE });
      } else {
        qr.draw(wx.createCanvasContext(CANVAS_ID, this), this._payload);
      }
    },
    tick() {
      const left = Math.max(0, Math.ceil((this._expiresAt - Date.now()) / 1000));
      if (left !== this.data.code.seconds) this.setData({ 'code.seconds': left });
    },
    stopCode() {
      clearTimeout(this._refreshTimer);
      clearInterval(this._tickTimer);
      this._refreshTimer = null;
      this._tickTimer = null;
    },
    stopTimers() {
      this.stopCode();
      clearTimeout(this._phaseTimer);
      clearInterval(this._pollTimer);
      this._phaseTimer = null;
      this._pollTimer = null;
    },
    retryCode() {
      this.refreshCode();
    },
    // A large code for a crowd at the door; the screen stays on while it is shown.
    openFullscreen() {
      if (!this.data.code.shown) return;
      this.setData({ fullscreen: true }, () => this.drawCodes());
      screen.brighten(this);
    },
    closeFullscreen() {
      this.setData({ fullscreen: false }, () => this.drawCodes());
      screen.restore(this);
    },
    async reloadAttendees(quiet) {
      if (!quiet) this.setData({ 'attendees.loading': true, 'attendees.error': '' });
      try {
        const items = await tasks.allAttendees(this.data.id);
        if (this._stopped) return;
        this.setData({
          attendees: { items, cursor: null, more: false, loading: false, error: '', loaded: true },
          counts: countsOf(items),
        });
      } catch (err) {
        // A failed poll keeps the last list; the next poll tries again.
        if (!quiet) {
          this.setData({
            'attendees.loading': false,
            'attendees.error': api.errorMessage(err),
            'attendees.loaded': true,
          });
        }
      }
    },
    startPolling() {
      if (this._pollTimer || this._stopped || this._hidden) return;
      if (!this.data.task || this.data.task.status !== 'published') return;
      this._pollTimer = setInterval(() => this.reloadAttendees(true), POLL_MS);
    },
    retryAttendees() {
      this.reloadAttendees();
    },
    async mark(e) {
      const { index } = e.currentTarget.dataset;
      const person = this.data.attendees.items[index];
      if (!person || this._marking) return;
      this._marking = true;
      try {
        const result = await api.markAttendance(this.data.id, person.userId);
        this.setData({
          [`attendees.items[${index}].attendance`]: attendanceText(result),
          [`attendees.items[${index}].present`]: true,
          [`attendees.items[${index}].canMark`]: false,
        });
        this.setData({ counts: countsOf(this.data.attendees.items) }); // after the row changed
        wx.showToast({ title: '已登记到场', icon: 'none' });
      } catch (err) {
        api.showError(err);
      } finally {
        this._marking = false;
      }
    },
    openEdit() {
      const wording = this.data.wording ? '&wording=1' : '';
      wx.navigateTo({ url: `/pages/task-form/index?id=${this.data.id}${wording}` });
    },
    complete() {
      if (this.data.completing || !this.data.completable.open) return;
      wx.showModal({
        title: '完成任务',
        content: '确认出勤并为到场的志愿者发放积分？未签到的报名者记为缺席。',
        confirmText: '确认完成',
        success: (res) => {
          if (res && res.confirm) this.doComplete();
        },
      });
    },
    async doComplete() {
      this.setData({ completing: true });
      try {
        const r = await api.completeTask(this.data.id);
        this.stopTimers();
        if (this.data.fullscreen) this.closeFullscreen();
        this.setData({
          completion: {
            attendees: r.attendees,
            credited: r.credited,
            noShows: r.no_shows,
            points: r.points_total,
            awaiting: r.awaiting_second_person,
          },
          'task.status': r.status,
          'code.shown': false,
          editable: false, // a completed task is no longer edited
        });
        wx.showToast({ title: '任务已完成', icon: 'success' });
        this.reloadAttendees();
      } catch (err) {
        api.showError(err);
      } finally {
        this.setData({ completing: false });
      }
    },
  },
});
