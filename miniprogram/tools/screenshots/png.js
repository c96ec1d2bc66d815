// Is a file a whole, decodable PNG? Checks the signature, every chunk's CRC, IHDR first and
// IEND last, and that the image data inflates to exactly height × (1 + bytes per row).
// Used by --check: the pictures are compared by validity, not pixel by pixel.

const fs = require('fs');
const zlib = require('zlib');

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Returns {width, height}; throws an Error saying what is wrong.
function readPng(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let at = 8;
  let header = null;
  const data = [];
  let ended = false;
  while (at < buf.length) {
    if (at + 12 > buf.length) throw new Error('truncated chunk');
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (at + 12 + length > buf.length) throw new Error(`truncated ${type} chunk`);
    const body = buf.subarray(at + 8, at + 8 + length);
    if (crc32(buf.subarray(at + 4, at + 8 + length)) !== buf.readUInt32BE(at + 8 + length)) {
      throw new Error(`bad CRC in ${type}`);
    }
    if (!header && type !== 'IHDR') throw new Error('IHDR is not the first chunk');
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        depth: body[8],
        colour: body[9],
        interlace: body[12],
      };
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    at += 12 + length;
  }
  if (!ended) throw new Error('no IEND chunk');
  if (!header.width || !header.height) throw new Error('empty image');
  if (!data.length) throw new Error('no image data');
  const raw = zlib.inflateSync(Buffer.concat(data));
  if (header.interlace === 0 && CHANNELS[header.colour]) {
    const rowBytes = Math.ceil((header.width * CHANNELS[header.colour] * header.depth) / 8);
    if (raw.length !== header.height * (rowBytes + 1))
      throw new Error('image data has the wrong size');
  }
  return { width: header.width, height: header.height };
}

module.exports = { readPng, crc32 };
