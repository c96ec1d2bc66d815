// The merchant's monthly statement as the xlsx the server makes: fetched with the bearer
// header, saved in the mini-program's folder, then sent to a chat (wx.shareFileMessage) for
// the community's accountant; where sharing files is unavailable it opens in the viewer,
// whose menu forwards it.

const api = require('./api');
const documents = require('./documents');

// `month` like '2026-12'; `merchantId` for staff of several shops. Resolves to 'shared',
// 'cancelled' or 'opened'.
async function shareStatement({ month, merchantId }) {
  const query = { month };
  if (merchantId) query.merchant_id = merchantId;
  const bytes = await api.getMerchantStatementXlsx(query);
  const filePath = `${wx.env.USER_DATA_PATH}/statement-${month}.xlsx`;
  await documents.save(filePath, bytes);
  return documents.shareOrOpen(filePath, `${month} 对账单.xlsx`, 'xlsx');
}

module.exports = { shareStatement };
