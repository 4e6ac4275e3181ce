// /stats's pure steps without a browser: the address, sorting by any column, the chart's bars.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  chartBars,
  errorRateText,
  precisionText,
  rangeMs,
  sortBy,
  sortRows,
  STATS_COLUMNS,
  statsAddress,
  statsApiUrl,
  statsState,
} from "../src/viewer/page/stats_model.js";
import type { StatsAnswer, StatsRow } from "../src/viewer/stats_view.ts";

const row = (key: string, over: Partial<StatsRow> = {}): StatsRow => ({
  kind: "name",
  key,
  calls: 1,
  errors: 0,
  errorRate: 0,
  p50Ms: 10,
  p95Ms: 10,
  p99Ms: 10,
  inputTokens: 0,
  outputTokens: 0,
  ...over,
});

const ROWS = [
  row("b", { calls: 3, errors: 1, errorRate: 1 / 3, p95Ms: 150, costUsd: 0.5 }),
  row("a", { calls: 2, p95Ms: 400, costUsd: 0.0072, inputTokens: 3000 }),
  row("c", { calls: 3, p95Ms: 3000 }),
];
const keys = (rows: StatsRow[]) => rows.map((r) => r.key);

test("rows sort by any column, either way, ties by name", () => {
  assert.deepEqual(keys(sortRows(ROWS, "calls", true)), ["b", "c", "a"]);
  assert.deepEqual(keys(sortRows(ROWS, "calls", false)), ["a", "b", "c"]);
  assert.deepEqual(keys(sortRows(ROWS, "p95", true)), ["c", "a", "b"]);
  assert.deepEqual(keys(sortRows(ROWS, "rate", true)), ["b", "a", "c"]);
  assert.deepEqual(keys(sortRows(ROWS, "key", false)), ["a", "b", "c"]);
  assert.deepEqual(keys(sortRows(ROWS, "in", true)), ["a", "b", "c"]);
  // An unknown cost sorts last, whichever way.
  assert.deepEqual(keys(sortRows(ROWS, "cost", true)), ["b", "a", "c"]);
  assert.deepEqual(keys(sortRows(ROWS, "cost", false)), ["a", "b", "c"]);
  assert.deepEqual(keys(ROWS), ["b", "a", "c"], "a copy: the answer's order is left alone");
  for (const column of STATS_COLUMNS) assert.equal(sortRows(ROWS, column.id, true).length, 3);
});

test("a header click sorts by its column, descending first (the name ascending); again flips", () => {
  const start = statsState(new URLSearchParams());
  assert.deepEqual(start, { from: "", to: "", sort: "calls", descending: true });
  const p95 = sortBy(start, "p95");
  assert.deepEqual([p95.sort, p95.descending], ["p95", true]);
  assert.equal(sortBy(p95, "p95").descending, false);
  assert.equal(sortBy(start, "key").descending, false);
});

test("the address keeps the range and the sort, only what is not the default", () => {
  const state = statsState(new URLSearchParams("from=2026-01-05T12:00&sort=cost&dir=asc"));
  assert.equal(statsAddress(state).toString(), "from=2026-01-05T12%3A00&sort=cost&dir=asc");
  assert.equal(statsAddress(statsState(new URLSearchParams("sort=nonsense"))).toString(), "");
  // The API is asked in ms since the epoch: a number as is, a local time converted.
  assert.equal(
    statsApiUrl(statsState(new URLSearchParams("from=1000&to=2000"))),
    "/api/stats?from=1000&to=2000",
  );
  assert.equal(rangeMs("2026-01-05T12:00"), new Date("2026-01-05T12:00").getTime());
  assert.equal(rangeMs("soon"), null);
  assert.equal(statsApiUrl(statsState(new URLSearchParams("from=soon"))), "/api/stats");
});

test("the error rate reads as a percentage, the percentiles as exact or within their bound", () => {
  assert.equal(errorRateText(1 / 3), "33.3 %");
  assert.equal(errorRateText(0), "0 %");
  assert.equal(errorRateText(1), "100.0 %");
  const answer = { percentileError: 0 } as StatsAnswer;
  assert.equal(precisionText(answer), "Percentiles exact.");
  assert.match(precisionText({ ...answer, percentileError: 0.0219 }), /within ±2\.2 %/);
});

test("the chart has a bar a bucket, heights to the busiest, errors drawn from its foot", () => {
  const { bars, max } = chartBars(
    { start: 1000, bucketMs: 1000, calls: [4, 0, 2, 1], errors: [1, 0, 2, 0] },
    400,
    100,
  );
  assert.equal(max, 4);
  assert.deepEqual(bars.map((b) => [b.x, b.width]), [[0, 99], [100, 99], [200, 99], [300, 99]]);
  assert.deepEqual(bars.map((b) => b.callsHeight), [100, 0, 50, 25]);
  assert.deepEqual(bars.map((b) => b.callsY), [0, 100, 50, 75]);
  assert.deepEqual(bars.map((b) => b.errorsHeight), [25, 0, 50, 0]);
  assert.deepEqual(bars.map((b) => b.errorsY), [75, 100, 50, 100]);
  assert.deepEqual(bars.map((b) => b.start), [1000, 2000, 3000, 4000]);
  // A bucket of one call among thousands is still a pixel tall; an empty chart has no bars.
  const thin = chartBars({ start: 0, bucketMs: 1000, calls: [10_000, 1], errors: [0, 1] }, 2, 50);
  assert.equal(thin.bars[1].callsHeight, 1);
  assert.equal(thin.bars[1].errorsHeight, 1);
  assert.equal(thin.bars[0].width, 1);
  assert.deepEqual(
    chartBars({ start: 0, bucketMs: 1000, calls: [], errors: [] }, 400, 100).bars,
    [],
  );
});
