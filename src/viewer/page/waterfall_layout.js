// @ts-check
/**
 * The waterfall's geometry, pure: the time axis of a turn, where each bar and log mark goes,
 * which rows a scroll position shows, where a key moves the selection. The drawing
 * (`waterfall.js`) only applies it. No DOM.
 *
 * @module
 */

/** @import { WaterfallSpan } from "../view_model.ts" */

/** A row's height in pixels (the stylesheet's `.row` height). */
export const ROW_HEIGHT = 24;
/** Log marks drawn on one bar at most. */
export const MAX_MARKS = 40;
/** Room right of the bars for the last bar's duration label, px. */
export const DURATION_ROOM = 84;

/**
 * The time axis: from the earliest start to the latest end, an open span ending at `now`.
 *
 * @typedef {object} TimeRange
 * @property {number} t0 Where the axis starts, ms since the epoch.
 * @property {number} total Its length, ms (at least 1).
 * @property {number} current The `now` it was computed for.
 */

/**
 * Where a span's bar ends: its end, or `now` while it is open.
 *
 * @param {Pick<WaterfallSpan, "status" | "start" | "end">} span
 * @param {number} now
 * @returns {number}
 */
export function spanEnd(span, now) {
  return span.status === "open" ? Math.max(now, span.start) : /** @type {number} */ (span.end);
}

/**
 * The axis for `spans` at `now`; for no spans, a 1 ms axis at `now`.
 *
 * @param {Pick<WaterfallSpan, "status" | "start" | "end">[]} spans
 * @param {number} now
 * @returns {TimeRange}
 */
export function timeRange(spans, now) {
  let t0 = Infinity;
  let t1 = -Infinity;
  spans.forEach(function (span) {
    if (span.start < t0) t0 = span.start;
    const end = spanEnd(span, now);
    if (end > t1) t1 = end;
    if (span.start > t1) t1 = span.start;
  });
  if (!isFinite(t0)) t0 = t1 = now;
  return { t0: t0, total: Math.max(t1 - t0, 1), current: now };
}

/**
 * A time's place on the axis, in percent of its width.
 *
 * @param {TimeRange} range
 * @param {number} time
 * @returns {number}
 */
export function percentAt(range, time) {
  return ((time - range.t0) / range.total) * 100;
}

/**
 * A span's bar: left edge and width in percent of the track, and the duration it shows.
 *
 * @param {Pick<WaterfallSpan, "status" | "start" | "end">} span
 * @param {TimeRange} range
 * @returns {{ left: number, width: number, duration: number }}
 */
export function barBox(span, range) {
  const end = spanEnd(span, range.current);
  return {
    left: percentAt(range, span.start),
    width: Math.max(0, ((end - span.start) / range.total) * 100),
    duration: end - span.start,
  };
}

/**
 * The width of the label column for a waterfall `width` px wide: 36%, within 160–360 px.
 *
 * @param {number} width
 * @returns {number}
 */
export function labelWidth(width) {
  return Math.max(160, Math.min(360, Math.floor(width * 0.36)));
}

/**
 * How far a row's label is indented for its depth, px (deeper than 24 levels stays at 24).
 *
 * @param {number} depth
 * @returns {number}
 */
export function labelIndent(depth) {
  return 6 + Math.min(depth, 24) * 12;
}

/**
 * The axis's five ticks: their offset from the left, px, and the time since the start.
 *
 * @param {TimeRange} range
 * @param {number} labels The label column's width, px.
 * @param {number} axisWidth The axis's width, px.
 * @returns {{ left: number, ms: number }[]}
 */
export function axisTicks(range, labels, axisWidth) {
  const width = Math.max(1, axisWidth - labels - DURATION_ROOM);
  const ticks = [];
  for (let i = 0; i < 5; i++) {
    ticks.push({ left: labels + (width * i) / 4, ms: (range.total * i) / 4 });
  }
  return ticks;
}

/**
 * The rows to draw for a scroll position: those in view and ten above, twenty below.
 *
 * @param {number} scrollTop
 * @param {number} height The viewport's height, px.
 * @param {number} count Rows in all.
 * @returns {{ first: number, last: number }} `first` included, `last` excluded.
 */
export function visibleRows(scrollTop, height, count) {
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - 10);
  return { first: first, last: Math.min(count, first + Math.ceil(height / ROW_HEIGHT) + 20) };
}

/**
 * The scroll position that shows row `index`, moving as little as needed.
 *
 * @param {number} index
 * @param {number} scrollTop
 * @param {number} height The viewport's height, px.
 * @returns {number}
 */
export function scrollToShow(index, scrollTop, height) {
  const top = index * ROW_HEIGHT;
  if (top < scrollTop) return top;
  if (top + ROW_HEIGHT > scrollTop + height) return top + ROW_HEIGHT - height;
  return scrollTop;
}

/**
 * The row a key moves the selection to, unclamped, or `undefined` for a key that does not
 * move it (arrows and j/k by one, PgUp/PgDn by a screen, Home and End).
 *
 * @param {string} key `KeyboardEvent.key`.
 * @param {number} selected
 * @param {number} count Rows in all.
 * @param {number} height The viewport's height, px.
 * @returns {number | undefined}
 */
export function keyTarget(key, selected, count, height) {
  const pageRows = Math.max(1, Math.floor(height / ROW_HEIGHT) - 1);
  switch (key) {
    case "ArrowDown":
    case "j":
      return selected + 1;
    case "ArrowUp":
    case "k":
      return selected - 1;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    case "PageDown":
      return selected + pageRows;
    case "PageUp":
      return selected - pageRows;
    default:
      return undefined;
  }
}

/**
 * The number of log marks drawn on a bar.
 *
 * @param {number} logs The span's log entries.
 * @returns {number}
 */
export function markCount(logs) {
  return logs > MAX_MARKS ? MAX_MARKS : logs;
}
