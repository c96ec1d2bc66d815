// 商家核销 (merchant staff): scan the resident's code, or type its digits when the camera
// fails → preview (offer and points in large type, masked name) → 确认核销; clear screens for
// expired, already redeemed (when, by whom) and other merchants' codes; today's figures from
// the server, this month's verified redemptions and its xlsx statement to share. The screen
// stays on and bright while the page is shown. 刷积分卡 (a card and its PIN, for residents
// without a phone) is utils/card-counter.js.

const api = require('../../utils/api');
const format = require('../../utils/format');
const screen = require('../../utils/screen');
const { paged, empty } = require('../../utils/paged');
const { shareStatement } = require('../../utils/statement-share');
const { cardCounterData, cardCounterMethods } = require('../../utils/card-counter');

// What each refusal looks like: a title, and a hint on what to do next. A known code's
// screen says it once in its own words; the server's message repeats the same phrases.
const SCREENS = {
  code_expired: { title: '二维码已过期', hint: '请让居民在「我的兑换」中刷新兑换码后重新扫描' },
  already_redeemed: { title: '该兑换已核销', hint: '积分已扣除，无需再次核销' },
  not_your_merchant: { title: '不是本店的兑换码', hint: '该兑换属于其他商家，本店不能核销' },
  code_invalid: { title: '无法识别的二维码', hint: '请扫描居民「兑换码」页面上的二维码' },
  code_already_used: { title: '二维码刚刚已被扫描', hint: '请让居民刷新兑换码后重试' },
  redemption_cancelled: { title: '该兑换已取消', hint: '居民已取消这次兑换' },
  redemption_expired: { title: '该兑换已过期', hint: '积分已退回居民，请让居民重新兑换' },
};
// A typed code that is wrong or too old: the server cannot tell which, nor can we.
const TYPED_INVALID = {
  title: '数字码不正确或已过期',
  hint: '请让居民打开兑换码页，输入二维码下方最新的数字码',
};
const MANUAL_NOTES = {
  cancel: '没有扫到？请输入居民兑换码页上二维码下方的数字码',
  fail: '相机无法使用，请输入居民兑换码页上二维码下方的数字码',
};

function refusalScreen(err, typed) {
  const known = typed && err.code === 'code_invalid' ? TYPED_INVALID : SCREENS[err.code];
  const screen = known || { title: '无法核销', hint: '' };
  const d = err.details || {};
  const lines = known ? [] : [err.message];
  if (err.code === 'already_redeemed' && d.redeemed_at) {
    lines.push(`核销时间：${format.dateTime(d.redeemed_at)}`);
    if (d.redeemed_by) lines.push(`核销人：${d.redeemed_by}`);
  }
  return { code: err.code, title: screen.title, hint: screen.hint, lines, typed: !!typed };
}

function previewView(p) {
  return {
    title: p.offer_title,
    merchant: p.merchant_name,
    points: p.points,
    resident: p.resident_name,
    reservedAt: format.dateTime(p.created_at),
  };
}

function rowView(r) {
  return {
    id: r.id,
    title: r.offer_title,
    points: r.points,
    resident: r.resident_name,
    when: format.dateTime(r.redeemed_at || r.created_at),
    redeemedAt: r.redeemed_at,
    by: r.redeemed_by || '',
  };
}

