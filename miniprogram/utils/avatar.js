// A profile's avatar_url on screen. The server keeps an avatar as its upload's address
// (/api/v1/uploads/<id>, what POST /uploads answered); <image> cannot send the bearer header,
// so it is downloaded through api.download once per address and shown from the temp file.

const api = require('./api');

const UPLOAD_URL = /^\/api\/v1\/uploads\/([1-9][0-9]*)$/;
const shown = {}; // avatar_url -> downloaded temp path

async function avatarPath(url) {
  if (!url) return '';
  if (shown[url]) return shown[url];
  const match = UPLOAD_URL.exec(url);
  if (!match) return /^https:\/\//.test(url) ? url : '';
  try {
    shown[url] = await api.download(Number(match[1]));
  } catch (err) {
    return ''; // the initial letter stands in
  }
  return shown[url];
}

// A file just chosen and uploaded is already on the phone: no need to download it again.
function remember(url, path) {
  if (url && path) shown[url] = path;
}

function clear() {
  Object.keys(shown).forEach((k) => delete shown[k]);
}

module.exports = { avatarPath, remember, clear };
