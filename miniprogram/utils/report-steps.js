// The steps a grid worker (or the community) takes on a report, as page methods: accept,
// wait for the reporter, resume, resolve (note and photos), transfer (grid and reason) and
// escalate. Each answer replaces the report on screen; refusals say why.

const api = require('./api');
const profile = require('./profile');
const { formErrors } = require('./form-errors');

// Ask for a reason in a modal; resolves to the trimmed text, or null when cancelled or empty.
function askReason(title, placeholderText) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      editable: true,
      placeholderText,
      confirmText: '提交',
      success: (res) => {
        const reason = res && res.confirm ? String(res.content || '').trim() : '';
        if (res && res.confirm && !reason) wx.showToast({ title: '请填写原因', icon: 'none' });
        resolve(reason ? reason.slice(0, 200) : null);
      },
      fail: () => resolve(null),
    });
  });
}

const handlerMethods = {
  // `codeFields` maps refusal codes to the open panel's fields (default: the page's own).
  async step(name, call, done, codeFields) {
    if (this.data.acting) return;
    this.setData({ acting: name });
    try {
      const report = await call();
      this.show(report);
      this.setData({ panel: '', photos: [], errors: {} });
      wx.showToast({ title: done, icon: 'none' });
    } catch (err) {
      if (this.data.panel) {
        const { fields, message } = formErrors(err, codeFields || this.codeFields || {});
        this.setData({ errors: fields, formError: message });
      } else {
        api.showError(err);
      }
    } finally {
      this.setData({ acting: '' });
    }
  },
  accept() {
    this.step('accept', () => api.acceptReport(this.data.id), '已受理');
  },
  async wait() {
    const reason = await askReason('等待上报人', '需要上报人补充什么（上报人会看到）');
    if (reason) this.step('wait', () => api.waitReport(this.data.id, { reason }), '已暂停计时');
  },
  resume() {
    this.step('resume', () => api.resumeReport(this.data.id, {}), '已恢复处理');
  },
  async escalate() {
    const reason = await askReason('上报社区', '为什么需要社区处理');
    if (reason) this.step('escalate', () => api.escalateReport(this.data.id, { reason }), '已上报社区');
  },
  openPanel(e) {
    const { panel } = e.currentTarget.dataset;
    this.setData({ panel, errors: {}, formError: '', note: '', reason: '', gridIndex: -1 });
    if (panel === 'transfer' && !this.data.grids.length) this.loadGrids();
  },
  closePanel() {
    this.setData({ panel: '', errors: {}, formError: '' });
  },
  async loadGrids() {
    try {
      const me = await profile.get();
      const page = await api.listGrids(me.membership.community.id, { limit: 100 });
      const grids = page.items.filter((g) => g.id !== this.data.report.gridId);
      this.setData({ grids: grids.map((g) => ({ id: g.id, name: g.name })) });
    } catch (err) {
      this.setData({ formError: api.errorMessage(err) });
    }
  },
  onGrid(e) {
    this.setData({ gridIndex: Number(e.detail.value), 'errors.grid_id': '' });
  },
  onNote(e) {
    this.setData({ note: e.detail.value, 'errors.note': '' });
  },
  onReason(e) {
    this.setData({ reason: e.detail.value, 'errors.reason': '' });
  },
  resolve() {
    const note = this.data.note.trim();
    const errors = {};
    if (!note) errors.note = '请填写处理情况';
    const photos = this.photosProblem();
    if (photos) errors.photo_ids = photos;
    if (Object.keys(errors).length) return this.setData({ errors });
    const body = { note, photo_ids: this.photoIds() };
    return this.step('resolve', () => api.resolveReport(this.data.id, body), '已办结');
  },
  transfer() {
    const grid = this.data.grids[this.data.gridIndex];
    const reason = this.data.reason.trim();
    const errors = {};
    if (!grid) errors.grid_id = '请选择转给哪个网格';
    if (!reason) errors.reason = '请填写转派原因';
    if (Object.keys(errors).length) return this.setData({ errors });
    const body = { grid_id: grid.id, reason };
    return this.step('transfer', () => api.transferReport(this.data.id, body), '已转派');
  },
};

module.exports = { askReason, handlerMethods };