Component({
  data: Object.assign(
    {
      step: 'idle', // idle | previewing | preview | verifying | done | refused
      preview: null,
      refusal: null,
      scanning: false,
      tab: 'today',
      month: null, // {count, points}
      today: null, // {count, points} verified today, from the statement
      history: empty(),
      todayItems: [],
      manual: { shown: false, value: '', note: '' },
      fromHome: false, // opened by the home tab (utils/home.js): offer the way back
      sharing: false,
    },
    cardCounterData()
  ),
  lifetimes: {
    detached() {
      screen.restore(this);
    },
  },
  methods: Object.assign(cardCounterMethods(), {
    onLoad(query) {
      this.setData({ fromHome: !!(query && query.from === 'home') });
      screen.brighten(this);
      this.history = paged(
        this,
        'history',
        (cursor) => {
          const query = { status: 'redeemed', month: format.thisMonth(), limit: 50, cursor };
          if (this.merchantId) query.merchant_id = this.merchantId;
          return api.listMerchantRedemptions(query);
        },
        rowView
      );
      this.loadLists();
    },
    onShow() {
      screen.brighten(this);
    },
    onHide() {
      screen.restore(this);
    },
    onUnload() {
      screen.restore(this);
    },
    // Back to the tabs (任务) when the home tab opened this page.
    goHome() {
      wx.navigateBack({ fail: () => wx.switchTab({ url: '/pages/tasks/index' }) });
    },
    async onPullDownRefresh() {
      await this.loadLists();
      wx.stopPullDownRefresh();
    },
    async loadLists() {
      // The statement first: it finds the shop when the staff member serves several.
      await this.loadStatement();
      await this.history.reload();
      this.summariseToday();
    },
    async loadStatement() {
      try {
        const query = { month: format.thisMonth(), limit: 1 };
        if (this.merchantId) query.merchant_id = this.merchantId;
        const s = await api.getMerchantStatement(query);
        this.setData({
          month: { count: s.total_count, points: s.total_points, name: s.merchant_name },
          today: { count: s.today.count, points: s.today.points },
        });
      } catch (err) {
        if (err && err.code === 'merchant_required' && !this.merchantId) {
          // Staff of several shops: act for the first; the server checks every call.
          const ids = (err.details && err.details.merchant_ids) || [];
          if (ids.length) {
            this.merchantId = ids[0];
            await this.loadStatement();
            return;
          }
        }
        this.setData({ month: null });
      }
    },
    // Today's rows are the head of this month's (newest first) list; the day's count and
    // points come from the statement (the server counts them all, not one page).
    summariseToday() {
      const now = Date.now();
      const items = this.data.history.items.filter(
        (r) => r.redeemedAt && format.sameShanghaiDay(r.redeemedAt, now)
      );
      this.setData({ todayItems: items });
    },
    setTab(e) {
      this.setData({ tab: e.currentTarget.dataset.tab });
    },
    async loadMore() {
      await this.history.loadMore();
      this.summariseToday();
    },
    scan() {
      if (this.data.scanning) return;
      this.setData({ scanning: true });
      wx.scanCode({
        onlyFromCamera: true,
        scanType: ['qrCode'],
        success: (res) => this.previewToken(String(res.result || '').trim()),
        // Cancelled or no camera: offer the typed code instead.
        fail: (err) => {
          const cancelled = String((err && err.errMsg) || '').indexOf('cancel') >= 0;
          this.setData({ scanning: false });
          this.openManual(cancelled ? 'cancel' : 'fail');
        },
      });
    },
    openManual(why) {
      const note = MANUAL_NOTES[why] || '';
      this.setData({ 'manual.shown': true, 'manual.note': note });
    },
    closeManual() {
      this.setData({ manual: { shown: false, value: '', note: '' } });
    },
    onManualInput(e) {
      this.setData({ 'manual.value': e.detail.value });
    },
    submitManual() {
      const digits = String(this.data.manual.value || '').replace(/\s+/g, '');
      if (!digits || this.data.step === 'previewing') return;
      this.previewToken(digits, { typed: true });
    },
    async previewToken(token, { typed = false } = {}) {
      this.token = token;
      this.typed = typed;
      this.verifyKey = null;
      this.setData({ step: 'previewing', refusal: null, preview: null });
      try {
        const p = await api.previewVerify(token);
        // One key for this code's 确认核销, kept across 重试.
        this.verifyKey = api.newIdempotencyKey();
        this.setData({
          step: 'preview',
          preview: previewView(p),
          manual: { shown: false, value: '', note: '' },
        });
      } catch (err) {
        this.refuse(err);
      } finally {
        this.setData({ scanning: false });
      }
    },
    refuse(err, onRetry) {
      if (err instanceof api.ApiError && !err.isNetwork && err.status !== 401) {
        this.setData({ step: 'refused', refusal: refusalScreen(err, this.typed) });
      } else {
        this.setData({ step: this.data.preview ? 'preview' : 'idle' });
        api.showError(err, { onRetry });
      }
    },
    async confirm() {
      if (this.data.step !== 'preview') return;
      this.setData({ step: 'verifying' });
      try {
        const p = await api.verify(this.token, this.verifyKey);
        this.setData({ step: 'done', preview: previewView(p) });
        if (wx.vibrateShort) wx.vibrateShort({ type: 'medium' });
        this.loadLists();
      } catch (err) {
        this.refuse(err, () => this.confirm());
      }
    },
    reset() {
      this.token = null;
      this.verifyKey = null;
      this.setData({ step: 'idle', preview: null, refusal: null });
    },
    async shareStatement() {
      if (this.data.sharing) return;
      this.setData({ sharing: true });
      try {
        const how = await shareStatement({
          month: format.thisMonth(),
          merchantId: this.merchantId,
        });
        if (how === 'shared') wx.showToast({ title: '已发送', icon: 'success' });
      } catch (err) {
        api.showError(err);
      } finally {
        this.setData({ sharing: false });
      }
    },
    scanAgain() {
      this.reset();
      this.scan();
    },
    // A typed code refused: type it again without going through the camera.
    typeAgain() {
      this.reset();
      this.openManual();
    },
  }),
});
