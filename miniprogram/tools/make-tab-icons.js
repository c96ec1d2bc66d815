// Draws the four tab-bar icons (grey and red) as 81x81 PNGs into images/.
// Run with `node tools/make-tab-icons.js`; no dependencies beyond Node itself.

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const SIZE = 81;
const SS = 4; // supersampling per axis
const STROKE = 5.5;
const COLORS = { '': [0x8a, 0x8a, 0x8f], '-active': [0xc8, 0x10, 0x2e] };

function segDist(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function polyline(points, closed) {
  const segs = [];
  for (let i = 0; i < points.length - 1; i += 1) segs.push([points[i], points[i + 1]]);
  if (closed) segs.push([points[points.length - 1], points[0]]);
  return (x, y) => segs.some(([a, b]) => segDist(x, y, a, b) <= STROKE / 2);
}

function ring(cx, cy, r) {
  return (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= STROKE / 2;
}

function arc(cx, cy, r, from, to) {
  return (x, y) => {
    const a = Math.atan2(y - cy, x - cx);
    return a >= from && a <= to && Math.abs(Math.hypot(x - cx, y - cy) - r) <= STROKE / 2;
  };
}

function clipAbove(shape, maxY) {
  return (x, y) => y <= maxY && shape(x, y);
}

// Signed distance to a rounded rectangle; the stroke is where it is near zero.
function roundRect(x0, y0, x1, y1, r) {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const hx = (x1 - x0) / 2 - r;
  const hy = (y1 - y0) / 2 - r;
  return (x, y) => {
    const qx = Math.abs(x - cx) - hx;
    const qy = Math.abs(y - cy) - hy;
    const d = Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
    return Math.abs(d) <= STROKE / 2;
  };
}

function filledPolygon(points) {
  return (x, y) => {
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i, i += 1) {
      const [xi, yi] = points[i];
      const [xj, yj] = points[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
}

function star(cx, cy, outer, inner) {
  const pts = [];
  for (let i = 0; i < 10; i += 1) {
    const r = i % 2 ? inner : outer;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    pts.push([cx + r * Math.cos(a), cy + r * Math.sin(a)]);
  }
  return filledPolygon(pts);
}

const ICONS = {
  tasks: [
    roundRect(16, 14, 65, 69, 8),
    polyline([[28, 28], [53, 28]]),
    polyline([[27, 48], [36, 57], [54, 39]]),
  ],
  points: [ring(40.5, 40.5, 27), star(40.5, 42, 15, 6.5)],
  rewards: [
    roundRect(15, 32, 66, 68, 5),
    polyline([[11, 32], [70, 32]]),
    polyline([[40.5, 32], [40.5, 68]]),
    clipAbove(ring(33, 24, 7), 30),
    clipAbove(ring(48, 24, 7), 30),
  ],
  me: [ring(40.5, 28, 13), arc(40.5, 74, 28, -Math.PI + 0.15, -0.15)],
};

function crc32(buf) {
  let c;
  let crc = 0xffffffff;
  for (let n = 0; n < buf.length; n += 1) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(shapes, [r, g, b]) {
  const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
  for (let y = 0; y < SIZE; y += 1) {
    raw[y * (SIZE * 4 + 1)] = 0;
    for (let x = 0; x < SIZE; x += 1) {
      let hits = 0;
      for (let sy = 0; sy < SS; sy += 1) {
        for (let sx = 0; sx < SS; sx += 1) {
          const px = x + (sx + 0.5) / SS;
          const py = y + (sy + 0.5) / SS;
          if (shapes.some((s) => s(px, py))) hits += 1;
        }
      }
      const o = y * (SIZE * 4 + 1) + 1 + x * 4;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
      raw[o + 3] = Math.round((255 * hits) / (SS * SS));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const out = path.resolve(__dirname, '../images');
fs.mkdirSync(out, { recursive: true });
for (const [name, shapes] of Object.entries(ICONS)) {
  for (const [suffix, color] of Object.entries(COLORS)) {
    fs.writeFileSync(path.join(out, `tab-${name}${suffix}.png`), png(shapes, color));
  }
}
