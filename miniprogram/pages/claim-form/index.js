// 申报积分: pick an item of the community's catalogue (its points and caps explained), the
// date, a description and up to 9 photos, each uploaded with its progress shown. Opened with
// ?for=<holder id>&name= staff file it for a card holder (代为申报): photos and claim go with
// X-Acting-For, under a banner saying for whom. Opened with ?resubmit=<claim id> (我的申报 →
// 修改后重新提交) it is prefilled from that rejected claim, its reason shown, its photos kept
// unless removed, and files the correction as a new claim (POST …/claims/{id}/resubmit).
// Photos (the 隐私保护指引 first) are utils/photo-upload.js's, sent through this.client.

const api = require('../../utils/api');
const subscribe = require('../../utils/subscribe');
const format = require('../../utils/format');
const { capsText } = require('../../utils/points');
const { actingTarget } = require('../../utils/card-holders');
const { formErrors } = require('../../utils/form-errors');
const { photoMethods } = require('../../utils/photo-upload');

const MAX_PHOTOS = 9;
let photoSeq = 0; // keys of the photos a resubmitted claim keeps

function itemOption(item) {
  return {
    id: item.id,
    label: `${item.name}（${item.points} 分）`,
    name: item.name,
    category: item.category.name,
    points: item.points,
    caps: capsText(item),
  };
}

Component({
  data: {
    loading: true,
    error: '',
    items: [],
    itemIndex: -1,
    item: null,
    date: '',
    today: '',
    description: '',
    photos: [], // {key, path, progress, id, error}
    maxPhotos: MAX_PHOTOS,
    submitting: false,
    formError: '',
    errors: {}, // field -> the server's message, shown beside the field
    acting: null, // {id, name} of the card holder this is filed for
    resubmit: null, // {id, reason} of the rejected claim this corrects
  },
  methods: Object.assign(photoMethods(MAX_PHOTOS), {
    onLoad(query) {
      subscribe.warm(); // the template ids its tap asks for (asked inside the tap)
      const today = format.today();
      const acting = actingTarget(query);
      this.client = acting ? api.actingFor(acting.id) : api;
      const resubmitId = /^\d{1,12}$/.test((query && query.resubmit) || '')
        ? Number(query.resubmit)
        : null;
      this.resubmitId = resubmitId;
      this.setData({ today, date: today, acting });
      this.loadItems();
    },
    async loadItems() {
      this.setData({ loading: true, error: '' });
      try {
        const [page, claim] = await Promise.all([
          api.listPointItems({ limit: 100 }),
          this.resubmitId ? api.getClaim(this.resubmitId) : null,
        ]);
        // Only what a resident can claim: items in force that earn points.
        const items = page.items
          .filter((i) => i.active && i.direction === 'earn' && i.points !== null)
          .map(itemOption);
        if (claim && !claim.resubmittable) {
          this.setData({ loading: false, error: '这条申报已重新提交过或不需要修改' });
          return;
        }
        this.setData({ loading: false, items });
        if (claim) this.prefill(claim);
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    // The rejected claim's fields; its photos are kept (downloaded to be seen) unless removed.
    async prefill(claim) {
      const itemIndex = this.data.items.findIndex((i) => i.id === claim.item.id);
      photoSeq += 1;
      const photos = claim.photos.map((p, i) => ({
        key: `r${photoSeq}-${i}`,
        path: '',
        progress: 100,
        id: p.id,
        error: '',
      }));
      this.setData({
        resubmit: { id: claim.id, reason: claim.decision_reason || '' },
        itemIndex,
        item: this.data.items[itemIndex] || null,
        date: claim.occurred_on,
        description: claim.description,
        photos,
      });
      for (const photo of photos) {
        try {
          this.setPhoto(photo.key, { path: await api.download(photo.id) });
        } catch (err) {
          // Not shown, still kept: the server has it.
        }
      }
    },
    onRetry() {
      this.loadItems();
    },
    onItem(e) {
      const index = Number(e.detail.value);
      this.setData({
        itemIndex: index,
        item: this.data.items[index] || null,
        formError: '',
        'errors.item_id': '',
      });
    },
    onDate(e) {
      this.setData({ date: e.detail.value, formError: '', 'errors.occurred_on': '' });
    },
    onDescription(e) {
      this.setData({ description: e.detail.value, 'errors.description': '' });
    },
    check() {
      if (!this.data.item) return '请选择申报项目';
      if (!this.data.date) return '请选择发生日期';
      if (!this.data.description.trim()) return '请填写申报说明';
      return this.photosProblem();
    },
    async submit() {
      if (this.data.submitting) return;
      const problem = this.check();
      if (problem) {
        this.setData({ formError: problem });
        return;
      }
      // The claimant hears of the decision; a card holder's claim is not the staff's to hear.
      if (!this.data.acting) subscribe.ask('claim');
      this.setData({ submitting: true, formError: '', errors: {} });
      const body = {
        item_id: this.data.item.id,
        occurred_on: this.data.date,
        description: this.data.description.trim().slice(0, 500),
        photo_ids: this.photoIds(),
      };
      // After a timeout the claim may already be filed: 重试 of the same claim sends the same
      // key so the server answers with it instead of filing twice; a changed claim is new.
      const text = JSON.stringify(body);
      if (!this.pendingClaim || this.pendingClaim.body !== text) {
        this.pendingClaim = { body: text, key: api.newIdempotencyKey() };
      }
      const { resubmit } = this.data;
      try {
        if (resubmit) await this.client.resubmitClaim(resubmit.id, body, this.pendingClaim.key);
        else await this.client.createClaim(body, this.pendingClaim.key);
        this.pendingClaim = null;
        wx.showToast({ title: resubmit ? '已重新提交' : '已提交审核', icon: 'success' });
        // The holder's claims are theirs: back to their page, not to my claims; a correction
        // goes back to 我的申报, which reloads.
        if (this.data.acting || resubmit) wx.navigateBack();
        else wx.redirectTo({ url: '/pages/my-claims/index' });
      } catch (err) {
        // cap_reached, duplicate_claim, a too old date…: the server says which, in Chinese.
        if (err && err.isNetwork) {
          this.setData({ formError: api.errorMessage(err) });
          api.showError(err, { onRetry: () => this.submit() });
        } else {
          // A 422 names its fields (shown beside them); cap_reached and the like the whole form.
          const { fields, message } = formErrors(err);
          this.setData({ errors: fields, formError: message });
          this.pendingClaim = null; // refused, so nothing was filed under that key
        }
      } finally {
        this.setData({ submitting: false });
      }
    },
  }),
});
