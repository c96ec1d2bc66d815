// The screen a code is shown on (utils/screen.js), as fake-wx's setKeepScreenOn and
// get/setScreenBrightness leave it: lit while the code is up, the person's own setting
// (fake-wx starts at 0.4) once it goes away.

const LIT = { keepOn: true, brightness: 1 };
const RESTORED = { keepOn: false, brightness: 0.4 };

// Every code screen keeps this cycle: hidden → restored, shown again → lit, left → restored.
async function expectHideShowLeave(fake, page) {
  page.instance.onHide();
  await fake.settle();
  expect(fake.screen).toEqual(RESTORED);
  page.instance.onShow();
  await fake.settle();
  expect(fake.screen).toEqual(LIT);
  page.instance.onUnload();
  await fake.settle();
  expect(fake.screen).toEqual(RESTORED);
}

module.exports = { LIT, RESTORED, expectHideShowLeave };
