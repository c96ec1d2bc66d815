// Dates and numbers as residents read them: Asia/Shanghai (UTC+8, no daylight saving),
// whatever time zone the phone is set to.

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

function pad(n) {
  return n < 10 ? `0${n}` : String(n);
}

// The wall-clock parts of an instant in Shanghai.
function parts(value) {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(ms)) return null;
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  };
}

// 11月20日 09:00
function dateTime(value) {
  const p = value ? parts(value) : null;
  if (!p) return '';
  return `${p.month}月${p.day}日 ${pad(p.hour)}:${pad(p.minute)}`;
}

// 2026年11月20日 (an ISO date or an instant)
function date(value) {
  if (!value) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) return `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日`;
  const p = parts(value);
  return p ? `${p.year}年${p.month}月${p.day}日` : '';
}

// 09:00
function time(value) {
  const p = value ? parts(value) : null;
  return p ? `${pad(p.hour)}:${pad(p.minute)}` : '';
}

// 11月20日 09:00–11:30, or across days 11月20日 09:00 – 11月21日 12:00
function timeRange(start, end) {
  const a = parts(start);
  const b = parts(end);
  if (!a || !b) return '';
  if (a.year === b.year && a.month === b.month && a.day === b.day) {
    return `${dateTime(start)}–${time(end)}`;
  }
  return `${dateTime(start)} – ${dateTime(end)}`;
}

// Today in Shanghai as YYYY-MM-DD, and this month as YYYY-MM.
function today(now = Date.now()) {
  const p = parts(now);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

function thisMonth(now = Date.now()) {
  return today(now).slice(0, 7);
}

// The ranking periods the server accepts: 2026-11, 2026-Q4, 2026.
function period(kind, now = Date.now()) {
  const p = parts(now);
  if (kind === 'quarter') return `${p.year}-Q${Math.floor((p.month - 1) / 3) + 1}`;
  if (kind === 'year') return String(p.year);
  return `${p.year}-${pad(p.month)}`;
}

// A ranking period as people say it: 2026-12 -> 12月, 2026-Q4 -> 第四季度, 2026 -> 2026年.
function periodName(value) {
  const v = String(value || '');
  let m = v.match(/^\d{4}-(\d{2})$/);
  if (m) return `${Number(m[1])}月`;
  m = v.match(/^\d{4}-Q([1-4])$/);
  if (m) return `第${'一二三四'[Number(m[1]) - 1]}季度`;
  if (/^\d{4}$/.test(v)) return `${v}年`;
  return v;
}

function sameShanghaiDay(a, b) {
  return today(typeof a === 'number' ? a : Date.parse(a)) === today(b);
}

// 09:30 on the same Shanghai day as `now`, otherwise 11月21日 09:30.
function clockOrDate(value, now = Date.now()) {
  if (!value || !parts(value)) return '';
  return sameShanghaiDay(value, now) ? time(value) : dateTime(value);
}

// 1:05 for a countdown in seconds.
function countdown(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

// +20 / -15, as the ledger shows amounts.
function signed(n) {
  return n > 0 ? `+${n}` : String(n);
}

// 12.5 小时 without a trailing .0
function hours(n) {
  const v = Math.round(Number(n || 0) * 10) / 10;
  return String(v);
}

module.exports = {
  parts,
  dateTime,
  date,
  time,
  timeRange,
  today,
  thisMonth,
  period,
  periodName,
  sameShanghaiDay,
  clockOrDate,
  countdown,
  signed,
  hours,
};
