// 刷积分卡 at a merchant's counter (mixed into pages/merchant): scan the card → whose it is
// (masked), its points and the reservations waiting here → pick one, or one of this shop's
// offers → the resident types the PIN on the pad → redeem with one Idempotency-Key per
// choice, kept when a timeout is retried → the result, or a screen saying why not.
//
// The PIN goes from the pad's event straight into the request. Only after a timeout does a
// closure keep it, for the one 重试 that must resend the very same request; it is dropped
// when that answers or the staff member gives up.

const api = require('./api');
const format = require('./format');
const { offerView, refusalMessage } = require('./rewards');

// What a card's QR looks like (server/cards/numbers.py); anything else is not a card.
const CARD_QR = /^RPC1\.[A-Z0-9]+\.[A-Z0-9]+$/;
const MAX_QR = 64;

const SCREENS = {
  card_locked: { title: '此卡已锁定', hint: '请联系社区工作人员解锁' },
  card_replaced: { title: '此卡已挂失补办', hint: '旧卡已停用，请使用补办的新卡' },
  card_invalid: { title: '无法识别的积分卡', hint: '请扫描社区发放的积分卡上的二维码' },
  rate_limited: { title: '尝试次数过多', hint: '请稍后再试' },
};
// Refusals after which the same choice can be tried again with the PIN.
const AGAIN = ['pin_wrong', 'pin_busy'];

function cardView(scan) {
  return {
    name: scan.holder_name,
    merchantId: scan.merchant_id,
    available: scan.available,
    locked: scan.locked,
    reservations: scan.reservations.map((r) => ({
      id: r.id,
      title: r.offer_title,
      points: r.points,
      expires: format.dateTime(r.expires_at),
    })),
  };
}

function refusal(err, name) {
  const screen = SCREENS[err.code] || { title: '无法兑换', hint: '' };
  const lines = [refusalMessage(err)];
  if (name) lines.push(`持卡人：${name}`);
  return { code: err.code, title: screen.title, hint: screen.hint, lines };
}

function cardCounterData() {
  return {
    cardStep: '', // '' | loading | choose | pin | redeeming | timeout | done | refused
    card: null,
    cardOffers: [],
    cardOffersError: '',
    cardChoice: null,
    cardError: '',
    cardResult: null,
    cardRefusal: null,
  };
}

function cardCounterMethods() {
  return {
    scanCard() {
      if (this.data.cardStep || this.data.scanning) return;
      this.setData({ scanning: true });
      wx.scanCode({
        onlyFromCamera: true,
        scanType: ['qrCode'],
        success: (res) => this.readCard(String(res.result || '').trim()),
        fail: () => this.setData({ scanning: false }),
      });
    },
    async readCard(qr) {
      this.cardQr = qr;
      this.setData({ scanning: false, cardStep: 'loading' });
      if (qr.length > MAX_QR || !CARD_QR.test(qr)) {
        this.cardRefuse(new api.ApiError('card_invalid', '这不是积分卡的二维码', 400));
        return;
      }
      try {
        const card = cardView(await api.scanCard(qr, this.merchantId));
        if (card.locked) {
          this.setData({ card });
          const message = '密码错误次数过多，此卡已锁定';
          this.cardRefuse(new api.ApiError('card_locked', message, 423));
          return;
        }
        this.setData({ cardStep: 'choose', card });
        this.loadCardOffers(card.merchantId);
      } catch (err) {
        this.cardRefuse(err);
      }
    },
    async loadCardOffers(merchantId) {
      this.setData({ cardOffers: [], cardOffersError: '' });
      try {
        const page = await api.listOffers({ merchant_id: merchantId, limit: 50 });
        const available = this.data.card ? this.data.card.available : 0;
        const offers = page.items
          .filter((o) => o.active)
          .map((o) => Object.assign(offerView(o), { short: o.points_cost > available }));
        this.setData({ cardOffers: offers });
      } catch (err) {
        this.setData({ cardOffersError: api.errorMessage(err) });
      }
    },
    chooseReservation(e) {
      const r = this.data.card.reservations[e.currentTarget.dataset.index];
      this.cardChoose({ redemption_id: r.id }, { kind: '预约', title: r.title, points: r.points });
    },
    chooseOffer(e) {
      const o = this.data.cardOffers[e.currentTarget.dataset.index];
      // Too dear for the card: a PIN typed for it would only be refused.
      if (!o || o.soldOut || o.short) return;
      this.cardChoose({ offer_id: o.id }, { kind: '兑换', title: o.title, points: o.points });
    },
    cardChoose(body, shown) {
      this.cardBody = body;
      // One key per choice: a retried request (timeout, silent re-login) redeems once.
      this.cardKey = api.newIdempotencyKey();
      this.setData({ cardStep: 'pin', cardChoice: shown, cardError: '' });
    },
    onPin(e) {
      if (this.data.cardStep !== 'pin') return;
      this.cardRedeem(e.detail.pin);
    },
    onPinTyping() {
      if (this.data.cardError) this.setData({ cardError: '' });
    },
    async cardRedeem(pin) {
      this.cardRetry = null;
      this.setData({ cardStep: 'redeeming', cardError: '' });
      try {
        const p = await api.redeemWithCard(this.cardQr, pin, this.cardBody, this.cardKey);
        this.setData({
          cardStep: 'done',
          cardResult: { title: p.offer_title, points: p.points, resident: p.resident_name },
        });
        if (wx.vibrateShort) wx.vibrateShort({ type: 'medium' });
        this.loadLists();
      } catch (err) {
        if (err && (err.isNetwork || err.code === 'idempotency_in_flight')) {
          // The outcome is unknown: only the same request (same key, same PIN) may follow.
          this.cardRetry = () => this.cardRedeem(pin);
          this.setData({
            cardStep: 'timeout',
            cardError: err.isNetwork ? '网络超时，未能确认是否兑换成功' : api.errorMessage(err),
          });
        } else if (err && AGAIN.indexOf(err.code) >= 0) {
          const left = err.details && err.details.tries_left;
          const message = left ? `密码错误，还可以再试 ${left} 次` : api.errorMessage(err);
          this.setData({ cardStep: 'pin', cardError: message });
        } else {
          this.cardRefuse(err);
        }
      }
    },
    retryCardRedeem() {
      if (this.data.cardStep === 'timeout' && this.cardRetry) this.cardRetry();
    },
    cardRefuse(err) {
      if (err instanceof api.ApiError && !err.isNetwork && err.status !== 401) {
        const name = this.data.card ? this.data.card.name : '';
        this.setData({ cardStep: 'refused', cardRefusal: refusal(err, name) });
      } else {
        this.cardReset();
        api.showError(err);
      }
    },
    cardBack() {
      this.setData({ cardStep: 'choose', cardChoice: null, cardError: '' });
      this.cardRetry = null;
    },
    cardReset() {
      this.cardQr = null;
      this.cardBody = null;
      this.cardKey = null;
      this.cardRetry = null;
      this.setData(cardCounterData());
    },
    cardAgain() {
      this.cardReset();
      this.scanCard();
    },
  };
}

module.exports = { cardCounterData, cardCounterMethods, CARD_QR };
