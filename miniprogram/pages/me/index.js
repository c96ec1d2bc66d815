// 我的: profile, masked phone, phone binding, membership, roles and role-based entries;
// 绑定积分卡 for someone without a community, 代办记录 for a card holder whose card is
// bound to this WeChat. Written with Component() so miniprogram-simulate can load it.

const api = require('../../utils/api');
const { avatarPath } = require('../../utils/avatar');
const config = require('../../config');
const format = require('../../utils/format');
const privacy = require('../../utils/privacy');
const profile = require('../../utils/profile');
const session = require('../../utils/session');
const { roleName } = require('../../utils/roles');

// Identities the local WeChat emulator's demo data seeds (server/seed.py), and family-1: a
// WeChat never seen before, to bind a card holder's printed code with.
const DEV_IDENTITIES = [
  'resident-1',
  'resident-2',
  'merchant-1',
  'reviewer',
  'grid-1',
  'admin',
  'family-1',
];

// Entries that only some roles see (any of `roles`, so each shows once); the server still
// checks every call.
const ROLE_ENTRIES = [
  { roles: ['merchant_staff'], key: 'merchant', title: '商家核销', url: '/pages/merchant/index' },
  { roles: ['reviewer'], key: 'review', title: '积分审核', url: '/pages/review/index' },
  {
    roles: ['reviewer', 'admin'],
    key: 'report-queue',
    title: '问题处理',
    url: '/pages/report-queue/index',
  },
  {
    roles: ['reviewer', 'admin'],
    key: 'wish-review',
    title: '心愿审核',
    url: '/pages/wish-review/index',
  },
  {
    roles: ['reviewer', 'admin'],
    key: 'card-holders',
    title: '持卡居民代办',
    url: '/pages/card-holders/index',
  },
  { roles: ['grid_worker'], key: 'grid', title: '网格工作台', url: '/pages/grid-desk/index' },
];
// Staff are not card holders (a WeChat with a role cannot bind a card): no need to ask.
const NOT_HOLDER_ROLES = ['merchant_staff', 'org_staff', 'reviewer', 'admin', 'grid_worker'];

// Whether the caller is a card holder: GET /me does not say, so their acts list is asked,
// once per user while the page lives (everyone else gets 404 card_holder_not_found).
async function isCardHolder(known, me) {
  if (!me.membership || (me.roles || []).some((r) => NOT_HOLDER_ROLES.indexOf(r) >= 0)) {
    return false;
  }
  if (known[me.id] === undefined) {
    try {
      await api.listActs({ limit: 1 });
      known[me.id] = true;
    } catch (err) {
      // Only the server's "no" is kept: after a network failure it is asked again.
      if (!err || err.code !== 'card_holder_not_found') return false;
      known[me.id] = false;
    }
  }
  return known[me.id];
}

function entriesFor(roles) {
  return ROLE_ENTRIES.filter((e) => e.roles.some((role) => roles.indexOf(role) >= 0));
}

function view(me) {
  const name = me.real_name || me.nickname || '微信用户';
  const membership = me.membership;
  return {
    name,
    // The nickname from 头像昵称填写, under the name when the name is the real one.
    nickname: me.nickname && me.nickname !== name ? me.nickname : '',
    initial: name.slice(0, 1),
    phone: me.phone || '',
    phoneBound: !!me.phone_bound,
    community: membership ? membership.community.name : '',
    grid: membership && membership.grid ? membership.grid.name : '',
    roles: (me.roles || []).map((role) => ({ role, name: roleName(role) })),
    entries: entriesFor(me.roles || []),
    available: me.points ? me.points.available : 0,
    hours: format.hours(me.volunteer_hours ? me.volunteer_hours.this_year : 0),
  };
}

