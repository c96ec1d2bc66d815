// The app shell: pages log in lazily through utils/api.js (the first call without a token
// logs in), so launch does no network work and a failed login never blocks the UI.
App({
  onLaunch() {},
});
