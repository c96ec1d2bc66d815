// 随手拍: a problem with its category (photos required when the category says so), a
// description, the place (optionally the phone's location) and up to 9 photos.

const api = require('../../utils/api');
const subscribe = require('../../utils/subscribe');
const { photoMethods } = require('../../utils/photo-upload');
const { formErrors } = require('../../utils/form-errors');

const CODE_FIELDS = {
  photo_required: 'photo_ids',
  coordinates_incomplete: 'place',
  report_category_inactive: 'category_id',
};

Component({
  data: {
    loading: true,
    error: '',
    categories: [],
    categoryIndex: -1,
    category: null,
    text: '',
    place: '',
    location: null,
    photos: [],
    maxPhotos: 9,
    errors: {},
    formError: '',
    submitting: false,
  },
  methods: Object.assign(photoMethods(9), {
    onLoad() {
      subscribe.warm(); // the template ids its tap asks for (asked inside the tap)
      this.loadCategories();
    },
    async loadCategories() {
      this.setData({ loading: true, error: '' });
      try {
        const page = await api.listReportCategories({ limit: 50 });
        const categories = page.items
          .filter((c) => c.active)
          .map((c) => ({ id: c.id, name: c.name, photoRequired: c.photo_required }));
        this.setData({ loading: false, categories });
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.loadCategories();
    },
    onCategory(e) {
      const index = Number(e.detail.value);
      const category = this.data.categories[index] || null;
      this.setData({ categoryIndex: index, category, 'errors.category_id': '' });
    },
    onText(e) {
      this.setData({ text: e.detail.value, 'errors.text': '' });
    },
    onPlace(e) {
      this.setData({ place: e.detail.value, 'errors.place': '' });
    },
    locate() {
      wx.getLocation({
        type: 'gcj02',
        success: (res) =>
          this.setData({ location: { latitude: res.latitude, longitude: res.longitude } }),
        fail: () =>
          wx.showModal({ title: '未能获取位置', content: '可只填写地点', showCancel: false }),
      });
    },
    check() {
      const errors = {};
      if (!this.data.category) errors.category_id = '请选择问题类别';
      if (!this.data.text.trim()) errors.text = '请描述问题';
      if (this.data.category && this.data.category.photoRequired && !this.data.photos.length) {
        errors.photo_ids = '该类别需要上传至少一张照片';
      }
      const photos = this.photosProblem();
      if (photos) errors.photo_ids = photos;
      return errors;
    },
    async submit() {
      if (this.data.submitting) return;
      const errors = this.check();
      if (Object.keys(errors).length) {
        this.setData({ errors, formError: '' });
        return;
      }
      subscribe.ask('report'); // accepted / resolved; never holds the report
      this.setData({ submitting: true, errors: {}, formError: '' });
      const body = {
        category_id: this.data.category.id,
        text: this.data.text.trim(),
        place: this.data.place.trim(),
        photo_ids: this.photoIds(),
      };
      if (this.data.location) Object.assign(body, this.data.location);
      // One key per filled form: a retry after a lost answer does not post twice.
      if (!this.key) this.key = api.newIdempotencyKey();
      try {
        await api.createReport(body, this.key);
        wx.showToast({ title: '已上报', icon: 'success' });
        wx.redirectTo({ url: '/pages/my-reports/index' });
      } catch (err) {
        const { fields, message } = formErrors(err, CODE_FIELDS);
        this.setData({ errors: fields, formError: message });
        if (err && err.isNetwork) api.showError(err, { onRetry: () => this.submit() });
        else this.key = null;
      } finally {
        this.setData({ submitting: false });
      }
    },
  }),
});
