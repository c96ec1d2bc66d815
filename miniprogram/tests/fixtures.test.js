// Every fixture is a server answer the contract allows: a fixture that drifts from
// schemas/openapi.json (a renamed field, a new required one) fails here.

const contract = require('./helpers/contract');
const { names, fixture } = require('./helpers/fixtures');

const all = names();

test('there are fixtures', () => {
  expect(all.length).toBeGreaterThan(0);
});

test.each(all)('fixture %s validates against its operation in schemas/openapi.json', (name) => {
  const f = fixture(name);
  expect(Object.keys(f).sort()).toEqual(['body', 'operation', 'status']);
  const [method, template] = f.operation.split(' ');
  const operation = contract.findOperation(method, template);
  expect(operation).not.toBeNull();
  expect(contract.responseErrors(operation, f.status, f.body)).toEqual([]);
});

test('a fixture that breaks the contract is caught', () => {
  const f = fixture('me_resident');
  const operation = contract.findOperation('GET', '/api/v1/me');
  const broken = Object.assign({}, f.body);
  delete broken.phone_bound;
  expect(contract.responseErrors(operation, 200, broken).join('\n')).toMatch(/phone_bound/);
  const withExtra = Object.assign({}, f.body, { extra: 1 });
  expect(contract.responseErrors(operation, 200, withExtra)).not.toEqual([]);
  const withoutPhone = Object.assign({}, f.body, { phone: null });
  expect(contract.responseErrors(operation, 200, withoutPhone)).toEqual([]);
});
