// 积分审核 (reviewers): the community's open claims, oldest first, with their photos
// (downloaded through api.js with the bearer header); approve, or reject with a reason.

const api = require('../../utils/api');
const { paged, empty } = require('../../utils/paged');
const { claimView, claimTag, CLAIM_STATUS } = require('../../utils/points');
const { loadListPhotos, photoSlots, previewListPhoto } = require('../../utils/list-photos');

function queueItem(c) {
  const view = claimView(c);
  view.photos = photoSlots(view.photoIds.map((id) => ({ id })));
  view.deciding = false;
  view.decided = '';
  return view;
}

Component({
  data: { queue: empty() },
  methods: {
    onLoad() {
      this.list = paged(
        this,
        'queue',
        (cursor) => api.listClaims({ scope: 'queue', limit: 20, cursor }),
        queueItem
      );
      this.reload();
    },
    async onPullDownRefresh() {
      await this.reload();
      wx.stopPullDownRefresh();
    },
    async reload() {
      await this.list.reload();
      await this.loadPhotos();
    },
    async loadMore() {
      await this.list.loadMore();
      await this.loadPhotos();
    },
    onReachBottom() {
      this.loadMore();
    },
    retry() {
      this.reload();
    },
    indexOf(claimId) {
      return this.data.queue.items.findIndex((c) => c.id === claimId);
    },
    loadPhotos() {
      return loadListPhotos(this, 'queue');
    },
    preview: previewListPhoto('queue'),
    approve(e) {
      const claim = this.data.queue.items[this.indexOf(e.currentTarget.dataset.id)];
      if (!claim || claim.deciding || claim.decided) return;
      wx.showModal({
        title: '通过申报',
        content: `通过「${claim.claimant}」的「${claim.item}」申报，积分将按项目分值发放。`,
        confirmText: '通过',
        success: (res) => {
          if (res && res.confirm) this.decide(claim.id, 'approve');
        },
      });
    },
    reject(e) {
      const claim = this.data.queue.items[this.indexOf(e.currentTarget.dataset.id)];
      if (!claim || claim.deciding || claim.decided) return;
      wx.showModal({
        title: '驳回申报',
        editable: true,
        placeholderText: '请填写驳回原因（居民会看到）',
        confirmText: '驳回',
        success: (res) => {
          if (!res || !res.confirm) return;
          const reason = String(res.content || '').trim();
          if (!reason) {
            wx.showToast({ title: '请填写驳回原因', icon: 'none' });
            return;
          }
          this.decide(claim.id, 'reject', reason.slice(0, 200));
        },
      });
    },
    async decide(claimId, decision, reason) {
      const at = (field) => `queue.items[${this.indexOf(claimId)}].${field}`;
      this.setData({ [at('deciding')]: true });
      try {
        const claim =
          decision === 'approve'
            ? await api.approveClaim(claimId)
            : await api.rejectClaim(claimId, reason);
        const text =
          claim.status === 'approved' ? `已通过，发放 ${claim.points} 积分` : `已驳回：${reason}`;
        // The card's tag follows the decision, not the 待审核 it was loaded with.
        this.setData({
          [at('decided')]: text,
          [at('status')]: claim.status,
          [at('statusText')]: CLAIM_STATUS[claim.status] || claim.status,
          [at('tagClass')]: claimTag(claim.status),
        });
        wx.showToast({ title: claim.status === 'approved' ? '已通过' : '已驳回', icon: 'none' });
      } catch (err) {
        api.showError(err);
        if (err && err.code === 'claim_already_decided') {
          this.setData({ [at('decided')]: err.message });
        }
      } finally {
        if (this.indexOf(claimId) >= 0) this.setData({ [at('deciding')]: false });
      }
    },
  },
});
