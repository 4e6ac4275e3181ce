// @ts-check
/**
 * `/stats`'s pure steps: what the address holds, the rows' order for any column, and the
 * chart's geometry. `tests/viewer_stats_page.test.ts` tests them without a browser.
 *
 * @module
 */

/** @import { StatsAnswer, StatsChart, StatsRow } from "../stats_view.ts" */

import { formatDuration, formatNumber } from "./format.js";
import { formatCost } from "./cost_format.js";

/**
 * A column of the tables: its key in the address, its label, and how a row shows and sorts.
 *
 * @typedef {object} StatsColumn
 * @property {string} id
 * @property {string} label
 * @property {(row: StatsRow) => string | number | undefined} value What it sorts by.
 * @property {(row: StatsRow) => string} text What it shows.
 */

/** @type {StatsColumn[]} */
export const STATS_COLUMNS = [
  { id: "key", label: "Name", value: (r) => r.key, text: (r) => r.key },
  { id: "calls", label: "Calls", value: (r) => r.calls, text: (r) => formatNumber(r.calls) },
  { id: "errors", label: "Errors", value: (r) => r.errors, text: (r) => formatNumber(r.errors) },
  {
    id: "rate",
    label: "Error rate",
    value: (r) => r.errorRate,
    text: (r) => errorRateText(r.errorRate),
  },
  { id: "p50", label: "p50", value: (r) => r.p50Ms, text: (r) => formatDuration(r.p50Ms) },
  { id: "p95", label: "p95", value: (r) => r.p95Ms, text: (r) => formatDuration(r.p95Ms) },
  { id: "p99", label: "p99", value: (r) => r.p99Ms, text: (r) => formatDuration(r.p99Ms) },
  {
    id: "in",
    label: "Tokens in",
    value: (r) => r.inputTokens,
    text: (r) => formatNumber(r.inputTokens),
  },
  {
    id: "out",
    label: "Tokens out",
    value: (r) => r.outputTokens,
    text: (r) => formatNumber(r.outputTokens),
  },
  { id: "cost", label: "Cost", value: (r) => r.costUsd, text: (r) => formatCost(r.costUsd) },
];

/**
 * What `/stats`'s address holds: the range (as the page's time fields write it, or ms since
 * the epoch) and the sort.
 *
 * @typedef {object} StatsState
 * @property {string} from
 * @property {string} to
 * @property {string} sort A column id of {@linkcode STATS_COLUMNS}.
 * @property {boolean} descending
 */

/**
 * The state in an address's query; by default every span, most calls first.
 *
 * @param {URLSearchParams} params
 * @returns {StatsState}
 */
export function statsState(params) {
  const sort = params.get("sort") || "calls";
  const known = STATS_COLUMNS.some(function (c) {
    return c.id === sort;
  });
  return {
    from: params.get("from") || "",
    to: params.get("to") || "",
    sort: known ? sort : "calls",
    descending: params.get("dir") !== "asc",
  };
}

/**
 * The address's query for a state: only what is not the default.
 *
 * @param {StatsState} state
 * @returns {URLSearchParams}
 */
export function statsAddress(state) {
  const q = new URLSearchParams();
  if (state.from) q.set("from", state.from);
  if (state.to) q.set("to", state.to);
  if (state.sort !== "calls") q.set("sort", state.sort);
  if (!state.descending) q.set("dir", "asc");
  return q;
}

/**
 * A time of the address as ms since the epoch: a number as it is, else a local time.
 *
 * @param {string} value
 * @returns {number | null} `null` when empty or not a time.
 */
export function rangeMs(value) {
  if (!value) return null;
  const ms = /^\d+$/.test(value) ? Number(value) : new Date(value).getTime();
  return isNaN(ms) ? null : ms;
}

/**
 * `/api/stats`'s query for a state.
 *
 * @param {StatsState} state
 * @returns {string}
 */
