// 加入社区: pick a community, then a grid (or none yet), then join. Members come here to
// move to another grid of their own community; the server refuses another community (409).
// ?from=task: a shared task sent a non-member here; 完成 goes back to it (it reloads on show).

const api = require('../../utils/api');
const profile = require('../../utils/profile');

const PAGE_SIZE = 20;

Component({
  data: {
    loading: true,
    error: '',
    q: '',
    communities: [],
    nextCursor: null,
    loadingMore: false,
    current: null, // { communityId, community, grid } of an existing membership
    selected: null, // { id, name }
    grids: [],
    gridsCursor: null,
    gridsLoading: false,
    gridsError: '',
    gridId: 0, // 0 = 暂不选择网格
    joining: false,
    joinError: '',
    result: null,
    backToTask: false,
  },
  methods: {
    async onLoad(query) {
      if (query && query.from === 'task') this.setData({ backToTask: true });
      this.setData({ loading: true, error: '' });
      try {
        const [me, page] = await Promise.all([
          profile.get(),
          api.listCommunities({ limit: PAGE_SIZE }),
        ]);
        const m = me.membership;
        this.setData({
          loading: false,
          communities: page.items,
          nextCursor: page.next_cursor,
          current: m
            ? {
                communityId: m.community.id,
                community: m.community.name,
                grid: m.grid ? m.grid.name : '',
              }
            : null,
        });
        if (m) {
          await this.select(m.community.id, m.community.name, m.grid ? m.grid.id : 0);
        }
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.onLoad({ from: this.data.backToTask ? 'task' : '' });
    },
    onSearchInput(e) {
      this.setData({ q: e.detail.value });
    },
    async onSearch() {
      const q = this.data.q.trim();
      this.setData({ loading: true, error: '' });
      try {
        const page = await api.listCommunities({ limit: PAGE_SIZE, q: q || null });
        this.setData({ loading: false, communities: page.items, nextCursor: page.next_cursor });
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    async loadMore() {
      if (!this.data.nextCursor || this.data.loadingMore) return;
      this.setData({ loadingMore: true });
      try {
        const q = this.data.q.trim();
        const page = await api.listCommunities({
          limit: PAGE_SIZE,
          cursor: this.data.nextCursor,
          q: q || null,
        });
        this.setData({
          communities: this.data.communities.concat(page.items),
          nextCursor: page.next_cursor,
        });
      } catch (err) {
        api.showError(err, { onRetry: () => this.loadMore() });
      } finally {
        this.setData({ loadingMore: false });
      }
    },
    chooseCommunity(e) {
      const { id, name } = e.currentTarget.dataset;
      const current = this.data.current;
      const gridId = current && current.communityId === id ? this.data.gridId : 0;
      this.select(id, name, gridId);
    },
    async select(id, name, gridId) {
      this.setData({
        selected: { id, name },
        grids: [],
        gridsCursor: null,
        gridsError: '',
        gridId: gridId || 0,
        joinError: '',
      });
      await this.loadGrids();
    },
    async loadGrids() {
      const selected = this.data.selected;
      if (!selected) return;
      this.setData({ gridsLoading: true, gridsError: '' });
      try {
        const page = await api.listGrids(selected.id, {
          limit: 100,
          cursor: this.data.gridsCursor,
        });
        this.setData({
          grids: this.data.grids.concat(page.items),
          gridsCursor: page.next_cursor,
          gridsLoading: false,
        });
      } catch (err) {
        this.setData({ gridsLoading: false, gridsError: api.errorMessage(err) });
      }
    },
    chooseGrid(e) {
      this.setData({ gridId: Number(e.currentTarget.dataset.id) || 0, joinError: '' });
    },
    async join() {
      const selected = this.data.selected;
      if (!selected || this.data.joining) return;
      this.setData({ joining: true, joinError: '' });
      try {
        const membership = await api.joinCommunity(selected.id, this.data.gridId || null);
        // Every page reloads the profile next time it shows.
        profile.clear();
        this.setData({
          result: {
            community: membership.community.name,
            grid: membership.grid ? membership.grid.name : '',
          },
        });
        wx.showToast({ title: '加入成功', icon: 'success' });
      } catch (err) {
        if (err instanceof api.ApiError && err.isNetwork) {
          api.showError(err, { onRetry: () => this.join() });
        } else {
          // Refusals (已加入其他社区, 网格不属于该社区 …) stay on screen next to the button.
          this.setData({ joinError: api.errorMessage(err) });
        }
      } finally {
        this.setData({ joining: false });
      }
    },
    done() {
      wx.navigateBack({ delta: 1 });
    },
  },
});
