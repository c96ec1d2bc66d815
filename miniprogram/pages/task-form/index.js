// 发布任务 / 编辑任务 (?id=): title, description, start and end, place, capacity, reward (a
// point item or points per hour with a cap), audience and the sign-up deadline. A 422's
// messages show beside their fields; after saving, the task is shown. Once the task has
// started (?wording=1 from 修改文字, or edits_close_at passed) only the wording is editable.

const api = require('../../utils/api');
const profile = require('../../utils/profile');
const { formErrors } = require('../../utils/form-errors');
const tf = require('../../utils/task-form');

// Point items a task can reward: active, earning, with a value today.
function itemChoices(page) {
  return page.items
    .filter((i) => i.active && i.direction === 'earn' && i.points !== null)
    .map((i) => ({ id: i.id, label: `${i.name}（${i.points} 分）` }));
}

Component({
  data: {
    id: null,
    loading: true,
    error: '',
    form: tf.emptyForm(),
    items: [],
    itemIndex: -1,
    grids: [],
    gridIndex: -1,
    audiences: tf.AUDIENCES,
    partyKinds: tf.PARTY_KINDS,
    rewardKinds: tf.REWARD_KINDS,
    errors: {},
    formError: '',
    submitting: false,
    wording: false,
  },
  methods: {
    onLoad(query) {
      const id = query && query.id ? Number(query.id) : null;
      this._askedWording = !!(id && query.wording === '1');
      this.setData({ id, wording: this._askedWording });
      if (id && wx.setNavigationBarTitle) wx.setNavigationBarTitle({ title: '编辑任务' });
      this.load();
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const me = await profile.get();
        const [items, grids, task] = await Promise.all([
          api.listPointItems({ limit: 100 }),
          api.listGrids(me.membership.community.id, { limit: 100 }),
          this.data.id ? api.getTask(this.data.id) : null,
        ]);
        const form = task ? tf.formFromTask(task) : tf.emptyForm();
        const wording = this._askedWording || tf.started(task);
        if (wording && wx.setNavigationBarTitle) wx.setNavigationBarTitle({ title: '修改文字' });
        this._before = task ? tf.bodyOf(form) : null;
        const choices = itemChoices(items);
        const gridList = grids.items.map((g) => ({ id: g.id, name: g.name }));
        this.setData({
          loading: false,
          wording,
          form,
          items: choices,
          itemIndex: choices.findIndex((i) => i.id === form.itemId),
          grids: gridList,
          gridIndex: gridList.findIndex((g) => g.id === form.gridId),
        });
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    // Inputs and pickers carry data-field (the form's key) and data-error (the API field).
    onField(e) {
      const { field, error } = e.currentTarget.dataset;
      if (this.data.wording && !tf.WORDING_INPUTS.includes(field)) return;
      this.setData({ [`form.${field}`]: e.detail.value, [`errors.${error || field}`]: '' });
    },
    // Pickers set only the rules, fixed once the task has started.
    onPick(e) {
      if (this.data.wording) return;
      const { field, error } = e.currentTarget.dataset;
      this.setData({ [`form.${field}`]: Number(e.detail.value), [`errors.${error}`]: '' });
    },
    onItem(e) {
      if (this.data.wording) return;
      const index = Number(e.detail.value);
      const item = this.data.items[index];
      this.setData({ itemIndex: index, 'form.itemId': item.id, 'errors.point_item_id': '' });
    },
    onGrid(e) {
      if (this.data.wording) return;
      const index = Number(e.detail.value);
      const grid = this.data.grids[index];
      this.setData({ gridIndex: index, 'form.gridId': grid.id, 'errors.audience_grid_id': '' });
    },
    clearDeadline() {
      if (this.data.wording) return;
      this.setData({ 'form.deadlineDate': '', 'form.deadlineTime': '' });
    },
    async submit() {
      if (this.data.submitting) return;
      const { form, wording } = this.data;
      const body = tf.bodyOf(form);
      const errors = tf.check(form, body, { wording });
      if (Object.keys(errors).length) {
        this.setData({ errors, formError: '' });
        return;
      }
      const editing = !!this.data.id;
      // After the start a PATCH carries the wording alone, whatever else the form holds.
      const after = wording ? tf.wordingOf(body) : body;
      const changes = editing ? tf.changesBetween(this._before, after) : body;
      if (editing && !Object.keys(changes).length) {
        wx.navigateBack();
        return;
      }
      this.setData({ submitting: true, errors: {}, formError: '' });
      try {
        const task = editing
          ? await api.editTask(this.data.id, changes)
          : await api.createTask(body);
        wx.showToast({ title: editing ? '已保存' : '已发布', icon: 'success' });
        // An edit returns to 组织者管理, which reads the task again; a new task opens.
        if (editing) wx.navigateBack();
        else wx.redirectTo({ url: `/pages/task-detail/index?id=${task.id}` });
      } catch (err) {
        const named = err && err.details && err.details.field;
        const codeFields = Object.assign({}, tf.CODE_FIELDS, named ? { [err.code]: named } : {});
        const { fields, message } = formErrors(err, codeFields);
        this.setData({ errors: fields, formError: message });
        if (err && err.isNetwork) api.showError(err, { onRetry: () => this.submit() });
      } finally {
        this.setData({ submitting: false });
      }
    },
  },
});
