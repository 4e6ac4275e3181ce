// @ts-check
/// <reference lib="dom" />
/**
 * The waterfall pane: a time axis over rows of bars, drawn for the rows in view only (a turn
 * of 50,000 spans scrolls as fast as one of fifty). Its geometry comes from
 * `waterfall_layout.js`.
 *
 * @module
 */

/** @import { ReadableSpan } from "../readable_page.ts" */
/** @import { TimeRange } from "./waterfall_layout.js" */

import { clear, el } from "./dom.js";
import { formatDuration } from "./format.js";
import { silenceNote, silentSince } from "./silence.js";
import {
  axisTicks,
  barBox,
  DURATION_ROOM,
  labelIndent,
  labelWidth,
  markCount,
  percentAt,
  ROW_HEIGHT,
  scrollToShow,
  visibleRows,
} from "./waterfall_layout.js";

/**
 * The waterfall's elements and its drawing.
 *
 * @typedef {object} Waterfall
 * @property {HTMLElement} element The pane.
 * @property {HTMLDivElement} rows The scrolled, focusable list of rows.
 * @property {(spans: ReadableSpan[], range: TimeRange, selected: number) => void} draw
 *   Draws the axis and the rows in view.
 * @property {(index: number) => void} reveal Scrolls just enough to show row `index`.
 * @property {() => void} empty Removes every row.
 * @property {(zoomed: string | null) => void} setZoomNote Says which part of the axis shows.
 */

/**
 * A new, empty waterfall pane. A drag across the axis or the bars calls `onDrag` with where
 * it started and ended (px from the pane's left edge) and the label and axis widths.
 *
 * @param {(x0: number, x1: number, labels: number, axisWidth: number) => void} onDrag
 * @returns {Waterfall}
 */
