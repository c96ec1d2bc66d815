// 登记服务 (grid workers): the service item, the resident served (found by a masked name
// search inside the worker's grid, optional), duration, place, time, notes and photos.

const api = require('../../utils/api');
const format = require('../../utils/format');
const profile = require('../../utils/profile');
const { photoMethods } = require('../../utils/photo-upload');
const { formErrors } = require('../../utils/form-errors');

const CODE_FIELDS = {
  served_at_in_future: 'served_at',
  served_at_too_old: 'served_at',
  place_required: 'place',
  resident_not_in_grid: 'resident_id',
  cannot_serve_self: 'resident_id',
  service_item_inactive: 'item_id',
  grid_required: 'grid_id',
  not_grid_worker_of_grid: 'grid_id',
};

// The grids the caller works (GET /me's grants), named from the community's grid list when
// there is more than one to choose from; the server picks the only one otherwise.
async function workerGrids() {
  const me = await profile.get();
  const ids = (me.role_grants || [])
    .filter((g) => g.role === 'grid_worker' && g.grid_id)
    .map((g) => g.grid_id);
  if (ids.length < 2) return [];
  const page = await api.listGrids(me.membership.community.id, { limit: 100 });
  return page.items.filter((g) => ids.indexOf(g.id) >= 0).map((g) => ({ id: g.id, name: g.name }));
}

function nowTime() {
  return format.time(Date.now());
}

Component({
  data: {
    loading: true,
    error: '',
    items: [],
    itemIndex: -1,
    item: null,
    grids: [],
    gridIndex: -1,
    keyword: '',
    matches: [],
    searched: false,
    resident: null,
    minutes: '30',
    place: '',
    date: '',
    time: '',
    today: '',
    notes: '',
    photos: [],
    maxPhotos: 9,
    errors: {},
    formError: '',
    submitting: false,
  },
  methods: Object.assign(photoMethods(9), {
    onLoad() {
      const today = format.today();
      this.setData({ today, date: today, time: nowTime() });
      this.loadItems();
    },
    async loadItems() {
      this.setData({ loading: true, error: '' });
      try {
        const [page, grids] = await Promise.all([
          api.listServiceItems({ limit: 100 }),
          workerGrids(),
        ]);
        const items = page.items
          .filter((i) => i.active)
          .map((i) => ({
            id: i.id,
            label: `${i.name}（${i.points} 分${i.rule === 'review' ? '，需审核' : ''}）`,
          }));
        this.setData({ loading: false, items, grids });
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.loadItems();
    },
    onItem(e) {
      const index = Number(e.detail.value);
      this.setData({ itemIndex: index, item: this.data.items[index], 'errors.item_id': '' });
    },
    onGrid(e) {
      // Residents are searched inside the chosen grid: a resident found before may not be in it.
      const gridIndex = Number(e.detail.value);
      this.setData({ gridIndex, resident: null, matches: [], 'errors.grid_id': '' });
    },
    gridId() {
      const grid = this.data.grids[this.data.gridIndex];
      return grid ? grid.id : null;
    },
    onKeyword(e) {
      this.setData({ keyword: e.detail.value });
    },
    async search() {
      const q = this.data.keyword.trim().slice(0, 32);
      if (!q) return;
      try {
        const query = { q, limit: 20 };
        if (this.gridId()) query.grid_id = this.gridId();
        const page = await api.searchGridResidents(query);
        this.setData({ matches: page.items, searched: true, 'errors.resident_id': '' });
      } catch (err) {
        this.setData({ 'errors.resident_id': api.errorMessage(err) });
      }
    },
    pickResident(e) {
      const resident = this.data.matches[e.currentTarget.dataset.index];
      this.setData({ resident, matches: [], searched: false, keyword: '' });
    },
    clearResident() {
      this.setData({ resident: null });
    },
    onField(e) {
      const { field } = e.currentTarget.dataset;
      this.setData({ [field]: e.detail.value, [`errors.${field}`]: '' });
    },
    onDate(e) {
      this.setData({ date: e.detail.value, 'errors.served_at': '' });
    },
    onTime(e) {
      this.setData({ time: e.detail.value, 'errors.served_at': '' });
    },
    check() {
      const errors = {};
      const minutes = Number(this.data.minutes);
      if (!this.data.item) errors.item_id = '请选择服务项目';
      if (this.data.grids.length && !this.gridId()) errors.grid_id = '请选择服务的网格';
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
        errors.duration_minutes = '服务时长应为 1 到 1440 分钟';
      }
      if (!this.data.place.trim()) errors.place = '请填写服务地点';
      const photos = this.photosProblem();
      if (photos) errors.photo_ids = photos;
      return errors;
    },
    async submit() {
      if (this.data.submitting) return;
      const errors = this.check();
      if (Object.keys(errors).length) return this.setData({ errors, formError: '' });
      this.setData({ submitting: true, errors: {}, formError: '' });
      const body = {
        item_id: this.data.item.id,
        grid_id: this.gridId(),
        resident_id: this.data.resident ? this.data.resident.id : null,
        duration_minutes: Number(this.data.minutes),
        served_at: `${this.data.date}T${this.data.time}:00+08:00`,
        place: this.data.place.trim(),
        notes: this.data.notes.trim(),
        photo_ids: this.photoIds(),
      };
      if (!this.key) this.key = api.newIdempotencyKey();
      try {
        const log = await api.createServiceLog(body, this.key);
        const title = log.status === 'approved' ? `已登记 +${log.points}` : '已提交审核';
        wx.showToast({ title, icon: 'none' });
        wx.navigateBack();
      } catch (err) {
        const { fields, message } = formErrors(err, CODE_FIELDS);
        this.setData({ errors: fields, formError: message });
        if (err && err.isNetwork) api.showError(err, { onRetry: () => this.submit() });
        else this.key = null;
      } finally {
        this.setData({ submitting: false });
      }
      return null;
    },
  }),
});
