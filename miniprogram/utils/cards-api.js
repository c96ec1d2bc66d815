// Point cards (积分卡): card holders, their cards and PINs, printing, binding a card to
// WeChat, the record of acts and redeeming with a card at a counter. One table merged into
// api.js's ENDPOINTS and named functions built on api.js's `call`, like utils/grid-api.js.
//
// Acting for a card holder (代办): `call(name, {actingFor: holderId})` sends
// `X-Acting-For`, and only for the routes below that accept it; any other refuses it
// before a request goes out, as the server would (400 acting_not_allowed).

const ENDPOINTS = {
  createCardHolder: { method: 'POST', path: '/api/v1/card-holders', idempotent: true },
  listCardHolders: { method: 'GET', path: '/api/v1/card-holders' },
  getCardHolder: { method: 'GET', path: '/api/v1/card-holders/{holder_id}' },
  replaceCard: { method: 'POST', path: '/api/v1/card-holders/{holder_id}/replace-card' },
  unlockCard: { method: 'POST', path: '/api/v1/card-holders/{holder_id}/unlock' },
  issueBindCode: { method: 'POST', path: '/api/v1/card-holders/{holder_id}/bind-code' },
  // A PDF answered to a POST: wx.downloadFile only GETs, so wx.request takes the bytes.
  printCards: { method: 'POST', path: '/api/v1/cards/print', transport: 'binary' },
  bindCard: { method: 'POST', path: '/api/v1/cards/bind' },
  listActs: { method: 'GET', path: '/api/v1/acts-on-behalf' },
  scanCard: { method: 'POST', path: '/api/v1/merchant/card-scan' },
  redeemWithCard: {
    method: 'POST',
    path: '/api/v1/merchant/card-redemptions',
    idempotent: true,
  },
};

// The endpoints (of the whole table) whose route takes `X-Acting-For`; a test checks this
// list against the header parameters of schemas/openapi.json.
const ACTING_ENDPOINTS = [
  'createClaim',
  'resubmitClaim',
  'listClaims',
  'uploadPhoto',
  'getBalance',
  'listLedger',
  'getTask',
  'listMySignups',
  'signUp',
  'cancelSignup',
  'checkin',
  'checkout',
  'reserve',
  'listRedemptions',
  'getRedemption',
  'cancelRedemption',
];

function acceptsActing(name) {
  return ACTING_ENDPOINTS.indexOf(name) >= 0;
}

// `call(name, {params, query, data, idempotencyKey, upload, actingFor})` is api.js's;
// `attendanceBody(token, location)` builds a check-in's body the way api.js does.
function cardFunctions(call, { attendanceBody }) {
  const holder = (name) => (id, data) => call(name, { params: { holder_id: id }, data });

  // The resident's own calls, made for one card holder: the same arguments as api.js's.
  function actingFor(holderId) {
    const as = (options) => Object.assign({ actingFor: holderId }, options);
    const task = (name) => (taskId) => call(name, as({ params: { task_id: taskId } }));
    const attend = (name) => (taskId, token, location) =>
      call(name, as({ params: { task_id: taskId }, data: attendanceBody(token, location) }));
    return {
      holderId,
      getBalance: () => call('getBalance', as()),
      listLedger: (query) => call('listLedger', as({ query })),
      listClaims: (query) => call('listClaims', as({ query })),
      createClaim: (claim, idempotencyKey) =>
        call('createClaim', as({ data: claim, idempotencyKey })),
      resubmitClaim: (claimId, claim, idempotencyKey) =>
        call('resubmitClaim', as({ params: { claim_id: claimId }, data: claim, idempotencyKey })),
      upload: (filePath, { onProgress } = {}) =>
        call('uploadPhoto', as({ upload: { filePath, onProgress } })),
      signUp: task('signUp'),
      cancelSignup: task('cancelSignup'),
      checkin: attend('checkin'),
      checkout: attend('checkout'),
      reserve: (offerId, idempotencyKey) =>
        call('reserve', as({ data: { offer_id: offerId }, idempotencyKey })),
      listRedemptions: (query) => call('listRedemptions', as({ query })),
      getRedemption: (id) => call('getRedemption', as({ params: { redemption_id: id } })),
      getTask: task('getTask'),
      listMySignups: (query) => call('listMySignups', as({ query })),
      cancelRedemption: (id) => call('cancelRedemption', as({ params: { redemption_id: id } })),
    };
  }

  return {
    actingFor,
    createCardHolder: (body, idempotencyKey) =>
      call('createCardHolder', { data: body, idempotencyKey }),
    listCardHolders: (query) => call('listCardHolders', { query }),
    getCardHolder: (id) => call('getCardHolder', { params: { holder_id: id } }),
    replaceCard: (id, reason) => holder('replaceCard')(id, { reason }),
    // A new PIN is optional: without one the card is only unlocked.
    unlockCard: (id, pin) => holder('unlockCard')(id, pin ? { pin } : {}),
    issueBindCode: (id) => call('issueBindCode', { params: { holder_id: id } }),
    // Resolves to the PDF's bytes (an ArrayBuffer); utils/documents.js opens them.
    printCards: (holderIds) => call('printCards', { data: { holder_ids: holderIds } }),
    bindCard: (code) => call('bindCard', { data: { code } }),
    listActs: (query) => call('listActs', { query }),
    scanCard: (card, merchantId) =>
      call('scanCard', { data: merchantId ? { card, merchant_id: merchantId } : { card } }),
    // `choice` is {offer_id} or {redemption_id}; one key per redemption, kept for a retry.
    redeemWithCard: (card, pin, choice, idempotencyKey) =>
      call('redeemWithCard', {
        data: Object.assign({ card, pin }, choice),
        idempotencyKey,
      }),
  };
}

module.exports = { ENDPOINTS, ACTING_ENDPOINTS, acceptsActing, cardFunctions };
