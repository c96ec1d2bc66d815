// One wish. Party members and the staff of organisations and shops claim it (choosing on
// whose behalf when they can act for several), hand it back, or report it fulfilled with a
// note and photos; the resident who posted it confirms and thanks, or withdraws it.

const api = require('../../utils/api');
const profile = require('../../utils/profile');
const { wishView, claimOptions } = require('../../utils/wishes');
const { photoMethods } = require('../../utils/photo-upload');
const { photoSlots, loadPhotos, previewMethod } = require('../../utils/photo-view');
const { formErrors } = require('../../utils/form-errors');

Component({
  data: {
    id: 0,
    loading: true,
    error: '',
    wish: null,
    wishPhotos: [],
    fulfilPhotos: [],
    options: [],
    acting: false,
    fulfilling: false,
    note: '',
    thanks: '',
    photos: [],
    maxPhotos: 9,
    errors: {},
    formError: '',
  },
  methods: Object.assign(photoMethods(9), {
    onLoad(query) {
      this.setData({ id: Number(query.id) });
      this.load();
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const [raw, me] = await Promise.all([api.getWish(this.data.id), profile.get()]);
        this.setData({ loading: false, options: claimOptions(me) });
        this.show(raw);
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    show(raw) {
      this.setData({
        wish: wishView(raw),
        wishPhotos: photoSlots(raw.photos),
        fulfilPhotos: photoSlots(raw.fulfilment ? raw.fulfilment.photos : []),
      });
      loadPhotos(this, 'wishPhotos').then(() => loadPhotos(this, 'fulfilPhotos'));
    },
    preview: previewMethod('wishPhotos'),
    // One key per tap; a retry after a lost answer reuses it inside api.call.
    async act(call, done) {
      if (this.data.acting) return;
      this.setData({ acting: true });
      try {
        this.show(await call());
        this.setData({ fulfilling: false, photos: [], errors: {}, formError: '' });
        wx.showToast({ title: done, icon: 'none' });
      } catch (err) {
        if (this.data.fulfilling || this.data.wish.canConfirm) {
          const { fields, message } = formErrors(err, { photo_required: 'photo_ids' });
          this.setData({ errors: fields, formError: message });
        } else {
          api.showError(err);
        }
      } finally {
        this.setData({ acting: false });
      }
    },
    claim() {
      const { options } = this.data;
      if (!options.length) {
        wx.showModal({
          title: '暂不能认领',
          content: '党员或驻区单位、信用店铺的工作人员可以认领',
          showCancel: false,
        });
        return;
      }
      const go = (option) => this.act(() => api.claimWish(this.data.id, option.body), '已认领');
      if (options.length === 1) {
        go(options[0]);
        return;
      }
      wx.showActionSheet({
        itemList: options.map((o) => o.label),
        success: (res) => options[res.tapIndex] && go(options[res.tapIndex]),
      });
    },
    handBack() {
      wx.showModal({
        title: '退回心愿',
        editable: true,
        placeholderText: '退回原因（选填）',
        confirmText: '退回',
        success: (res) => {
          if (!res || !res.confirm) return;
          const reason = String(res.content || '').trim().slice(0, 200);
          const body = reason ? { reason } : {};
          this.act(() => api.handBackWish(this.data.id, body), '心愿已退回');
        },
      });
    },
    startFulfil() {
      this.setData({ fulfilling: true, errors: {}, formError: '' });
    },
    cancelFulfil() {
      this.setData({ fulfilling: false });
    },
    onField(e) {
      const { field } = e.currentTarget.dataset;
      this.setData({ [field]: e.detail.value, [`errors.${field}`]: '' });
    },
    fulfil() {
      const errors = {};
      if (!this.data.note.trim()) errors.note = '请填写完成情况';
      if (!this.data.photos.length) errors.photo_ids = '请上传至少一张完成照片';
      const photos = this.photosProblem();
      if (photos) errors.photo_ids = photos;
      if (Object.keys(errors).length) return this.setData({ errors });
      const body = { note: this.data.note.trim(), photo_ids: this.photoIds() };
      return this.act(() => api.fulfilWish(this.data.id, body), '已提交完成情况');
    },
    confirm() {
      const thanks = this.data.thanks.trim().slice(0, 200);
      const body = thanks ? { thanks } : {};
      this.act(() => api.confirmWish(this.data.id, body), '已确认送达');
    },
    cancel() {
      wx.showModal({
        title: '撤回心愿',
        content: '撤回后心愿不再显示在心愿墙上。',
        confirmText: '撤回',
        success: (res) => {
          if (res && res.confirm) this.act(() => api.cancelWish(this.data.id), '已撤回');
        },
      });
    },
  }),
});
