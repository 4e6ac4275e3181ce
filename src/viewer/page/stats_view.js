// @ts-check
/// <reference lib="dom" />
/**
 * `/stats`: for a time range, one table each of span names, models and tools (calls, errors,
 * percentiles, tokens, cost; sortable by any column), a chart of calls and errors over time
 * (inline SVG), and links to the slowest and the most expensive turns.
 *
 * @module
 */

/** @import { StatsAnswer, StatsRow, StatsTurn } from "../stats_view.ts" */
/** @import { Shell } from "./main.js" */
/** @import { StatsState } from "./stats_model.js" */

import { getJSON, setServerNow, view } from "./api.js";
import { clear, el } from "./dom.js";
import { formatDuration, formatNumber, formatTime } from "./format.js";
import { formatCost } from "./cost_format.js";
import {
  chartBars,
  precisionText,
  sortBy,
  sortRows,
  STATS_COLUMNS,
  statsAddress,
  statsApiUrl,
  statsState,
} from "./stats_model.js";

const SVG = "http://www.w3.org/2000/svg";
const CHART_WIDTH = 720;
const CHART_HEIGHT = 90;

/** The tables, by the kind of their rows. */
const TABLES = /** @type {const} */ ([
  ["name", "Span names"],
  ["model", "Models"],
  ["tool", "Tools (gen_ai.tool.name)"],
]);

/**
 * Draws `/stats` into the shell and keeps it current.
 *
 * @param {Shell} shell
 * @param {URLSearchParams} params The page's query.
 */
