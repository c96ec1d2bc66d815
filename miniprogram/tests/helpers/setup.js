// Every test fails when the client sent a request, or a fake answered with a body, that
// schemas/openapi.json does not allow.
afterEach(() => {
  const fake = global.__fakeWx;
  global.__fakeWx = null;
  if (fake) expect(fake.violations).toEqual([]);
});
