// @ts-check
/**
 * The waterfall's geometry, pure: the time axis of a turn, where each bar and log mark goes,
 * which rows a scroll position shows, where a key moves the selection. The drawing
 * (`waterfall.js`) only applies it. No DOM.
 *
 * @module
 */

/** @import { ReadableSpan } from "../readable_page.ts" */

import { silentSince } from "./silence.js";

/** A row's height in pixels (the stylesheet's `.row` height). */
export const ROW_HEIGHT = 24;
/** Log marks drawn on one bar at most. */
export const MAX_MARKS = 40;
/** Room right of the bars for the last bar's duration label, px. */
export const DURATION_ROOM = 84;

/**
 * The time axis: from the earliest start to the latest end, an open span ending at `now`
 * (a silent one at its writer's last record).
 *
 * @typedef {object} TimeRange
 * @property {number} t0 Where the axis starts, ms since the epoch.
 * @property {number} total Its length, ms (at least 1).
 * @property {number} current The `now` it was computed for.
 * @property {number} [origin] Where the tick labels count from, ms since the epoch: the
 *   turn's start on a zoomed axis; `t0` when absent.
 */

/**
 * A zoomed part of the time axis, ms since the epoch; `null` is the whole turn. Kept as times,
 * not fractions, so it stays on the same spans while an open turn's axis grows.
 *
 * @typedef {{ from: number, to: number } | null} ZoomWindow
 */

/** The narrowest window zoom goes to, ms. */
export const MIN_WINDOW_MS = 0.01;
/** A drag narrower than this many pixels is a click, not a zoom. */
export const MIN_DRAG_PX = 5;

/**
 * Where a span's bar ends: its end; while it is open, `now`, or, once its writer has been
 * silent a while (`silence.js`), that writer's last record in the turn.
 *
 * @param {Pick<ReadableSpan, "status" | "start" | "end" | "lastRecordAt">} span
 * @param {number} now
 * @returns {number}
 */
export function spanEnd(span, now) {
  if (span.status !== "open") return /** @type {number} */ (span.end);
  const silent = silentSince(span, now);
  return silent !== undefined ? silent : Math.max(now, span.start);
}

/**
 * The axis for `spans` at `now`; for no spans, a 1 ms axis at `now`.
 *
 * @param {Pick<ReadableSpan, "status" | "start" | "end" | "lastRecordAt">[]} spans
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
 * @param {Pick<ReadableSpan, "status" | "start" | "end" | "lastRecordAt">} span
 * @param {TimeRange} range
 * @returns {{ left: number, width: number, duration: number, outside: boolean }} `outside`:
 *   the bar is wholly off a zoomed axis.
 */
export function barBox(span, range) {
  const end = spanEnd(span, range.current);
  // Clipped to the axis: on a zoomed axis a bar may start before it or end after it.
  const left = percentAt(range, span.start);
  const right = percentAt(range, end);
  const clippedLeft = Math.min(100, Math.max(0, left));
  return {
    left: clippedLeft,
    width: Math.max(0, Math.min(100, right) - clippedLeft),
    duration: end - span.start,
    outside: right < 0 || left > 100,
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
 * The axis's five ticks: their offset from the left, px, and the time since the turn's start.
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
    const from = range.t0 - (range.origin === undefined ? range.t0 : range.origin);
    ticks.push({ left: labels + (width * i) / 4, ms: from + (range.total * i) / 4 });
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

/**
 * The axis drawn for a zoom window: the window's part of `full`, its ticks still counted from
 * the turn's start; `full` itself when not zoomed.
 *
 * @param {TimeRange} full The whole turn's axis.
 * @param {ZoomWindow} zoom
 * @returns {TimeRange}
 */
export function zoomedRange(full, zoom) {
  if (zoom === null) return full;
  return { t0: zoom.from, total: zoom.to - zoom.from, current: full.current, origin: full.t0 };
}

/**
 * Where a pixel of the waterfall falls on the track, 0 at its left end and 1 at its right.
 *
 * @param {number} x Pixels from the waterfall's left edge.
 * @param {number} labels The label column's width, px.
 * @param {number} axisWidth The waterfall's width, px.
 * @returns {number} Clamped to 0–1.
 */
export function trackFraction(x, labels, axisWidth) {
  const width = Math.max(1, axisWidth - labels - DURATION_ROOM);
  return Math.min(1, Math.max(0, (x - labels) / width));
}

/**
 * A window kept inside the turn and no narrower than {@linkcode MIN_WINDOW_MS}; `null` when it
 * covers the whole turn.
 *
 * @param {TimeRange} full
 * @param {number} from
 * @param {number} to
 * @returns {ZoomWindow}
 */
function fitWindow(full, from, to) {
  const end = full.t0 + full.total;
  let width = Math.max(MIN_WINDOW_MS, to - from);
  if (width >= full.total) return null;
  let start = Math.min(Math.max(from, full.t0), end - width);
  if (start < full.t0) start = full.t0;
  width = Math.min(width, end - start);
  return { from: start, to: start + width };
}

/**
 * The window a drag across the track selects (from `x0` to `x1`, either way), on the axis as
 * drawn; `undefined` for a drag under {@linkcode MIN_DRAG_PX} (a click).
 *
 * @param {TimeRange} full The whole turn's axis.
 * @param {ZoomWindow} zoom The window drawn now.
 * @param {number} x0 Where the drag started, px from the waterfall's left edge.
 * @param {number} x1 Where it ended.
 * @param {number} labels The label column's width, px.
 * @param {number} axisWidth The waterfall's width, px.
 * @returns {ZoomWindow | undefined}
 */
export function dragWindow(full, zoom, x0, x1, labels, axisWidth) {
  if (Math.abs(x1 - x0) < MIN_DRAG_PX) return undefined;
  const shown = zoomedRange(full, zoom);
  const a = trackFraction(Math.min(x0, x1), labels, axisWidth);
  const b = trackFraction(Math.max(x0, x1), labels, axisWidth);
  return fitWindow(full, shown.t0 + a * shown.total, shown.t0 + b * shown.total);
}

/**
 * The window after a key, or `undefined` for a key that does not zoom or pan: `0` the whole
 * turn, `+` (or `=`) half as wide around its middle, `-` twice as wide, `←` and `→` a quarter
 * of its width earlier or later (only while zoomed).
 *
 * @param {string} key `KeyboardEvent.key`.
 * @param {TimeRange} full The whole turn's axis.
 * @param {ZoomWindow} zoom The window drawn now.
 * @returns {ZoomWindow | undefined}
 */
export function zoomKey(key, full, zoom) {
  const shown = zoomedRange(full, zoom);
  const middle = shown.t0 + shown.total / 2;
  switch (key) {
    case "0":
      return null;
    case "+":
    case "=":
      return fitWindow(full, middle - shown.total / 4, middle + shown.total / 4);
    case "-":
      return fitWindow(full, middle - shown.total, middle + shown.total);
    case "ArrowLeft":
    case "ArrowRight": {
      if (zoom === null) return undefined;
      const step = (key === "ArrowLeft" ? -1 : 1) * shown.total / 4;
      return fitWindow(full, zoom.from + step, zoom.to + step);
    }
    default:
      return undefined;
  }
}
