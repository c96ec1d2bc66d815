// Rewards on screen: offers, redemptions and the messages for refusals that carry details.

const api = require('./api');
const format = require('./format');

const REDEMPTION_STATUS = {
  reserved: '待核销',
  redeemed: '已核销',
  cancelled: '已取消',
  expired: '已过期',
};
const PERIOD_NAMES = { month: '每月', quarter: '每季度' };

function offerView(o) {
  const limit = o.limit_per_person
    ? `${PERIOD_NAMES[o.limit_period] || ''}每人限兑 ${o.limit_per_person} 次`
    : '';
  return {
    id: o.id,
    title: o.title,
    description: o.description,
    image: o.image_url || '',
    merchant: o.merchant_name,
    points: o.points_cost,
    stock: o.stock,
    stockText: o.stock > 0 ? `库存 ${o.stock}` : '已兑完',
    // The detail page's 库存 cell already has its label: the value is the count alone.
    stockLeft: o.stock > 0 ? String(o.stock) : '已兑完',
    soldOut: o.stock <= 0,
    limit,
    validUntil: o.valid_until ? format.date(o.valid_until) : '',
  };
}

function redemptionView(r) {
  return {
    id: r.id,
    title: r.offer_title,
    merchant: r.merchant_name,
    address: r.merchant_address,
    points: r.points,
    status: r.status,
    statusText: REDEMPTION_STATUS[r.status] || r.status,
    expiresAt: format.dateTime(r.expires_at),
    redeemedAt: format.dateTime(r.redeemed_at),
    createdAt: format.dateTime(r.created_at),
  };
}

// The server's message, completed with what its details say (needed / available points,
// the next opening of the redemption window).
function refusalMessage(err) {
  const message = api.errorMessage(err);
  const d = (err && err.details) || {};
  if (err && err.code === 'insufficient_points' && d.needed !== undefined) {
    return `${message}：需要 ${d.needed} 分，当前可用 ${d.available} 分`;
  }
  return message;
}

// A typed code (the redemption id, then 6 check digits) in groups the merchant can read
// back: 31482917 → '31 482 917'. The merchant's input ignores the spaces.
function manualCodeText(code) {
  const digits = String(code || '');
  if (digits.length <= 6) return digits;
  return [digits.slice(0, -6), digits.slice(-6, -3), digits.slice(-3)].join(' ');
}

module.exports = { REDEMPTION_STATUS, offerView, redemptionView, refusalMessage, manualCodeText };
