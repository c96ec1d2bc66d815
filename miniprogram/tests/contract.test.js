// Every endpoint the API module calls must exist in the server's contract, so a server
// change that removes or renames one fails CI here.

const api = require('../utils/api');
const contract = require('./helpers/contract');

const endpoints = Object.entries(api.ENDPOINTS);

describe('utils/api.js endpoint table', () => {
  test('declares at least the phase-1 endpoints', () => {
    expect(endpoints.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'login',
        'getMe',
        'patchMe',
        'listCommunities',
        'listGrids',
        'joinCommunity',
        'bindPhone',
      ])
    );
  });

  test("declares the grid's endpoints the grid pages call", () => {
    expect(endpoints.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'listReportCategories',
        'createReport',
        'listReports',
        'getReport',
        'acceptReport',
        'waitReport',
        'resumeReport',
        'resolveReport',
        'transferReport',
        'escalateReport',
        'confirmReport',
        'reopenReport',
        'listWishes',
        'createWish',
        'getWish',
        'cancelWish',
        'claimWish',
        'handBackWish',
        'fulfilWish',
        'confirmWish',
        'listServiceItems',
        'searchGridResidents',
        'createServiceLog',
        'getMyPerformance',
      ])
    );
  });

  test("declares the point cards' endpoints the card pages call", () => {
    expect(endpoints.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'createCardHolder',
        'listCardHolders',
        'getCardHolder',
        'replaceCard',
        'unlockCard',
        'issueBindCode',
        'printCards',
        'bindCard',
        'listActs',
        'scanCard',
        'redeemWithCard',
      ])
    );
  });

  test.each(endpoints)('%s: its method and path exist in schemas/openapi.json', (name, ep) => {
    const operation = contract.findOperation(ep.method, ep.path);
    expect(operation && operation.key).toBe(`${ep.method} ${ep.path}`);
  });

  test.each(endpoints)('%s: has a named function in the API module', (name) => {
    expect(typeof api[name]).toBe('function');
  });

  test.each(endpoints)('%s: auth flag matches the contract security', (name, ep) => {
    const { op } = contract.findOperation(ep.method, ep.path);
    const secured = (op.security || []).some((s) => Object.keys(s).length > 0);
    expect(secured).toBe(ep.auth !== false);
  });

  test.each(endpoints)('%s: wx.request can send it (directly or by override)', (name, ep) => {
    expect(api.WX_METHODS.concat(['PATCH'])).toContain(ep.method);
  });
});

describe('Idempotency-Key', () => {
  const declaresKey = (ep) =>
    contract
      .findOperation(ep.method, ep.path)
      .parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key');

  test.each(endpoints)('%s: sends a key exactly when the contract takes one', (name, ep) => {
    expect(!!ep.idempotent).toBe(declaresKey(ep));
  });
});

describe('X-Acting-For', () => {
  const { ACTING_ENDPOINTS } = require('../utils/cards-api');
  const takesActing = (ep) =>
    !!contract.headerParameter(contract.findOperation(ep.method, ep.path), 'X-Acting-For');

  test('the client lists exactly the endpoints whose route takes the header', () => {
    const declared = endpoints.filter(([, ep]) => takesActing(ep)).map(([name]) => name);
    expect(declared.sort()).toEqual(ACTING_ENDPOINTS.slice().sort());
    expect(declared.length).toBeGreaterThanOrEqual(12);
  });

  test('api.actingFor offers only those endpoints', () => {
    const acting = api.actingFor(41);
    const offered = Object.keys(acting).filter((k) => typeof acting[k] === 'function');
    const endpointOf = { upload: 'uploadPhoto' };
    for (const name of offered) expect(ACTING_ENDPOINTS).toContain(endpointOf[name] || name);
    expect(offered).toHaveLength(ACTING_ENDPOINTS.length);
  });
});

describe('the contract checker itself', () => {
  test('finds concrete paths and rejects unknown ones', () => {
    expect(contract.matchOperation('POST', '/api/v1/communities/12/join').key).toBe(
      'POST /api/v1/communities/{community_id}/join'
    );
    expect(contract.matchOperation('GET', '/api/v1/no-such-thing')).toBeNull();
    expect(contract.findOperation('GET', '/api/v1/communities/{community_id}/join')).toBeNull();
  });

  test('rejects a body the contract does not allow', () => {
    const op = contract.findOperation('POST', '/api/v1/communities/{community_id}/join');
    expect(contract.requestErrors(op, {}, { grid_id: 1 })).toEqual([]);
    expect(contract.requestErrors(op, {}, { grid_id: 'x' }).length).toBeGreaterThan(0);
    expect(contract.requestErrors(op, {}, { grid: 1 }).length).toBeGreaterThan(0);
    expect(contract.responseErrors(op, 200, { community: { id: 1 } }).length).toBeGreaterThan(0);
  });
});
