// A cursor-paginated list on a page: first load, 加载更多, and the states in between.
// Lives in the page's data under `key` as {items, cursor, more, loading, error, loaded}.

const api = require('./api');

function empty() {
  return { items: [], cursor: null, more: false, loading: false, error: '', loaded: false };
}

// fetchPage(cursor) -> a page {items, next_cursor}; mapItem turns an item into what the
// view shows. Returns {reload, loadMore}, bound to the component.
function paged(component, key, fetchPage, mapItem = (x) => x) {
  let seq = 0;
  const state = () => component.data[key] || empty();

  async function load(reset) {
    const current = state();
    if (!reset && (current.loading || !current.more)) return;
    seq += 1;
    const mine = seq;
    component.setData({
      [`${key}.loading`]: true,
      [`${key}.error`]: '',
    });
    try {
      const page = await fetchPage(reset ? null : current.cursor);
      if (mine !== seq) return; // a newer reload answered first
      const items = (page.items || []).map(mapItem);
      component.setData({
        [key]: {
          items: reset ? items : current.items.concat(items),
          cursor: page.next_cursor || null,
          more: !!page.next_cursor,
          loading: false,
          error: '',
          loaded: true,
        },
      });
    } catch (err) {
      if (mine !== seq) return;
      component.setData({
        [`${key}.loading`]: false,
        [`${key}.error`]: api.errorMessage(err),
        [`${key}.loaded`]: true,
      });
    }
  }

  return { reload: () => load(true), loadMore: () => load(false) };
}

// The page methods of a page that is one paged list, kept in `this.list` by its onLoad:
// pull down reloads, the bottom and 加载更多 load the next page, 重试 reloads.
// Mixed in with Object.assign(listMethods(), {...}) like photoMethods; a page that reloads
// more than its list on pull-down defines its own onPullDownRefresh in that object.
function listMethods() {
  return {
    async onPullDownRefresh() {
      await this.list.reload();
      wx.stopPullDownRefresh();
    },
    onReachBottom() {
      this.list.loadMore();
    },
    loadMore() {
      this.list.loadMore();
    },
    retry() {
      this.list.reload();
    },
  };
}

module.exports = { paged, empty, listMethods };
