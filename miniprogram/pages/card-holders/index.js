// 代办 (grid workers, reviewers, admins): the card holders I may act for, found by a part of
// the name (masked names, building and unit, grid, the card's last four characters, 已锁定),
// and 登记持卡居民 for a resident without a smartphone.

const api = require('../../utils/api');
const { paged, empty, listMethods } = require('../../utils/paged');
const { holderView } = require('../../utils/card-holders');

Component({
  data: {
    keyword: '',
    q: '',
    holders: empty(),
  },
  methods: Object.assign(listMethods(), {
    onLoad() {
      this.list = paged(
        this,
        'holders',
        (cursor) => api.listCardHolders({ q: this.data.q, limit: 20, cursor }),
        holderView
      );
      this.list.reload();
    },
    onShow() {
      // Back from registering or from a holder's page (unlocked, card replaced).
      if (this.list && this.data.holders.loaded) this.list.reload();
    },
    onKeyword(e) {
      this.setData({ keyword: e.detail.value });
    },
    search() {
      this.setData({ q: this.data.keyword.trim().slice(0, 32) });
      this.list.reload();
    },
    open(e) {
      wx.navigateTo({ url: `/pages/card-holder/index?id=${e.currentTarget.dataset.id}` });
    },
    register() {
      wx.navigateTo({ url: '/pages/card-holder-form/index' });
    },
  }),
});
