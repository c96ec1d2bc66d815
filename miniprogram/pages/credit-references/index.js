// 信用证明: issue a time-limited reference of my points standing for the bank (or, opened
// with ?organisation_id= / ?merchant_id=, of my organisation's or shop's); its serial and check
// code show once, right after issue (the server keeps only a digest of the code). Below, every
// reference with each check the bank made, and 撤销 for the live ones.

const api = require('../../utils/api');
const { paged, empty, listMethods } = require('../../utils/paged');
const { VALIDITY_DAYS, referenceView } = require('../../utils/credit-api');
const format = require('../../utils/format');

function holderOf(options) {
  const o = options || {};
  if (o.organisation_id) return { organisation_id: Number(o.organisation_id) };
  if (o.merchant_id) return { merchant_id: Number(o.merchant_id) };
  return {};
}

Component({
  data: {
    validityChoices: VALIDITY_DAYS,
    validDays: 30,
    issued: null,
    busy: false,
    error: '',
    refs: empty(),
  },
  methods: Object.assign(listMethods(), {
    onLoad(options) {
      this.holder = holderOf(options);
      this.list = paged(
        this,
        'refs',
        (cursor) =>
          api.listCreditReferences(Object.assign({ limit: 20, cursor }, this.holder)),
        referenceView
      );
      this.list.reload();
    },
    pickValidity(e) {
      this.setData({ validDays: Number(e.currentTarget.dataset.days) });
    },
    async issue() {
      if (this.data.busy) return;
      this.setData({ busy: true, error: '' });
      try {
        const r = await api.issueCreditReference(this.data.validDays, this.holder);
        this.setData({
          issued: {
            serial: r.serial,
            code: r.check_code,
            url: r.check_url,
            validUntil: format.dateTime(r.valid_until),
          },
        });
        this.list.reload();
      } catch (err) {
        if (err && err.isNetwork) api.showError(err, { onRetry: () => this.issue() });
        else this.setData({ error: api.errorMessage(err) });
      } finally {
        this.setData({ busy: false });
      }
    },
    copyIssued() {
      const i = this.data.issued;
      if (!i) return;
      wx.setClipboardData({
        data: `信用证明编号：${i.serial}\n核验码：${i.code}\n核验网址：${i.url}\n有效期至：${i.validUntil}`,
      });
    },
    // The code is gone from the screen (and from memory) once dismissed: it is never shown again.
    dismissIssued() {
      this.setData({ issued: null });
    },
    revoke(e) {
      const id = Number(e.currentTarget.dataset.id);
      wx.showModal({
        title: '撤销信用证明',
        content: '撤销后银行将无法再核验这份证明，且不能恢复。确定撤销吗？',
        confirmText: '撤销',
        success: (res) => {
          if (res && res.confirm) this.doRevoke(id);
        },
      });
    },
    async doRevoke(id) {
      try {
        const r = referenceView(await api.revokeCreditReference(id));
        const index = this.data.refs.items.findIndex((item) => item.id === id);
        if (index >= 0) this.setData({ [`refs.items[${index}]`]: r });
        wx.showToast({ title: '已撤销', icon: 'success' });
      } catch (err) {
        api.showError(err, { onRetry: () => this.doRevoke(id) });
      }
    },
  }),
});
