// One notice: its period and community, tabs per kind (rank, masked name, points), a yearly
// notice's 积分之星, and the correction banners: a correction links to the notice it
// corrects, a corrected notice to its corrections.

const api = require('../../utils/api');

Component({
  data: {
    id: null,
    loading: true,
    error: '',
    notice: null,
    kind: 'person',
    rows: [],
  },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) });
      this.load();
    },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const n = await api.getNotice(this.data.id, { limit: 100 });
        const notice = {
          title: n.title,
          communityName: n.community_name,
          periodLabel: n.period_label,
          publishedOn: String(n.published_at || '').slice(0, 10),
          reason: n.correction_reason,
          corrects: n.corrects,
          corrections: n.corrections,
          kinds: n.kinds.map((k) => ({ key: k.kind, name: k.kind_label, rows: k.rows })),
          stars: n.stars.map((s) => ({ label: s.kind_label, name: s.name, points: s.points })),
        };
        this.setData({ loading: false, notice });
        this.showKind(this.data.kind);
      } catch (err) {
        this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    showKind(key) {
      const kind = this.data.notice.kinds.find((k) => k.key === key);
      this.setData({ kind: key, rows: kind ? kind.rows : [] });
    },
    setKind(e) {
      this.showKind(e.currentTarget.dataset.key);
    },
    openNotice(e) {
      wx.navigateTo({ url: `/pages/notice/index?id=${e.currentTarget.dataset.id}` });
    },
  },
});
