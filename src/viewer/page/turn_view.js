// @ts-check
/// <reference lib="dom" />
/**
 * One turn or trace (`/?turn=<id>`, `/?trace=<id>`): its summary bar, the waterfall and the
 * detail pane of the selected span, kept current while spans are open.
 *
 * @module
 */

/** @import { TraceViewPage, WaterfallSpan } from "../view_model.ts" */
/** @import { Shell } from "./main.js" */
/** @import { CallSource } from "./model_call.js" */
/** @import { TimeRange, ZoomWindow } from "./waterfall_layout.js" */

import { getJSON, getTagged, now, view } from "./api.js";
import { drawDetail } from "./detail.js";
import { evaluations, evaluationText } from "./detail_model.js";
import { badge, clear, el } from "./dom.js";
import { formatDuration, formatNumber, formatTime } from "./format.js";
import { formatCost } from "./cost_format.js";
import { createWaterfall } from "./waterfall.js";
import { dragWindow, keyTarget, timeRange, zoomedRange, zoomKey } from "./waterfall_layout.js";

/** A turn's spans are fetched page by page up to this many; the rest are counted. */
export const MAX_SPANS = 50000;

/**
 * The pages after the first, up to {@linkcode MAX_SPANS} spans, appended to it.
 *
 * @param {string} url The first page's address.
 * @param {TraceViewPage} first
 * @returns {Promise<TraceViewPage>}
 */
function morePages(url, first) {
  let next = first.next;
  /** @returns {Promise<TraceViewPage>} */
  function fetchNext() {
    if (next === undefined || first.spans.length >= MAX_SPANS) return Promise.resolve(first);
    return getJSON(url + "&offset=" + next).then(function (got) {
      const page = /** @type {TraceViewPage} */ (got);
      for (let i = 0; i < page.spans.length; i++) first.spans.push(page.spans[i]);
      next = page.next;
      return fetchNext();
    });
  }
  return fetchNext();
}

/**
 * Draws one turn (`kind` "turn") or trace into the shell and keeps it current.
 *
 * @param {Shell} shell
 * @param {"turn" | "trace"} kind
 * @param {string} id
 * @param {string | null} wanted The span to select first (`?span=`).
 */
