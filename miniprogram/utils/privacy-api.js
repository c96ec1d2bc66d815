// A resident's data rights (PIPL): their data as an xlsx workbook, and deleting their account
// (注销账号, confirmed by typing the phrase). One table merged into api.js's ENDPOINTS, like
// utils/console-api.js.

const ENDPOINTS = {
  getMyDataXlsx: { method: 'GET', path: '/api/v1/me/data-export.xlsx', transport: 'binary' },
  deleteAccount: { method: 'POST', path: '/api/v1/me/delete' },
};

// What the server checks the confirmation against; the page compares only to enable its button.
const CONFIRM_PHRASE = '注销账号';

function privacyFunctions(call) {
  return {
    // The caller's own data as xlsx bytes (an ArrayBuffer), fetched with the bearer header.
    getMyDataXlsx: () => call('getMyDataXlsx'),
    deleteAccount: (confirm) => call('deleteAccount', { data: { confirm } }),
  };
}

module.exports = { ENDPOINTS, CONFIRM_PHRASE, privacyFunctions };
