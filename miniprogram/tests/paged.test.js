// The paged-list helper the list pages share (utils/paged.js): the list's states, and the
// page methods every one-list page mixes in.

const { installFakeWx } = require('./helpers/fake-wx');
const api = require('../utils/api');
const { paged, empty, listMethods } = require('../utils/paged');

// A component as far as paged() needs one: data and a setData that understands `a.b` paths.
function component(key) {
  const c = {
    data: { [key]: empty() },
    setData(changes) {
      for (const [path, value] of Object.entries(changes)) {
        const [head, tail] = path.split('.');
        if (tail) c.data[head] = Object.assign({}, c.data[head], { [tail]: value });
        else c.data[head] = value;
      }
    },
  };
  return c;
}

test('loads a page, then the next one from its cursor, and stops at the last', async () => {
  const c = component('rows');
  const pages = {
    null: { items: [1, 2], next_cursor: 'c2' },
    c2: { items: [3], next_cursor: null },
  };
  const fetchPage = jest.fn(async (cursor) => pages[cursor]);
  const list = paged(c, 'rows', fetchPage, (n) => n * 10);
  await list.reload();
  expect(c.data.rows).toMatchObject({ items: [10, 20], cursor: 'c2', more: true, loaded: true });
  await list.loadMore();
  expect(c.data.rows).toMatchObject({ items: [10, 20, 30], cursor: null, more: false });
  await list.loadMore(); // nothing more to ask for
  expect(fetchPage.mock.calls).toEqual([[null], ['c2']]);
});

test('a failed page keeps what was shown and says why', async () => {
  installFakeWx();
  const c = component('rows');
  const refused = { status: 503, message: '服务暂不可用' };
  const fetchPage = jest.fn(async (cursor) => {
    if (cursor) throw refused;
    return { items: ['a'], next_cursor: 'c2' };
  });
  const list = paged(c, 'rows', fetchPage);
  await list.reload();
  await list.loadMore();
  expect(c.data.rows).toMatchObject({ items: ['a'], cursor: 'c2', loading: false, loaded: true });
  expect(c.data.rows.error).toBe(api.errorMessage(refused));
  expect(c.data.rows.error).not.toBe('');
});

describe('listMethods', () => {
  function page() {
    installFakeWx();
    const p = Object.assign({}, listMethods());
    p.list = { reload: jest.fn(async () => {}), loadMore: jest.fn() };
    return p;
  }

  test('pull down reloads, then ends the refresh', async () => {
    const p = page();
    const stop = jest.spyOn(wx, 'stopPullDownRefresh');
    let reloaded = false;
    p.list.reload.mockImplementation(async () => {
      expect(stop).not.toHaveBeenCalled(); // the spinner stays until the list is back
      reloaded = true;
    });
    await p.onPullDownRefresh();
    expect(reloaded).toBe(true);
    expect(stop).toHaveBeenCalledTimes(1);
  });

  test('the bottom and 加载更多 load the next page; 重试 reloads', () => {
    const p = page();
    p.onReachBottom();
    p.loadMore();
    expect(p.list.loadMore).toHaveBeenCalledTimes(2);
    expect(p.list.reload).not.toHaveBeenCalled();
    p.retry();
    expect(p.list.reload).toHaveBeenCalledTimes(1);
  });
});
