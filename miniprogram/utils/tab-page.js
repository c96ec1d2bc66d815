// The shared shape of a tab page that needs the caller to be in a community: it loads the
// profile, asks non-members to join first, and shows loading / error (with 重试) states.

const api = require('./api');
const profile = require('./profile');

function tabPage({ methods = {}, data = {}, onMember } = {}) {
  return {
    data: Object.assign({ loading: true, error: '', joined: false, community: '' }, data),
    methods: Object.assign(
      {
        onLoad() {
          this.load();
        },
        onShow() {
          // Back from 加入社区: the cached profile was cleared, so this refetches it.
          if (!this.data.loading) this.load({ quiet: true });
        },
        async onPullDownRefresh() {
          await this.load({ refresh: true });
          wx.stopPullDownRefresh();
        },
        async load({ refresh = false, quiet = false } = {}) {
          if (!quiet) this.setData({ loading: true, error: '' });
          try {
            const me = await profile.get({ refresh });
            const joined = !!me.membership;
            this.setData({
              loading: false,
              error: '',
              joined,
              community: joined ? me.membership.community.name : '',
            });
            if (joined && onMember) await onMember.call(this, me);
          } catch (err) {
            this.setData({ loading: false, error: api.errorMessage(err) });
          }
        },
        onRetry() {
          this.load({ refresh: true });
        },
        goJoin() {
          wx.navigateTo({ url: '/pages/community-join/index' });
        },
      },
      methods
    ),
  };
}

module.exports = { tabPage };
