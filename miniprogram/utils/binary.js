// Binary answers (a PDF through wx.request with responseType 'arraybuffer'): a success keeps
// its bytes, a refusal's JSON envelope is decoded back so its Chinese message is shown.

// UTF-8 bytes to text; the mini-program runtime has no TextDecoder everywhere.
function utf8Decode(buffer) {
  const bytes = new Uint8Array(buffer);
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const n = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    let cp = n === 1 ? b : b & (0xff >> (n + 1));
    for (let k = 1; k < n; k += 1) cp = (cp << 6) | (bytes[i + k] & 0x3f);
    out += String.fromCodePoint(cp);
    i += n;
  }
  return out;
}

function isBuffer(data) {
  return !!data && typeof data === 'object' && typeof data.byteLength === 'number';
}

// A raw {statusCode, data} whose data is bytes, as api.js's unwrap expects it.
function binaryResponse(res) {
  if (res.statusCode >= 200 && res.statusCode < 300) return res;
  let data = res.data;
  if (isBuffer(data)) {
    try {
      data = JSON.parse(utf8Decode(data));
    } catch (e) {
      data = null; // not our envelope: the status says what happened
    }
  }
  return { statusCode: res.statusCode, data };
}

module.exports = { utf8Decode, binaryResponse };
