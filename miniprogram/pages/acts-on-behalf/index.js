// 代办记录: what staff and grid workers did on a card holder's behalf, newest first. Opened
// with ?holder_id=&name= from a holder's page (staff), or bare from 我的 by a holder whose
// card is bound to this WeChat (or their family).

const api = require('../../utils/api');
const { paged, empty, listMethods } = require('../../utils/paged');
const { actView } = require('../../utils/card-holders');

Component({
  data: { holderId: null, name: '', acts: empty() },
  methods: Object.assign(listMethods(), {
    onLoad(query) {
      const holderId = /^[0-9]{1,12}$/.test(String((query && query.holder_id) || ''))
        ? Number(query.holder_id)
        : null;
      let name = (query && query.name) || '';
      try {
        name = decodeURIComponent(name);
      } catch (e) {
        // Already decoded.
      }
      this.setData({ holderId, name });
      this.list = paged(
        this,
        'acts',
        (cursor) => {
          const q = { limit: 20, cursor };
          if (holderId) q.holder_id = holderId;
          return api.listActs(q);
        },
        actView
      );
      this.list.reload();
    },
  }),
});
