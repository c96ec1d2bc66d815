// The organiser's view of a task: the rotating check-in QR code (drawn on a canvas and
// replaced before it expires), the attendee list with manual attendance, and 完成任务.

const api = require('../../utils/api');
const format = require('../../utils/format');
const qr = require('../../utils/qr');
const { paged, empty } = require('../../utils/paged');
const { taskView, checkinPayload, attendanceText, signupText } = require('../../utils/tasks');

const CANVAS_ID = 'checkin-qr';
// Fetch the next code this long before the shown one expires, so the screen never shows a
// dead code while someone scans it.
const REFRESH_MARGIN_MS = 5000;

function attendeeView(a) {
  return {
    userId: a.user_id,
    name: a.name,
    phone: a.phone || '',
    status: a.status,
    statusText: signupText(a) || (a.status === 'cancelled' ? '已取消' : a.status),
    attendance: attendanceText(a.attendance),
    present: !!a.attendance,
    canMark: (a.status === 'confirmed' || a.status === 'walk_in') && !a.attendance,
  };
}

Component({
  data: {
    id: null,
    loading: true,
    error: '',
    task: null,
    code: { shown: false, error: '', seconds: 0, expiresAt: '' },
    attendees: empty(),
    completing: false,
    completion: null,
  },
  lifetimes: {
    detached() {
      this._stopped = true;
      this.stopTimers();
    },
  },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) });
      this.load();
    },
    onShow() {
      if (this.data.task && !this._refreshTimer) this.refreshCode();
    },
    onHide() {
      this.stopTimers();
    },
    onUnload() {
      this._stopped = true;
      this.stopTimers();
    },
    attendeeList() {
      if (!this._attendees) {
        this._attendees = paged(
          this,
          'attendees',
          (cursor) => api.listAttendees(this.data.id, { limit: 50, cursor }),
          attendeeView
        );
      }
      return this._attendees;
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const task = await api.getTask(this.data.id);
        this.setData({ loading: false, task: taskView(task) });
        const jobs = [this.attendeeList().reload()];
        if (task.status === 'published') jobs.push(this.refreshCode());
        await Promise.all(jobs);
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    async refreshCode() {
      clearTimeout(this._refreshTimer);
      this._refreshTimer = null;
      try {
        const code = await api.getCheckinCode(this.data.id);
        if (this._stopped) return;
        qr.draw(wx.createCanvasContext(CANVAS_ID, this), checkinPayload(code.task_id, code.token));
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
      }
    },
    tick() {
      const left = Math.max(0, Math.ceil((this._expiresAt - Date.now()) / 1000));
      if (left !== this.data.code.seconds) this.setData({ 'code.seconds': left });
    },
    stopTimers() {
      clearTimeout(this._refreshTimer);
      clearInterval(this._tickTimer);
      this._refreshTimer = null;
      this._tickTimer = null;
    },
    retryCode() {
      this.refreshCode();
    },
    loadMore() {
      this.attendeeList().loadMore();
    },
    retryAttendees() {
      this.attendeeList().reload();
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
        wx.showToast({ title: '已登记到场', icon: 'none' });
      } catch (err) {
        api.showError(err);
      } finally {
        this._marking = false;
      }
    },
    complete() {
      if (this.data.completing) return;
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
        });
        wx.showToast({ title: '任务已完成', icon: 'success' });
        this.attendeeList().reload();
      } catch (err) {
        api.showError(err);
      } finally {
        this.setData({ completing: false });
      }
    },
  },
});
