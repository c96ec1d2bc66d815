// Subscribe messages (订阅消息): which templates to ask for at each moment, and what the user
// answered. One table merged into api.js's ENDPOINTS, like utils/grid-api.js.

const ENDPOINTS = {
  getSubscriptions: { method: 'GET', path: '/api/v1/me/subscriptions' },
  reportSubscriptions: { method: 'POST', path: '/api/v1/me/subscriptions' },
};

function subscribeFunctions(call) {
  return {
    getSubscriptions: () => call('getSubscriptions'),
    // `results` is {template_id: 'accept' | 'reject' | 'ban' | 'filter'}.
    reportSubscriptions: (results) => call('reportSubscriptions', { data: { results } }),
  };
}

module.exports = { ENDPOINTS, subscribeFunctions };
