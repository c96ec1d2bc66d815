// 公示: the community's published notices (一月一公示, quarterly, 一年一评选), newest first;
// a correction is marked 更正, a corrected notice 已更正.

const api = require('../../utils/api');
const { paged, empty, listMethods } = require('../../utils/paged');
const { PERIOD_TYPES, noticeView } = require('../../utils/notices-api');

Component({
  data: {
    types: PERIOD_TYPES,
    type: '',
    notices: empty(),
  },
  methods: Object.assign(listMethods(), {
    onLoad() {
      this.list = paged(
        this,
        'notices',
        (cursor) => {
          const query = { limit: 20, cursor };
          if (this.data.type) query.period_type = this.data.type;
          return api.listNotices(query);
        },
        noticeView
      );
      this.list.reload();
    },
    setType(e) {
      this.setData({ type: e.currentTarget.dataset.key });
      this.list.reload();
    },
    open(e) {
      wx.navigateTo({ url: `/pages/notice/index?id=${e.currentTarget.dataset.id}` });
    },
  }),
});