export function turnView(shell, kind, id, wanted) {
  const app = shell.app;
  shell.crumb.textContent = kind + " " + id;
  if (kind === "turn") view.versionUrl = "/api/version?turn=" + encodeURIComponent(id);
  document.title = "journal-sink: " + kind + " " + id;
  /** @type {TraceViewPage | null} */
  let data = null;
  let selected = -1;
  let loaded = false;
  /** Where the detail pane asks for a model call's difference, and a span's name by id. */
  /** @type {CallSource} */
  const callSource = {
    kind: kind,
    id: id,
    spanName: function (spanId) {
      if (!data) return undefined;
      for (let i = 0; i < data.spans.length; i++) {
        if (data.spans[i].spanId === spanId) return data.spans[i].name;
      }
      return undefined;
    },
  };
  /** The time axis: computed once per answer, again each second while spans are open. */
  /** @type {TimeRange | null} */
  let spanRange = null;
  clear(app);
  const bar = el("div", "turnbar");
  const back = el("a", null, "← turns");
  back.href = "/";
  const stats = el("span", "stat");
  bar.append(back, stats);
  const split = el("div", "split");
  /** The part of the axis shown: `null`, the whole turn. */
  /** @type {ZoomWindow} */
  let zoom = null;
  /** @param {ZoomWindow} next */
  function setZoom(next) {
    zoom = next;
    fall.setZoomNote(
      zoom === null || !data ? null : "showing " +
        formatDuration(zoom.from - range(data).t0) + " – " +
        formatDuration(zoom.to - range(data).t0) + " of " + formatDuration(range(data).total),
    );
    drawRows();
  }
  const fall = createWaterfall(function (x0, x1, labels, axisWidth) {
    if (!data) return;
    const next = dragWindow(range(data), zoom, x0, x1, labels, axisWidth);
    if (next !== undefined) setZoom(next);
  });
  const rows = fall.rows;
  const detail = el("aside", "detail");
  detail.id = "detail";
  detail.setAttribute("aria-label", "Selected span");
  split.append(fall.element, detail);
  app.append(bar, split);

  /**
   * @param {TraceViewPage} shown
   * @returns {TimeRange}
   */
  function range(shown) {
    return spanRange || (spanRange = timeRange(shown.spans, now()));
  }
  function drawRows() {
    if (!data) return;
    fall.draw(data.spans, zoomedRange(range(data), zoom), selected);
  }
  /**
   * Selects row `index` (clamped), keeps it in the address, and redraws.
   *
   * @param {number} index
   * @param {boolean} scroll Whether to scroll it into view.
   */
  function select(index, scroll) {
    if (!data || data.spans.length === 0) return;
    selected = Math.max(0, Math.min(data.spans.length - 1, index));
    const q = new URLSearchParams(location.search);
    q.set("span", data.spans[selected].spanId);
    history.replaceState(null, "", "?" + q.toString());
    if (scroll) fall.reveal(selected);
    drawRows();
    drawDetail(detail, data.spans[selected], callSource);
  }
  /** @param {TraceViewPage} shown */
  function summary(shown) {
    let errors = 0;
    let open = 0;
    // Totals from the server: the page counts no tokens.
    const input = shown.inputTokens;
    const output = shown.outputTokens;
    shown.spans.forEach(function (span) {
      if (span.status === "error") errors++;
      if (span.status === "open") open++;
    });
    const r = range(shown);
    clear(stats);
    /**
     * @param {string} label
     * @param {string} value
     */
    function stat(label, value) {
      const s = el("span", "stat", label + " ");
      s.appendChild(el("b", null, value));
      stats.appendChild(s);
      stats.appendChild(document.createTextNode("  "));
    }
    stats.appendChild(badge(open ? "open" : errors ? "error" : "ok"));
    stats.appendChild(document.createTextNode("  "));
    const count = shown.spans.length;
    stat(
      "spans",
      shown.total > count
        ? formatNumber(count) + " of " + formatNumber(shown.total)
        : formatNumber(count),
    );
    if (shown.total > count) {
      stat(
        "not shown",
        formatNumber(shown.total - count) + " (the first " + formatNumber(MAX_SPANS) + " are)",
      );
    }
    stat("errors", formatNumber(errors));
    stat("open", formatNumber(open));
    stat("duration", formatDuration(r.total));
    if (input || output) {
      stat("tokens in / out", formatNumber(input) + " / " + formatNumber(output));
    }
    if (shown.costUsd !== undefined) stat("cost", formatCost(shown.costUsd));
    if (count) stat("started", formatTime(r.t0));
    /** @type {string[]} */
    const scores = [];
    shown.spans.forEach(function (span) {
      evaluations(span).forEach(function (e) {
        scores.push(evaluationText(e));
      });
    });
    if (scores.length) stat("evaluations", scores.join("; "));
  }
  /** @type {string | null} */
  let tag = null;
  function load() {
    const url = "/api/" + kind + "?id=" + encodeURIComponent(id);
    return getTagged(url, tag).then(function (got) {
      if (got === null) return null; // 304: this turn did not change, nothing to redraw
      const answer = /** @type {TraceViewPage} */ (got.value);
      return morePages(url, answer).then(function () {
        return got;
      });
    }).then(function (got) {
      if (got === null) return;
      const answer = /** @type {TraceViewPage} */ (got.value);
      tag = got.tag;
      if (got.version !== null) view.version = got.version;
      spanRange = null;
      const keep = data && selected >= 0 ? data.spans[selected].spanId : wanted;
      data = answer;
      selected = 0;
      for (let i = 0; i < answer.spans.length; i++) {
        if (answer.spans[i].spanId === keep) {
          selected = i;
          break;
        }
      }
      summary(answer);
      select(selected, !loaded);
      loaded = true;
      performance.mark("viewer:turn-drawn");
      document.body.dataset.ready = "turn";
    }, function (error) {
      clear(detail);
      fall.empty();
      detail.appendChild(
        el("p", "empty error-text", "Could not load " + kind + ": " + error.message),
      );
      document.body.dataset.ready = "missing";
    });
  }
  rows.addEventListener("scroll", function () {
    requestAnimationFrame(drawRows);
  });
  globalThis.addEventListener("resize", function () {
    drawRows();
  });
  rows.addEventListener("click", function (event) {
    const target = /** @type {Element} */ (event.target);
    const row = /** @type {HTMLElement | null} */ (target.closest ? target.closest(".row") : null);
    if (row) {
      select(Number(row.dataset.index), false);
      rows.focus();
    }
  });
  document.addEventListener("keydown", function (event) {
    const target = /** @type {HTMLElement | null} */ (event.target);
    if (target && (target.tagName === "INPUT" || target.tagName === "SUMMARY")) return;
    if (event.key === "Escape") {
      location.href = "/";
      return;
    }
    if (!data || target === detail || detail.contains(target)) return;
    const zoomed = zoomKey(event.key, range(data), zoom);
    if (zoomed !== undefined) {
      event.preventDefault();
      setZoom(zoomed);
      return;
    }
    const next = keyTarget(event.key, selected, data.spans.length, rows.clientHeight);
    if (next !== undefined) {
      event.preventDefault();
      select(next, true);
    }
  });
  view.tick = function () {
    if (!data) return;
    /** @param {WaterfallSpan} span */
    const isOpen = function (span) {
      return span.status === "open";
    };
    if (data.spans.some(isOpen)) {
      spanRange = null;
      summary(data);
      drawRows();
    }
  };
  view.refresh = load;
  performance.mark("viewer:turn-start");
  load().then(function () {
    rows.focus();
  });
}
