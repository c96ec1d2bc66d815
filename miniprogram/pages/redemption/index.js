// A redemption: the QR code the merchant scans, drawn on a canvas from a short-lived token
// and replaced before it expires (like a payment code), a countdown, and the status, polled
// so the screen switches to 已核销 as soon as the merchant verifies it. Under the code, its
// digits (数字码) for a counter whose camera fails. While a code is shown the screen stays on
// at full brightness (scanners read a dim screen badly); the brightness comes back after.

const api = require('../../utils/api');
const qr = require('../../utils/qr');
const profile = require('../../utils/profile');
const screen = require('../../utils/screen');
const { redemptionView, manualCodeText } = require('../../utils/rewards');

const CANVAS_ID = 'redemption-qr';
const POLL_MS = 3000;
// Codes that mean the redemption is no longer reserved: reload it to show what it became.
const CLOSED = ['already_redeemed', 'redemption_cancelled', 'redemption_expired'];

Component({
  data: {
    id: null,
    loading: true,
    error: '',
    r: null,
    code: { shown: false, seconds: 0, error: '', manual: '' },
    cancelling: false,
  },
  lifetimes: {
    detached() {
      this.stop();
    },
  },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) });
      this.load();
    },
    onShow() {
      // Back from the background: the code on screen may be stale; start over.
      if (this._hidden && this.data.r && this.data.r.status === 'reserved') {
        this._hidden = false;
        this.start();
      }
    },
    onHide() {
      this._hidden = true;
      this.stopTimers();
      screen.restore(this);
    },
    onUnload() {
      this.stop();
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const r = await api.getRedemption(this.data.id);
        this.show(r);
        if (r.status === 'reserved') this.start();
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    show(r) {
      this.setData({ loading: false, error: '', r: redemptionView(r) });
    },
    start() {
      this._stopped = false;
      screen.brighten(this);
      this.refreshCode();
      this.schedulePoll();
    },
    async refreshCode() {
      clearTimeout(this._codeTimer);
      try {
        const code = await api.getRedemptionCode(this.data.id);
        if (this._stopped) return;
        qr.draw(wx.createCanvasContext(CANVAS_ID, this), code.token);
        // Counted from receipt with the server's TTL: a phone whose clock is off still
        // shows the right countdown (and never blanks a valid code).
        this._codeExpiresAt = Date.now() + code.ttl_seconds * 1000;
        this.setData({
          'code.shown': true,
          'code.error': '',
          'code.manual': manualCodeText(code.manual_code),
        });
        this.tick();
        if (!this._tickTimer) this._tickTimer = setInterval(() => this.tick(), 1000);
        // The server says when to fetch the next one (a little before this one expires).
        this._codeTimer = setTimeout(() => this.refreshCode(), code.refresh_after_seconds * 1000);
      } catch (err) {
        if (this._stopped) return;
        if (err && CLOSED.indexOf(err.code) >= 0) {
          this.poll();
          return;
        }
        // A code still valid stays on screen (a poor signal at the counter must not hide it).
        const valid = !!this._codeExpiresAt && this._codeExpiresAt > Date.now();
        this.setData({ 'code.shown': valid, 'code.error': api.errorMessage(err) });
        // Keep trying: a shop's poor signal should not leave a dead code on screen.
        this._codeTimer = setTimeout(() => this.refreshCode(), 5000);
      }
    },
    tick() {
      const left = Math.max(0, Math.ceil((this._codeExpiresAt - Date.now()) / 1000));
      if (left !== this.data.code.seconds) this.setData({ 'code.seconds': left });
      if (left === 0 && this.data.code.shown) this.blank();
    },
    // No fresh code came in time: an expired one on screen would only earn a refusal.
    blank() {
      const ctx = wx.createCanvasContext(CANVAS_ID, this);
      ctx.setFillStyle('#ffffff');
      ctx.fillRect(0, 0, 240, 240);
      ctx.draw(false);
      this.setData({ 'code.shown': false });
    },
    schedulePoll() {
      clearTimeout(this._pollTimer);
      this._pollTimer = setTimeout(() => this.poll(), POLL_MS);
    },
    async poll() {
      try {
        const r = await api.getRedemption(this.data.id);
        if (this._stopped) return;
        if (r.status !== 'reserved') {
          this.stop();
          this.show(r);
          this.setData({ 'code.shown': false });
          if (r.status === 'redeemed') {
            profile.clear();
            if (wx.vibrateShort) wx.vibrateShort({ type: 'medium' });
          }
          return;
        }
      } catch (err) {
        // A failed poll is retried on the next round; the code keeps refreshing meanwhile.
      }
      if (!this._stopped) this.schedulePoll();
    },
    stopTimers() {
      clearTimeout(this._codeTimer);
      clearTimeout(this._pollTimer);
      clearInterval(this._tickTimer);
      this._codeTimer = null;
      this._pollTimer = null;
      this._tickTimer = null;
    },
    stop() {
      this._stopped = true;
      this.stopTimers();
      screen.restore(this);
    },
    cancel() {
      if (this.data.cancelling) return;
      wx.showModal({
        title: '取消兑换',
        content: '取消后冻结的积分会退回，库存也会释放。',
        confirmText: '取消兑换',
        cancelText: '保留',
        success: (res) => {
          if (res && res.confirm) this.doCancel();
        },
      });
    },
    async doCancel() {
      this.setData({ cancelling: true });
      try {
        const r = await api.cancelRedemption(this.data.id);
        this.stop();
        this.show(r);
        this.setData({ 'code.shown': false });
        profile.clear();
        wx.showToast({ title: '积分已退回', icon: 'none' });
      } catch (err) {
        api.showError(err);
        if (err && CLOSED.indexOf(err.code) >= 0) this.poll();
      } finally {
        this.setData({ cancelling: false });
      }
    },
  },
});
