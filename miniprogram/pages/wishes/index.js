// 微心愿: the community's wish board (names masked), my wishes, and the wishes I claimed.

const api = require('../../utils/api');
const { paged, empty, listMethods } = require('../../utils/paged');
const { wishView } = require('../../utils/wishes');

const SCOPES = [
  { key: 'board', name: '心愿墙', empty: '暂时没有待认领的心愿' },
  { key: 'mine', name: '我的心愿', empty: '还没有许过心愿' },
  { key: 'claimed', name: '我认领的', empty: '还没有认领过心愿' },
];

Component({
  data: { scopes: SCOPES, scope: 'board', emptyText: SCOPES[0].empty, wishes: empty() },
  methods: Object.assign(listMethods(), {
    onLoad(query) {
      const scope = SCOPES.some((s) => s.key === (query && query.scope)) ? query.scope : 'board';
      this.setData({ scope, emptyText: SCOPES.find((s) => s.key === scope).empty });
      this.list = paged(
        this,
        'wishes',
        (cursor) => api.listWishes({ scope: this.data.scope, limit: 20, cursor }),
        wishView
      );
      this.list.reload();
    },
    onShow() {
      if (this.list && this.data.wishes.loaded) this.list.reload();
    },
    setScope(e) {
      const { key } = e.currentTarget.dataset;
      if (key === this.data.scope) return;
      this.setData({ scope: key, emptyText: SCOPES.find((s) => s.key === key).empty });
      this.list.reload();
    },
    open(e) {
      wx.navigateTo({ url: `/pages/wish-detail/index?id=${e.currentTarget.dataset.id}` });
    },
    newWish() {
      wx.navigateTo({ url: '/pages/wish-form/index' });
    },
  }),
});
