// @ts-check
/**
 * How the page writes times, durations, numbers and values: pure, no DOM.
 *
 * @module
 */

/**
 * `n` with leading zeros up to `width` digits.
 *
 * @param {number} n
 * @param {number} [width] Digits, 2 unless given.
 * @returns {string}
 */
export function pad(n, width) {
  return String(n).padStart(width || 2, "0");
}

/**
 * A local time to the millisecond, `2025-01-31 14:05:09.042`; what is not a time, as is.
 *
 * @param {number} ms Since the epoch.
 * @returns {string}
 */
export function formatTime(ms) {
  const d = new Date(ms);
  if (isNaN(d.getTime())) return String(ms);
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
    pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." +
    pad(d.getMilliseconds(), 3);
}

/**
 * A duration in the largest unit that keeps it short: `0.25 ms`, `42 ms`, `1.50 s`, `12.0 s`,
 * `3m 5s`, `2h 7m`; nothing for what is not finite.
 *
 * @param {number} ms
 * @returns {string}
 */
export function formatDuration(ms) {
  if (!isFinite(ms)) return "";
  if (ms < 1) return ms.toFixed(2) + " ms";
  if (ms < 1000) return Math.round(ms) + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
  const m = Math.floor(ms / 60000);
  if (m < 60) return m + "m " + Math.floor((ms % 60000) / 1000) + "s";
  return Math.floor(m / 60) + "h " + (m % 60) + "m";
}

/**
 * 1234567 → "1,234,567". By hand: the first toLocaleString call loads ICU data (~45 ms).
 *
 * @param {number | undefined | null} n Absent counts as 0.
 * @returns {string}
 */
export function formatNumber(n) {
  const value = Number(n || 0);
  if (!isFinite(value) || Math.abs(value) >= 1e21) return String(value);
  const parts = String(Math.abs(value)).split(".");
  const whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (value < 0 ? "-" : "") + whole + (parts.length > 1 ? "." + parts[1] : "");
}

/**
 * A value as text: a string as is, anything else as indented JSON, else `String(value)`.
 *
 * @param {unknown} value
 * @returns {string}
 */
export function valueText(value) {
  if (typeof value === "string") return value;
  try {
    const text = JSON.stringify(value, null, 2);
    return text === undefined ? String(value) : text;
  } catch (_) {
    return String(value);
  }
}
