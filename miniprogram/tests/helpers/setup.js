// Every test fails when the client sent a request, or a fake answered with a body, that
// schemas/openapi.json does not allow.
afterEach(() => {
  const fake = global.__fakeWx;
  global.__fakeWx = null;
  if (fake) expect(fake.violations).toEqual([]);
  // wx.showToast cuts a title after 7 characters: every result toast a page shows fits.
  // api.showError's refusals (duration 2500) are the server's messages, shown on two lines.
  if (fake) {
    const long = fake.toasts.filter((t) => t.duration !== 2500 && String(t.title).length > 7);
    expect(long.map((t) => t.title)).toEqual([]);
  }
});