export function createWaterfall(onDrag) {
  const element = el("section", "waterfall");
  element.setAttribute("aria-label", "Waterfall");
  const axis = el("div", "axis");
  const rows = el("div", "rows");
  rows.tabIndex = 0;
  rows.setAttribute("role", "listbox");
  rows.setAttribute("aria-label", "Spans (arrow keys move, Escape returns to the list)");
  const inner = el("div", "rows-inner");
  rows.appendChild(inner);
  const brush = el("div", "brush");
  brush.hidden = true;
  const zoomNote = el("span", "zoomnote");
  const hint = el(
    "div",
    "hint",
    "↑ ↓ Home End PgUp PgDn: move · drag: zoom · + −: zoom · ← →: pan · 0: whole turn · Esc: back to turns",
  );
  hint.appendChild(zoomNote);
  element.append(axis, rows, brush, hint);
  element.style.position = "relative";

  /** @type {{ x0: number, labels: number, width: number } | null} */
  let drag = null;
  /** @param {MouseEvent} event */
  function xOf(event) {
    return event.clientX - element.getBoundingClientRect().left;
  }
  element.addEventListener("mousedown", function (event) {
    const target = /** @type {Element} */ (event.target);
    if (
      event.button !== 0 || !(target === axis || axis.contains(target) || rows.contains(target))
    ) {
      return;
    }
    const labels = labelWidth(rows.clientWidth);
    const x0 = xOf(event);
    if (x0 < labels) return;
    drag = { x0: x0, labels: labels, width: axis.clientWidth };
    event.preventDefault();
  });
  globalThis.addEventListener("mousemove", function (event) {
    if (!drag) return;
    const x = xOf(event);
    brush.hidden = Math.abs(x - drag.x0) < 2;
    brush.style.left = Math.min(x, drag.x0) + "px";
    brush.style.width = Math.abs(x - drag.x0) + "px";
  });
  globalThis.addEventListener("mouseup", function (event) {
    if (!drag) return;
    const started = drag;
    drag = null;
    brush.hidden = true;
    onDrag(started.x0, xOf(event), started.labels, started.width);
  });

  /**
   * @param {TimeRange} range
   * @param {number} labels
   * @param {number} axisWidth
   */
  function drawAxis(range, labels, axisWidth) {
    clear(axis);
    axisTicks(range, labels, axisWidth).forEach(function (at) {
      const tick = el("div", "tick", formatDuration(at.ms));
      tick.style.left = at.left + "px";
      axis.appendChild(tick);
    });
  }

  /**
   * One row: its label (indented by depth) and its bar with log marks.
   *
   * @param {ReadableSpan} span
   * @param {number} index
   * @param {boolean} selected
   * @param {TimeRange} range
   * @param {number} labels
   * @returns {HTMLDivElement}
   */
  function spanRow(span, index, selected, range, labels) {
    const silent = silentSince(span, range.current);
    const row = el(
      "div",
      "row " + span.status + (silent !== undefined ? " silent" : "") +
        (selected ? " selected" : ""),
    );
    row.setAttribute("role", "option");
    row.setAttribute("aria-selected", selected ? "true" : "false");
    row.dataset.index = String(index);
    row.dataset.span = span.spanId;
    row.style.top = index * ROW_HEIGHT + "px";
    const label = el("div", "label");
    label.style.width = labels + "px";
    label.style.paddingLeft = labelIndent(span.depth) + "px";
    label.appendChild(el("span", "nm", span.name));
    label.appendChild(el("span", "svc", span.extensionId));
    label.title = span.name + " (" + span.extensionId + ")";
    const track = el("div", "track");
    track.style.marginRight = DURATION_ROOM + "px";
    const box = barBox(span, range);
    const bar = el("div", box.outside ? "bar outside" : "bar");
    bar.style.left = box.left + "%";
    bar.style.width = box.width + "%";
    bar.appendChild(el(
      "span",
      "dur",
      silent !== undefined
        ? "open ≥ " + formatDuration(box.duration) + " · " + silenceNote(silent, range.current)
        : span.status === "open"
        ? "open " + formatDuration(box.duration)
        : formatDuration(box.duration),
    ));
    if (silent !== undefined) bar.title = silenceNote(silent, range.current);
    track.appendChild(bar);
    const marks = markCount(span.logs.length);
    for (let k = 0; k < marks; k++) {
      const log = span.logs[k];
      const at = percentAt(range, log.timestamp);
      if (at < 0 || at > 100) continue;
      const mark = el("div", "logmark " + log.level);
      mark.style.left = at + "%";
      mark.title = log.level + ": " + log.msg;
      track.appendChild(mark);
    }
    row.append(label, track);
    return row;
  }

  /** @type {Waterfall["draw"]} */
  function draw(spans, range, selected) {
    // Every geometry read before any write: one layout per draw, not one per row.
    const labels = labelWidth(rows.clientWidth);
    const axisWidth = axis.clientWidth;
    const shown = visibleRows(rows.scrollTop, rows.clientHeight, spans.length);
    drawAxis(range, labels, axisWidth);
    const fragment = document.createDocumentFragment();
    for (let i = shown.first; i < shown.last; i++) {
      fragment.appendChild(spanRow(spans[i], i, i === selected, range, labels));
    }
    clear(inner);
    inner.style.height = spans.length * ROW_HEIGHT + "px";
    inner.appendChild(fragment);
  }

  /** @type {Waterfall["reveal"]} */
  function reveal(index) {
    const top = scrollToShow(index, rows.scrollTop, rows.clientHeight);
    if (top !== rows.scrollTop) rows.scrollTop = top;
  }

  return {
    element: element,
    rows: rows,
    draw: draw,
    reveal: reveal,
    empty: function () {
      clear(inner);
    },
    setZoomNote: function (zoomed) {
      zoomNote.textContent = zoomed === null ? "" : " · " + zoomed;
      element.classList.toggle("zoomed", zoomed !== null);
    },
  };
}