export function statsView(shell, params) {
  const app = shell.app;
  /** @type {StatsState} */
  let state = statsState(params);
  /** @type {StatsAnswer | null} */
  let answer = null;
  shell.crumb.textContent = "stats";
  document.title = "journal-sink: stats";
  clear(app);
  const form = el("form", "filters");
  /**
   * @param {string} label
   * @param {"from" | "to"} name
   */
  function field(label, name) {
    const wrap = el("label", null, label);
    const input = el("input");
    input.type = /^\d+$/.test(state[name]) ? "text" : "datetime-local";
    input.name = name;
    input.value = state[name];
    input.addEventListener("change", function () {
      state = { ...state, [name]: input.value };
      load();
    });
    wrap.appendChild(input);
    form.appendChild(wrap);
  }
  field("From", "from");
  field("To", "to");
  const back = el("a", "chat-link", "← turns");
  back.href = "/";
  form.appendChild(back);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    load();
  });
  const summary = el("p", "stats-summary");
  const chart = el("figure", "stats-chart");
  const tables = el("div", "stats-tables");
  const turns = el("div", "stats-turns");
  app.append(form, summary, chart, turns, tables);

  function load() {
    const shown = statsAddress(state).toString();
    history.replaceState(null, "", "/stats" + (shown ? "?" + shown : ""));
    return getJSON(statsApiUrl(state)).then(function (got) {
      const next = /** @type {StatsAnswer & { version: string, now: number }} */ (got);
      view.version = next.version;
      setServerNow(next.now);
      answer = next;
      draw();
    }, function (error) {
      clear(tables);
      tables.appendChild(el("p", "empty error-text", "Could not load stats: " + error.message));
    });
  }

  function draw() {
    if (!answer) return;
    const calls = answer.rows.filter(function (r) {
      return r.kind === "name";
    }).reduce(function (sum, r) {
      return sum + r.calls;
    }, 0);
    summary.textContent = formatNumber(calls) + " finished spans" +
      (answer.from !== null || answer.to !== null
        ? " from " + (answer.from !== null ? formatTime(answer.from) : "the first") + " to " +
          (answer.to !== null ? formatTime(answer.to) : "the last")
        : "") +
      ". " + precisionText(answer);
    drawChart();
    drawTurns();
    clear(tables);
    TABLES.forEach(function ([kind, title]) {
      const rows = answer
        ? answer.rows.filter(function (r) {
          return r.kind === kind;
        })
        : [];
      const section = el("section", "stats-table");
      section.dataset.kind = kind;
      section.appendChild(el("h2", null, title));
      if (rows.length === 0) section.appendChild(el("p", "empty", "None in this range."));
      else section.appendChild(table(sortRows(rows, state.sort, state.descending)));
      tables.appendChild(section);
    });
    performance.mark("viewer:stats-drawn");
    document.body.dataset.ready = "stats";
  }

  /**
   * @param {StatsRow[]} rows
   * @returns {HTMLTableElement}
   */
  function table(rows) {
    const t = el("table", "stats");
    const head = el("tr");
    STATS_COLUMNS.forEach(function (column, i) {
      const th = el("th", i > 0 ? "num" : null);
      const sorted = state.sort === column.id;
      th.setAttribute(
        "aria-sort",
        sorted ? (state.descending ? "descending" : "ascending") : "none",
      );
      const button = el(
        "button",
        "sort",
        column.label + (sorted ? (state.descending ? " ▼" : " ▲") : ""),
      );
      button.type = "button";
      button.dataset.sort = column.id;
      button.addEventListener("click", function () {
        state = sortBy(state, column.id);
        history.replaceState(null, "", "/stats?" + statsAddress(state).toString());
        draw();
      });
      th.appendChild(button);
      head.appendChild(th);
    });
    t.createTHead().appendChild(head);
    const body = t.createTBody();
    rows.forEach(function (row) {
      const tr = el("tr", row.errors > 0 ? "failing" : null);
      STATS_COLUMNS.forEach(function (column, i) {
        tr.appendChild(el("td", i > 0 ? "num" : "key", column.text(row)));
      });
      body.appendChild(tr);
    });
    return t;
  }

  function drawChart() {
    clear(chart);
    if (!answer) return;
    const { bars, max } = chartBars(answer.chart, CHART_WIDTH, CHART_HEIGHT);
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + CHART_WIDTH + " " + CHART_HEIGHT);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Calls and errors over time");
    bars.forEach(function (bar) {
      const g = document.createElementNS(SVG, "g");
      const title = document.createElementNS(SVG, "title");
      title.textContent = formatTime(bar.start) + ": " + formatNumber(bar.calls) + " calls, " +
        formatNumber(bar.errors) + " errors";
      g.appendChild(title);
      /**
       * @param {string} kind
       * @param {number} y
       * @param {number} height
       */
      const rect = function (kind, y, height) {
        if (height <= 0) return;
        const r = document.createElementNS(SVG, "rect");
        r.setAttribute("class", kind);
        r.setAttribute("x", String(bar.x));
        r.setAttribute("width", String(bar.width));
        r.setAttribute("y", String(y));
        r.setAttribute("height", String(height));
        g.appendChild(r);
      };
      rect("calls", bar.callsY, bar.callsHeight);
      rect("errors", bar.errorsY, bar.errorsHeight);
      svg.appendChild(g);
    });
    chart.appendChild(svg);
    const bucket = answer.chart.bucketMs;
    const caption = el(
      "figcaption",
      null,
      bars.length === 0
        ? "No finished spans in this range."
        : "Calls (blue) and errors (red) per " + formatDuration(bucket) + ", from " +
          formatTime(answer.chart.start) + " to " +
          formatTime(answer.chart.start + bars.length * bucket) + "; tallest " + formatNumber(max) +
          ".",
    );
    chart.appendChild(caption);
  }

  function drawTurns() {
    clear(turns);
    if (!answer) return;
    /**
     * @param {string} title
     * @param {StatsTurn[]} list
     * @param {string} kind
     */
    const column = function (title, list, kind) {
      const section = el("section", "stats-top");
      section.dataset.kind = kind;
      section.appendChild(el("h2", null, title));
      const ol = el("ol");
      list.forEach(function (turn) {
        const li = el("li");
        const link = el("a", null, turn.turnId);
        link.href = "/?turn=" + encodeURIComponent(turn.turnId);
        li.append(
          link,
          el(
            "span",
            "num",
            " " + formatDuration(turn.durationMs) + " · " + formatCost(turn.costUsd),
          ),
        );
        ol.appendChild(li);
      });
      if (list.length === 0) section.appendChild(el("p", "empty", "None."));
      else section.appendChild(ol);
      return section;
    };
    turns.append(
      column("Slowest turns", answer.slowest, "slowest"),
      column("Most expensive turns", answer.costliest, "costliest"),
    );
  }

  view.refresh = load;
  view.tick = null;
  load();
}
