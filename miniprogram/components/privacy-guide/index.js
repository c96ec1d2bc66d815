// The 隐私保护指引 sheet: shown when WeChat asks for the user's agreement before a privacy API
// (utils/privacy.js routes wx.onNeedPrivacyAuthorization here). 同意 is the documented
// open-type="agreePrivacyAuthorization" button with id agree-btn; 拒绝 lets the API fail.

const privacy = require('../../utils/privacy');

const DEFAULT_NAME = '《红色积分小程序隐私保护指引》';

Component({
  data: {
    show: false,
    contractName: DEFAULT_NAME,
  },
  lifetimes: {
    attached() {
      privacy.raiseGuide(this);
    },
    detached() {
      this.settle({ event: 'disagree' });
      privacy.dropGuide(this);
    },
  },
  pageLifetimes: {
    show() {
      privacy.raiseGuide(this);
    },
    hide() {
      privacy.hideGuide(this);
    },
  },
  methods: {
    open(resolve) {
      this.settle({ event: 'disagree' }); // a request still open is replaced by this one
      this.resolver = resolve;
      this.setData({ show: true });
      resolve({ event: 'exposureAuthorization' }); // tell WeChat the guide is on screen
      if (typeof wx.getPrivacySetting === 'function') {
        wx.getPrivacySetting({
          success: (res) => {
            if (res && res.privacyContractName) {
              this.setData({ contractName: res.privacyContractName });
            }
          },
        });
      }
    },
    settle(answer) {
      const resolve = this.resolver;
      this.resolver = null;
      if (resolve) resolve(answer);
    },
    openContract() {
      if (typeof wx.openPrivacyContract === 'function') wx.openPrivacyContract({});
    },
    // bindagreeprivacyauthorization: WeChat has recorded the tap on agree-btn.
    onAgree() {
      this.setData({ show: false });
      this.settle({ buttonId: 'agree-btn', event: 'agree' });
    },
    onRefuse() {
      this.setData({ show: false });
      this.settle({ event: 'disagree' });
    },
  },
});