Component({
  data: {
    loading: true,
    error: '',
    me: null,
    binding: false,
    dev: false,
    devIdentity: '',
    cardHolder: false,
    avatarPath: '', // the avatar downloaded (an <image> cannot send the bearer header)
    // 隐私保护指引 not agreed yet: 绑定手机号 asks for it first (getPhoneNumber needs its own tap).
    privacyPending: false,
    phoneNote: '',
    phoneError: '',
  },
  methods: {
    onLoad() {
      this.load();
    },
    onShow() {
      if (!this.data.loading) this.load({ quiet: true });
    },
    async onPullDownRefresh() {
      await this.load({ refresh: true });
      wx.stopPullDownRefresh();
    },
    async load({ refresh = false, quiet = false } = {}) {
      const cfg = config.get();
      const dev = config.isDevServer(cfg.baseUrl) && !!cfg.devIdentity;
      if (!quiet) this.setData({ loading: true, error: '' });
      try {
        const me = await profile.get({ refresh });
        this.setData({
          loading: false,
          error: '',
          me: view(me),
          dev,
          devIdentity: dev ? cfg.devIdentity : '',
        });
        this.setData({ avatarPath: await avatarPath(me.avatar_url) });
        this.setData({ privacyPending: await privacy.pending() });
        if (!this.holders) this.holders = {};
        this.setData({ cardHolder: await isCardHolder(this.holders, me) });
      } catch (err) {
        // A quiet refresh keeps what is on screen; a first load shows the error with 重试.
        if (quiet && this.data.me) api.showError(err);
        else this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load({ refresh: true });
    },
    // The first tap while the guide is not agreed: nothing is bound until the user agrees.
    async agreeForPhone() {
      this.setData({ phoneError: '', phoneNote: '' });
      if (await privacy.ensure()) {
        this.setData({ privacyPending: false, phoneNote: '已同意隐私保护指引，请再点一次绑定手机号' });
      } else {
        this.setData({ phoneError: '您未同意隐私保护指引，手机号未绑定' });
      }
    },
    // 我的 → 隐私保护指引: where pages without the guide send people to agree.
    async agreePrivacy() {
      if (await privacy.ensure()) {
        this.setData({ privacyPending: false });
        wx.showToast({ title: '已同意', icon: 'success' });
      }
    },
    async onGetPhoneNumber(e) {
      const cfg = config.get();
      const detail = (e && e.detail) || {};
      this.setData({ phoneError: '', phoneNote: '' });
      if (privacy.isRefusal(detail.errMsg)) {
        this.setData({ privacyPending: true, phoneError: '您未同意隐私保护指引，手机号未绑定' });
        return;
      }
      let code = detail.code;
      if (config.isDevServer(cfg.baseUrl) && cfg.devPhone) {
        // DevTools' code is unknown to the local emulator, which accepts `<phone>.<anything>`.
        code = `${cfg.devPhone}.${Date.now()}`;
      }
      if (!code) {
        wx.showToast({ title: '未授权手机号', icon: 'none' });
        return;
      }
      if (this.data.binding) return;
      this.setData({ binding: true });
      try {
        const me = await api.bindPhone(code);
        profile.set(me);
        this.setData({ me: view(me) });
        wx.showToast({ title: '手机号已绑定', icon: 'success' });
      } catch (err) {
        api.showError(err);
      } finally {
        this.setData({ binding: false });
      }
    },
    editProfile() {
      wx.navigateTo({ url: '/pages/profile-edit/index' });
    },
    goJoin() {
      wx.navigateTo({ url: '/pages/community-join/index' });
    },
    openEntry(e) {
      const { url } = e.currentTarget.dataset;
      wx.navigateTo({ url });
    },
    switchIdentity() {
      wx.showActionSheet({
        itemList: DEV_IDENTITIES,
        success: (res) => {
          const identity = DEV_IDENTITIES[res.tapIndex];
          if (!identity) return;
          config.setDevIdentity(identity);
          session.clearToken();
          profile.clear();
          this.load({ refresh: true });
        },
      });
    },
  },
});
