// The caller's profile (GET /me), cached for the session so every tab does not refetch it.
// Pages that change it (join, bind phone) call set() with the fresh value.

const api = require('./api');

let cached = null;
let pending = null;

function get({ refresh = false } = {}) {
  if (cached && !refresh) return Promise.resolve(cached);
  if (!pending) {
    pending = api.getMe().then(
      (profile) => {
        cached = profile;
        pending = null;
        return profile;
      },
      (err) => {
        pending = null;
        throw err;
      }
    );
  }
  return pending;
}

function set(profile) {
  cached = profile;
}

function clear() {
  cached = null;
  pending = null;
}

function hasRole(profile, role) {
  return !!(profile && Array.isArray(profile.roles) && profile.roles.indexOf(role) >= 0);
}

module.exports = { get, set, clear, hasRole };
