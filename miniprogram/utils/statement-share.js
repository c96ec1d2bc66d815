// The merchant's monthly statement as the xlsx the server makes: fetched with the bearer
// header, saved in the mini-program's folder, then sent to a chat (wx.shareFileMessage) for
// the community's accountant; where sharing files is unavailable it opens in the viewer,
// whose menu forwards it.

const api = require('./api');
const documents = require('./documents');

function share(filePath, fileName) {
  return new Promise((resolve, reject) => {
    wx.shareFileMessage({
      filePath,
      fileName,
      success: () => resolve('shared'),
      fail: (err) => {
        const msg = String((err && err.errMsg) || '');
        // Closing the chat picker is a choice, not a failure.
        if (msg.indexOf('cancel') >= 0) resolve('cancelled');
        else reject(err);
      },
    });
  });
}

// `month` like '2026-12'; `merchantId` for staff of several shops. Resolves to 'shared',
// 'cancelled' or 'opened'.
async function shareStatement({ month, merchantId }) {
  const query = { month };
  if (merchantId) query.merchant_id = merchantId;
  const bytes = await api.getMerchantStatementXlsx(query);
  const filePath = `${wx.env.USER_DATA_PATH}/statement-${month}.xlsx`;
  await documents.save(filePath, bytes);
  const fileName = `${month} 对账单.xlsx`;
  if (wx.shareFileMessage) {
    try {
      return await share(filePath, fileName);
    } catch (err) {
      // PC WeChat and old clients refuse: fall through to the viewer.
    }
  }
  await documents.open(filePath, 'xlsx');
  return 'opened';
}

module.exports = { shareStatement };
