// One card holder, for the staff and grid worker who act for them (正在为 郭*兰 代办):
// 查看积分, 代为申报, 代为报名, 代为预约兑换 (the resident's own calls with X-Acting-For),
// 解锁 / 重设密码, 挂失补卡, 打印积分卡 (a PDF), 打印绑定码 (shown once) and 代办记录.

const api = require('../../utils/api');
const format = require('../../utils/format');
const documents = require('../../utils/documents');
const { paged, empty } = require('../../utils/paged');
const { formErrors } = require('../../utils/form-errors');
const { ledgerView } = require('../../utils/points');
const { taskView } = require('../../utils/tasks');
const { offerView } = require('../../utils/rewards');
const cardHolders = require('../../utils/card-holders');

const { holderView, actingQuery, pinProblem, REPLACE_REASONS } = cardHolders;

const PIN_FIELDS = { invalid_pin: 'pin', weak_pin: 'pin' };

Component({
  data: {
    id: null,
    created: false,
    loading: true,
    error: '',
    holder: null,
    panel: '', // points | tasks | offers | pin
    balance: null,
    balanceError: '',
    ledger: empty(),
    tasks: empty(),
    offers: empty(),
    pin: '',
    pin2: '',
    pinErrors: {},
    pinError: '',
    bindCode: null, // {code, expires}: shown once, gone when the page is left
    busy: '',
  },
  methods: {
    onLoad(query) {
      const id = Number(query && query.id);
      this.setData({ id, created: !!(query && query.created) });
      this.acting = api.actingFor(id);
      // The holder's history is read as the holder; tasks and offers are the community's.
      const ledger = (cursor) => this.acting.listLedger({ limit: 20, cursor });
      const tasks = (cursor) => api.listTasks({ when: 'upcoming', limit: 10, cursor });
      const offers = (cursor) => api.listOffers({ limit: 20, cursor });
      this.lists = {
        points: paged(this, 'ledger', ledger, ledgerView),
        tasks: paged(this, 'tasks', tasks, taskView),
        offers: paged(this, 'offers', offers, offerView),
      };
      this.load();
    },
    onShow() {
      if (this.data.holder) this.load({ quiet: true });
    },
    onHide() {
      this.setData({ bindCode: null });
    },
    onUnload() {
      this.setData({ bindCode: null });
    },
    async load({ quiet = false } = {}) {
      if (!quiet) this.setData({ loading: true, error: '' });
      try {
        const holder = holderView(await api.getCardHolder(this.data.id));
        this.setData({ loading: false, error: '', holder });
        // Back from filing or reserving for them: what the open panel shows has changed.
        const { panel } = this.data;
        if (quiet && this.lists[panel]) this.lists[panel].reload();
        if (quiet && panel === 'points') this.loadBalance();
      } catch (err) {
        if (quiet && this.data.holder) api.showError(err);
        else this.setData({ loading: false, error: api.errorMessage(err) });
      }
    },
    onRetry() {
      this.load();
    },
    // 查看积分 / 代为报名 / 代为预约兑换 / 解锁: one panel at a time under the actions.
    showPanel(e) {
      const { panel } = e.currentTarget.dataset;
      this.setData({ panel: this.data.panel === panel ? '' : panel, pinErrors: {}, pinError: '' });
      if (this.data.panel === panel && this.lists[panel]) this.lists[panel].reload();
      if (this.data.panel === 'points') this.loadBalance();
    },
    async loadBalance() {
      this.setData({ balanceError: '' });
      try {
        const b = await this.acting.getBalance();
        this.setData({ balance: { balance: b.balance, held: b.held, available: b.available } });
      } catch (err) {
        this.setData({ balanceError: api.errorMessage(err) });
      }
    },
    loadMore(e) {
      this.lists[e.currentTarget.dataset.panel].loadMore();
    },
    retryList(e) {
      this.lists[e.currentTarget.dataset.panel].reload();
    },
    go(url) {
      wx.navigateTo({ url });
    },
    fileClaim() {
      this.go(`/pages/claim-form/index?${actingQuery(this.data.holder)}`);
    },
    openTask(e) {
      const { id } = e.currentTarget.dataset;
      this.go(`/pages/task-detail/index?id=${id}&${actingQuery(this.data.holder)}`);
    },
    openOffer(e) {
      const { id } = e.currentTarget.dataset;
      this.go(`/pages/offer-detail/index?id=${id}&${actingQuery(this.data.holder)}`);
    },
    openActs() {
      const { id, name } = this.data.holder;
      this.go(`/pages/acts-on-behalf/index?holder_id=${id}&name=${encodeURIComponent(name)}`);
    },
    onPinField(e) {
      const { field } = e.currentTarget.dataset;
      this.setData({ [field]: e.detail.value, [`pinErrors.${field}`]: '', pinError: '' });
    },
    // 解锁 keeps the PIN; 重设密码 unlocks with the new one the resident chose.
    async unlock(e) {
      const withPin = !!e.currentTarget.dataset.reset;
      if (this.data.busy) return;
      if (withPin) {
        const problem = pinProblem(this.data.pin, this.data.pin2);
        if (problem) return this.setData({ pinErrors: problem });
      }
      this.setData({ busy: 'unlock', pinErrors: {}, pinError: '' });
      try {
        const holder = await api.unlockCard(this.data.id, withPin ? this.data.pin : null);
        this.setData({ holder: holderView(holder), pin: '', pin2: '', panel: '' });
        wx.showToast({ title: withPin ? '密码已重设' : '已解锁', icon: 'success' });
      } catch (err) {
        const { fields, message } = formErrors(err, PIN_FIELDS);
        this.setData({ pinErrors: fields, pinError: message });
      } finally {
        this.setData({ busy: '' });
      }
      return null;
    },
    replaceCard() {
      if (this.data.busy) return;
      wx.showModal({
        title: '挂失补卡',
        content: `挂失后旧卡立即停用，积分和记录不变。确定为 ${this.data.holder.name} 补办新卡？`,
        confirmText: '挂失补卡',
        success: (res) => {
          if (!res || !res.confirm) return;
          wx.showActionSheet({
            itemList: REPLACE_REASONS.map((r) => r.name),
            success: (picked) => {
              const reason = REPLACE_REASONS[picked.tapIndex];
              if (reason) this.doReplace(reason.key);
            },
          });
        },
      });
    },
    async doReplace(reason) {
      this.setData({ busy: 'replace' });
      try {
        const card = await api.replaceCard(this.data.id, reason);
        this.setData({ 'holder.hint': card.hint, 'holder.cardText': `卡号尾号 ${card.hint}` });
        wx.showModal({
          title: '新卡已生成',
          content: `新卡尾号 ${card.hint}，旧卡已停用。现在打印新卡？`,
          confirmText: '打印',
          success: (res) => {
            if (res && res.confirm) this.printCard();
          },
        });
      } catch (err) {
        api.showError(err);
      } finally {
        this.setData({ busy: '' });
      }
    },
    // The PDF comes with the bearer header (a POST), then opens in the phone's viewer.
    async printCard() {
      if (this.data.busy === 'print') return;
      this.setData({ busy: 'print' });
      try {
        const bytes = await api.printCards([this.data.id]);
        await documents.openPdf(bytes, `card-${this.data.id}.pdf`);
      } catch (err) {
        api.showError(err, { onRetry: () => this.printCard() });
      } finally {
        this.setData({ busy: '' });
      }
    },
    issueBindCode() {
      if (this.data.busy) return;
      wx.showModal({
        title: '打印绑定码',
        content: '新的绑定码会让之前打印的失效。绑定码只显示这一次，请当场抄写或打印给居民。',
        confirmText: '生成',
        success: (res) => {
          if (res && res.confirm) this.doIssueBindCode();
        },
      });
    },
    async doIssueBindCode() {
      this.setData({ busy: 'code' });
      try {
        const c = await api.issueBindCode(this.data.id);
        const code = `${c.code.slice(0, 4)} ${c.code.slice(4)}`;
        this.setData({ bindCode: { code, expires: format.dateTime(c.expires_at) }, panel: '' });
      } catch (err) {
        api.showError(err);
      } finally {
        this.setData({ busy: '' });
      }
    },
    hideBindCode() {
      this.setData({ bindCode: null });
    },
  },
});
