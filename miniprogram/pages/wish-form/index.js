// 许个心愿: what, by when, where and for whom, with up to 9 photos; a reviewer publishes it.

const api = require('../../utils/api');
const format = require('../../utils/format');
const { photoMethods } = require('../../utils/photo-upload');
const { formErrors } = require('../../utils/form-errors');

const CODE_FIELDS = {
  needed_by_in_past: 'needed_by',
  needed_by_too_far: 'needed_by',
  title_required: 'title',
};

Component({
  data: {
    title: '',
    details: '',
    neededBy: '',
    today: '',
    place: '',
    beneficiary: '',
    photos: [],
    maxPhotos: 9,
    errors: {},
    formError: '',
    submitting: false,
  },
  methods: Object.assign(photoMethods(9), {
    onLoad() {
      this.setData({ today: format.today() });
    },
    onField(e) {
      const { field } = e.currentTarget.dataset;
      this.setData({ [field]: e.detail.value, [`errors.${field}`]: '' });
    },
    onDate(e) {
      this.setData({ neededBy: e.detail.value, 'errors.needed_by': '' });
    },
    check() {
      const errors = {};
      if (!this.data.title.trim()) errors.title = '请填写心愿内容';
      if (!this.data.neededBy) errors.needed_by = '请选择期望完成日期';
      const photos = this.photosProblem();
      if (photos) errors.photo_ids = photos;
      return errors;
    },
    async submit() {
      if (this.data.submitting) return null;
      const errors = this.check();
      if (Object.keys(errors).length) return this.setData({ errors, formError: '' });
      this.setData({ submitting: true, errors: {}, formError: '' });
      const body = {
        title: this.data.title.trim(),
        details: this.data.details.trim(),
        needed_by: this.data.neededBy,
        place: this.data.place.trim(),
        beneficiary: this.data.beneficiary.trim(),
        photo_ids: this.photoIds(),
      };
      if (!this.key) this.key = api.newIdempotencyKey();
      try {
        await api.createWish(body, this.key);
        wx.showToast({ title: '已提交审核', icon: 'none' });
        wx.redirectTo({ url: '/pages/wishes/index?scope=mine' });
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
