// 心愿审核 (reviewers and admins): the wishes waiting for review, oldest first, with their
// photos; publish one to the community or a grid with the points it is worth, or reject it
// with a reason the resident sees. Refusals are shown on the card, beside their fields.

const api = require('../../utils/api');
const profile = require('../../utils/profile');
const { paged, empty } = require('../../utils/paged');
const { formErrors } = require('../../utils/form-errors');
const { loadListPhotos, previewListPhoto } = require('../../utils/list-photos');
const review = require('../../utils/wish-review');

const AUDIENCES = [
  { key: 'community', name: '全社区' },
  { key: 'grid', name: '指定网格' },
];
const CLOSED = { id: 0, mode: '' };

Component({
  data: {
    queue: empty(),
    audiences: AUDIENCES,
    maxPoints: review.MAX_POINTS,
    // The one card whose approve or reject form is open, and that form.
    panel: CLOSED,
    audience: 'community',
    grids: [review.OWN_GRID],
    gridIndex: 0,
    points: String(review.DEFAULT_POINTS),
    reason: '',
    errors: {},
    formError: '',
    acting: false,
  },
  methods: {
    onLoad() {
      this.list = paged(
        this,
        'queue',
        (cursor) => api.listWishes({ scope: 'review', limit: 20, cursor }),
        review.queueItem
      );
      this.reload();
    },
    async onPullDownRefresh() {
      await this.reload();
      wx.stopPullDownRefresh();
    },
    async reload() {
      this.setData({ panel: CLOSED });
      await this.list.reload();
      await loadListPhotos(this, 'queue');
    },
    async loadMore() {
      await this.list.loadMore();
      await loadListPhotos(this, 'queue');
    },
    onReachBottom() {
      this.loadMore();
    },
    retry() {
      this.reload();
    },
    preview: previewListPhoto('queue'),
    indexOf(wishId) {
      return this.data.queue.items.findIndex((w) => w.id === wishId);
    },
    openPanel(e) {
      const { id, mode } = e.currentTarget.dataset;
      const wish = this.data.queue.items[this.indexOf(id)];
      if (!wish || wish.decided || this.data.acting) return;
      this.setData({
        panel: { id, mode },
        audience: 'community',
        gridIndex: 0,
        points: String(review.DEFAULT_POINTS),
        reason: '',
        errors: {},
        formError: '',
      });
    },
    closePanel() {
      this.setData({ panel: CLOSED, errors: {}, formError: '' });
    },
    setAudience(e) {
      const { key } = e.currentTarget.dataset;
      this.setData({ audience: key, 'errors.grid_id': '', 'errors.audience': '' });
      if (key === 'grid' && this.data.grids.length < 2) this.loadGrids();
    },
    async loadGrids() {
      try {
        const me = await profile.get();
        const page = await api.listGrids(me.membership.community.id, { limit: 100 });
        const grids = page.items.map((g) => ({ id: g.id, name: g.name }));
        this.setData({ grids: [review.OWN_GRID].concat(grids) });
      } catch (err) {
        this.setData({ 'errors.grid_id': api.errorMessage(err) });
      }
    },
    onGrid(e) {
      this.setData({ gridIndex: Number(e.detail.value), 'errors.grid_id': '' });
    },
    onPoints(e) {
      this.setData({ points: e.detail.value, 'errors.points': '' });
    },
    onReason(e) {
      this.setData({ reason: e.detail.value, 'errors.reason': '' });
    },
    approve() {
      const { id } = this.data.panel;
      const grid = this.data.grids[this.data.gridIndex];
      const { body, errors } = review.approveBody({
        audience: this.data.audience,
        grid,
        points: this.data.points,
      });
      if (errors) return this.setData({ errors });
      return this.decide(id, () => api.approveWish(id, body), review.APPROVE_CODES);
    },
    reject() {
      const { id } = this.data.panel;
      const reason = this.data.reason.trim();
      if (!reason) return this.setData({ errors: { reason: '请填写驳回原因（居民会看到）' } });
      const body = { reason: reason.slice(0, 200) };
      return this.decide(id, () => api.rejectWish(id, body), review.REJECT_CODES);
    },
    // One Idempotency-Key per tap (api.js makes it; a silent re-login keeps it).
    async decide(wishId, call, codeFields) {
      if (this.data.acting) return;
      this.setData({ acting: true, errors: {}, formError: '' });
      try {
        const wish = await call();
        this.markDecided(wishId, wish.status, review.decidedText(wish, this.data.grids));
        wx.showToast({ title: wish.status === 'published' ? '已发布' : '已驳回', icon: 'none' });
      } catch (err) {
        if (err && err.code === 'wish_already_reviewed') {
          // Someone decided first: the card shows the state the server found, and why.
          this.markDecided(wishId, err.details && err.details.status, err.message);
        } else {
          const { fields, message } = formErrors(err, codeFields);
          this.setData({ errors: fields, formError: message });
        }
      } finally {
        this.setData({ acting: false });
      }
    },
    markDecided(wishId, status, text) {
      const i = this.indexOf(wishId);
      if (i < 0) return;
      this.setData({
        [`queue.items[${i}].status`]: status || '',
        [`queue.items[${i}].statusText`]: review.statusText(status),
        [`queue.items[${i}].flagged`]: false,
        [`queue.items[${i}].decided`]: text,
        panel: CLOSED,
      });
    },
  },
});
