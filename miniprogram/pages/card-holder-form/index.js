// 登记持卡居民: name, building and unit, an optional phone, a 4-6 digit PIN typed twice, and
// the grid when there is a choice (office staff of a community with several grids, a
// worker of several grids). A 422 is shown beside its field; then the holder's page opens.

const api = require('../../utils/api');
const profile = require('../../utils/profile');
const { formErrors } = require('../../utils/form-errors');
const { STAFF_ROLES, PHONE, pinProblem } = require('../../utils/card-holders');

const CODE_FIELDS = {
  invalid_pin: 'pin',
  weak_pin: 'pin',
  invalid_phone: 'phone',
  name_and_building_required: 'real_name',
  grid_required: 'grid_id',
  unknown_grid: 'grid_id',
  not_grid_worker_of_grid: 'grid_id',
};
const NO_GRID = { id: null, name: '不分配网格（仅社区工作人员可代办）' };

// The grids to choose from ([] for no picker) and the grid sent without one.
async function gridChoice(me) {
  const staff = (me.roles || []).some((r) => STAFF_ROLES.indexOf(r) >= 0);
  const own = (me.role_grants || [])
    .filter((g) => g.role === 'grid_worker' && g.grid_id)
    .map((g) => g.grid_id);
  if (!staff && own.length < 2) return { grids: [], fallback: null }; // the server knows it
  const page = await api.listGrids(me.membership.community.id, { limit: 100 });
  let grids = page.items.map((g) => ({ id: g.id, name: g.name }));
  if (!staff) grids = grids.filter((g) => own.indexOf(g.id) >= 0);
  if (grids.length === 1) return { grids: [], fallback: grids[0].id };
  return { grids: staff && grids.length ? grids.concat([NO_GRID]) : grids, fallback: null };
}

Component({
  data: {
    loading: true,
    error: '',
    real_name: '',
    building: '',
    unit: '',
    phone: '',
    pin: '',
    pin2: '',
    grids: [],
    gridIndex: -1,
    errors: {},
    formError: '',
    submitting: false,
  },
  methods: {
    onLoad() {
      this.load();
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const { grids, fallback } = await gridChoice(await profile.get());
        this.fallbackGrid = fallback;
        this.setData({ loading: false, grids });
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    onField(e) {
      const { field } = e.currentTarget.dataset;
      this.setData({ [field]: e.detail.value, [`errors.${field}`]: '', formError: '' });
    },
    onGrid(e) {
      this.setData({ gridIndex: Number(e.detail.value), 'errors.grid_id': '' });
    },
    check() {
      const d = this.data;
      const errors = {};
      if (!d.real_name.trim()) errors.real_name = '请填写居民姓名';
      if (!d.building.trim()) errors.building = '请填写楼栋';
      if (d.phone.trim() && !PHONE.test(d.phone.trim())) errors.phone = '手机号格式不正确';
      Object.assign(errors, pinProblem(d.pin, d.pin2));
      if (d.grids.length && d.gridIndex < 0) errors.grid_id = '请选择所在网格';
      return errors;
    },
    body() {
      const d = this.data;
      const body = {
        real_name: d.real_name.trim(),
        building: d.building.trim(),
        unit: d.unit.trim(),
        pin: d.pin,
      };
      if (d.phone.trim()) body.phone = d.phone.trim();
      const grid = d.grids.length ? d.grids[d.gridIndex].id : this.fallbackGrid;
      if (grid) body.grid_id = grid;
      return body;
    },
    async submit() {
      if (this.data.submitting) return;
      const errors = this.check();
      if (Object.keys(errors).length) {
        this.setData({ errors, formError: '' });
        return;
      }
      this.setData({ submitting: true, errors: {}, formError: '' });
      // One key per form: a retry after a timeout registers the resident once.
      if (!this.key) this.key = api.newIdempotencyKey();
      try {
        const holder = await api.createCardHolder(this.body(), this.key);
        this.setData({ pin: '', pin2: '' });
        wx.showToast({ title: '登记成功', icon: 'success' });
        wx.redirectTo({ url: `/pages/card-holder/index?id=${holder.id}&created=1` });
      } catch (err) {
        const { fields, message } = formErrors(err, CODE_FIELDS);
        this.setData({ errors: fields, formError: message });
        if (err && err.isNetwork) api.showError(err, { onRetry: () => this.submit() });
        else this.key = null;
      } finally {
        this.setData({ submitting: false });
      }
    },
  },
});
