// One 随手拍 report. Its reporter confirms it with a 1–5 rating after resolution, reopens it
// within the window, or answers a worker who waits for them; opened from the grid queue
// (`handle=1`) it carries the handler's steps (utils/report-steps.js), and from the
// community's 问题处理 (`handle=community`) also content review and duplicates
// (utils/report-review.js).

const api = require('../../utils/api');
const { reportView, handlerSteps } = require('../../utils/reports');
const { photoMethods } = require('../../utils/photo-upload');
const { photoSlots, loadPhotos, previewMethod } = require('../../utils/photo-view');
const { askReason, handlerMethods } = require('../../utils/report-steps');
const {
  communitySteps,
  NO_COMMUNITY_STEPS,
  communityMethods,
} = require('../../utils/report-review');

const STARS = [1, 2, 3, 4, 5];

Component({
  data: {
    id: 0,
    handle: false,
    community: false,
    loading: true,
    error: '',
    report: null,
    steps: {},
    reportPhotos: [],
    resolutionPhotos: [],
    stars: STARS,
    rating: 0,
    feedback: '',
    acting: '',
    panel: '',
    note: '',
    reason: '',
    duplicateOf: '',
    grids: [],
    gridIndex: -1,
    photos: [],
    maxPhotos: 9,
    errors: {},
    formError: '',
  },
  methods: Object.assign(photoMethods(9), handlerMethods, communityMethods, {
    onLoad(query) {
      this.codeFields = { same_grid: 'grid_id', reason_required: 'reason', note_required: 'note' };
      const community = query.handle === 'community';
      this.setData({ id: Number(query.id), handle: query.handle === '1' || community, community });
      this.load();
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        this.show(await api.getReport(this.data.id));
        this.setData({ loading: false });
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    show(raw) {
      const report = reportView(raw);
      const steps = Object.assign(
        handlerSteps(raw.status),
        this.data.community ? communitySteps(raw.status) : NO_COMMUNITY_STEPS
      );
      steps.escalate = steps.escalate && !!raw.grid;
      this.setData({
        report,
        steps,
        reportPhotos: photoSlots(raw.photos),
        resolutionPhotos: photoSlots(raw.resolution_photos),
      });
      loadPhotos(this, 'reportPhotos').then(() => loadPhotos(this, 'resolutionPhotos'));
    },
    preview: previewMethod('reportPhotos'),
    rate(e) {
      this.setData({ rating: Number(e.currentTarget.dataset.value), 'errors.rating': '' });
    },
    onFeedback(e) {
      this.setData({ feedback: e.detail.value });
    },
    confirm() {
      if (!this.data.rating) return this.setData({ 'errors.rating': '请为处理结果打分' });
      const body = { rating: this.data.rating };
      const feedback = this.data.feedback.trim();
      if (feedback) body.feedback = feedback.slice(0, 200);
      return this.step('confirm', () => api.confirmReport(this.data.id, body), '感谢您的评价');
    },
    async reopen() {
      const reason = await askReason('重新打开', '问题还在吗？请说明情况');
      if (reason) this.step('reopen', () => api.reopenReport(this.data.id, { reason }), '已重新打开');
    },
    async answer() {
      const note = await askReason('补充说明', '回复网格员的问题');
      if (note) this.step('resume', () => api.resumeReport(this.data.id, { note }), '已补充并恢复');
    },
  }),
});
