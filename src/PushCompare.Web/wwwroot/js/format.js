// Number and time formatting shared by the log, the live panel, the comparison table and the charts.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const twoDecimals = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** A count or byte figure: "12,345"; fractions (bytes per message) keep one decimal below 1,000. */
export function formatNumber(value) {
  if (value == null || Number.isNaN(value)) return '—';
  return Number.isInteger(value) || Math.abs(value) >= 1000 ? integer.format(value) : oneDecimal.format(value);
}

/** Milliseconds: two decimals below 10 ms (loopback WebSocket latencies are fractions of one), else whole. */
export function formatMs(value) {
  if (value == null || Number.isNaN(value)) return '—';
  return `${Math.abs(value) < 10 ? twoDecimals.format(value) : integer.format(value)} ms`;
}

/** How many times `value` is `reference`: "×24", "×2.4"; null when the reference is 0 or unknown. */
export function ratio(value, reference) {
  if (value == null || reference == null || reference <= 0) return null;
  return value / reference;
}

export function formatRatio(r) {
  if (r == null || !Number.isFinite(r)) return '—';
  return `×${r >= 10 ? integer.format(r) : oneDecimal.format(r)}`;
}

/** Local time as HH:MM:SS.mmm. */
export function timestamp(date = new Date()) {
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