export function statsApiUrl(state) {
  const q = new URLSearchParams();
  const from = rangeMs(state.from);
  const to = rangeMs(state.to);
  if (from !== null) q.set("from", String(from));
  if (to !== null) q.set("to", String(to));
  const query = q.toString();
  return "/api/stats" + (query ? "?" + query : "");
}

/**
 * The next state when a column's header is clicked: that column, descending first (the
 * name ascending first); the same column again flips the order.
 *
 * @param {StatsState} state
 * @param {string} column
 * @returns {StatsState}
 */
export function sortBy(state, column) {
  if (state.sort === column) return { ...state, descending: !state.descending };
  return { ...state, sort: column, descending: column !== "key" };
}

/**
 * Rows ordered by a column. Ties keep the name's order; a row without the value (no cost
 * known) comes last either way.
 *
 * @param {StatsRow[]} rows
 * @param {string} column A column id.
 * @param {boolean} descending
 * @returns {StatsRow[]} A sorted copy.
 */
export function sortRows(rows, column, descending) {
  const by = STATS_COLUMNS.find(function (c) {
    return c.id === column;
  }) || STATS_COLUMNS[1];
  return rows.slice().sort(function (a, b) {
    const x = by.value(a);
    const y = by.value(b);
    if (x === undefined || y === undefined) {
      if (x !== y) return x === undefined ? 1 : -1;
    } else if (x !== y) {
      const order = x < y ? -1 : 1;
      return descending ? -order : order;
    }
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
}

/**
 * An error rate as a percentage with one decimal ("33.3 %"), "0 %" for none.
 *
 * @param {number} rate 0 to 1.
 * @returns {string}
 */
export function errorRateText(rate) {
  if (!(rate > 0)) return "0 %";
  return (Math.round(rate * 1000) / 10).toFixed(1) + " %";
}

/**
 * What the answer says of its percentiles and range: exact, or within the histogram's bound;
 * the range widened to whole buckets.
 *
 * @param {StatsAnswer} answer
 * @returns {string}
 */
export function precisionText(answer) {
  if (answer.percentileError === 0) return "Percentiles exact.";
  const pct = (Math.ceil(answer.percentileError * 1000) / 10).toFixed(1);
  return "Percentiles within ±" + pct + " % (a histogram: the server follows a journal).";
}

/**
 * One bar of the chart: a bucket's calls, with its errors drawn over it from the bottom.
 *
 * @typedef {object} ChartBar
 * @property {number} x
 * @property {number} width
 * @property {number} callsY
 * @property {number} callsHeight
 * @property {number} errorsY
 * @property {number} errorsHeight
 * @property {number} start The bucket's start, ms since the epoch.
 * @property {number} calls
 * @property {number} errors
 */

/**
 * The chart's bars in a `width` × `height` box (the axis labels are the view's): one bar a
 * bucket, heights to the largest bucket's calls, at least 1 px for a bucket with any.
 *
 * @param {StatsChart} chart
 * @param {number} width
 * @param {number} height
 * @returns {{ bars: ChartBar[], max: number }}
 */
export function chartBars(chart, width, height) {
  const n = chart.calls.length;
  const max = chart.calls.reduce(function (a, b) {
    return Math.max(a, b);
  }, 0);
  /** @type {ChartBar[]} */
  const bars = [];
  if (n === 0 || max === 0) return { bars: bars, max: max };
  const step = width / n;
  const gap = step > 4 ? 1 : 0;
  /** @param {number} count */
  const tall = function (count) {
    return count === 0 ? 0 : Math.max(1, count / max * height);
  };
  for (let i = 0; i < n; i++) {
    const callsHeight = tall(chart.calls[i]);
    const errorsHeight = Math.min(callsHeight, tall(chart.errors[i]));
    bars.push({
      x: i * step,
      width: Math.max(1, step - gap),
      callsY: height - callsHeight,
      callsHeight: callsHeight,
      errorsY: height - errorsHeight,
      errorsHeight: errorsHeight,
      start: chart.start + i * chart.bucketMs,
      calls: chart.calls[i],
      errors: chart.errors[i],
    });
  }
  return { bars: bars, max: max };
}
