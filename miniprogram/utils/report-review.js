// The community's own steps on a report (reviewers and admins, from 问题处理): release a
// flagged text to its handlers or reject it with a reason, and close a report not yet
// accepted as a duplicate of another. Mixed into report-detail next to report-steps.js's
// handler steps, which the community may take too.

const api = require('./api');
const { askReason } = require('./report-steps');

// Refusals of the duplicate panel that are about the other report's number.
const DUPLICATE_CODES = {
  invalid_duplicate_target: 'duplicate_of_id',
  report_not_found: 'duplicate_of_id',
};

// What the community may do beyond a grid handler's steps, from a report's status.
function communitySteps(status) {
  return {
    release: status === 'in_review',
    reject: status === 'in_review',
    duplicate: status === 'submitted',
  };
}

const NO_COMMUNITY_STEPS = communitySteps('');

function askConfirm(title, content, confirmText) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content,
      confirmText,
      success: (res) => resolve(!!(res && res.confirm)),
      fail: () => resolve(false),
    });
  });
}

const communityMethods = {
  async release() {
    const ok = await askConfirm(
      '放行内容',
      '内容无问题：问题进入处理队列，受理和办结时限开始计时。',
      '放行'
    );
    if (ok) this.step('release', () => api.releaseReport(this.data.id), '已放行');
  },
  async rejectContent() {
    const reason = await askReason('驳回上报', '驳回原因（上报人会看到）');
    if (reason) {
      this.step('reject', () => api.rejectReport(this.data.id, { reason }), '已驳回');
    }
  },
  onDuplicateOf(e) {
    this.setData({ duplicateOf: e.detail.value, 'errors.duplicate_of_id': '' });
  },
  duplicate() {
    const raw = String(this.data.duplicateOf || '').trim();
    const original = Number(raw);
    let problem = '';
    if (!/^\d+$/.test(raw) || original < 1) problem = '请填写重复的问题编号';
    else if (original === this.data.id) problem = '不能标记为自己的重复';
    if (problem) return this.setData({ 'errors.duplicate_of_id': problem });
    const body = { duplicate_of_id: original };
    const codes = Object.assign({}, this.codeFields, DUPLICATE_CODES);
    return this.step(
      'duplicate',
      () => api.duplicateReport(this.data.id, body),
      '已标记为重复',
      codes
    );
  },
};

module.exports = { communitySteps, NO_COMMUNITY_STEPS, communityMethods, DUPLICATE_CODES };
