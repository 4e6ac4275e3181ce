// The waterfall's geometry without a browser (as otel-desktop-viewer tests waterfall-tree.ts):
// the time axis, bars of closed and open spans, ticks, the rows a scroll shows, key moves.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  axisTicks,
  barBox,
  DURATION_ROOM,
  keyTarget,
  labelIndent,
  labelWidth,
  markCount,
  MAX_MARKS,
  percentAt,
  ROW_HEIGHT,
  scrollToShow,
  spanEnd,
  timeRange,
  visibleRows,
} from "../src/viewer/page/waterfall_layout.js";

const T = 1_700_000_000_000;
type Status = "ok" | "error" | "open";
const span = (start: number, end: number | undefined, status: Status = "ok") => ({
  start: T + start,
  end: end === undefined ? undefined : T + end,
  status,
});

test("the axis runs from the earliest start to the latest end", () => {
  const range = timeRange([span(10, 50), span(0, 20), span(30, 90)], T + 1000);
  assert.deepEqual(range, { t0: T, total: 90, current: T + 1000 });
});

test("an open span stretches the axis to now, and never before its own start", () => {
  assert.equal(timeRange([span(0, 10), span(5, undefined, "open")], T + 400).total, 400);
  // A clock behind the span's start (another machine's): the open bar has no length.
  assert.equal(spanEnd(span(500, undefined, "open"), T + 100), T + 500);
  assert.equal(timeRange([span(0, 10), span(500, undefined, "open")], T + 100).total, 500);
});

test("no spans give a 1 ms axis at now; a single instant gives 1 ms, not a division by zero", () => {
  assert.deepEqual(timeRange([], T), { t0: T, total: 1, current: T });
  assert.equal(timeRange([span(7, 7)], T + 100).total, 1);
});

test("a bar's left edge and width are percentages of the axis; an open bar ends at now", () => {
  const range = timeRange([span(0, 200), span(50, 100)], T + 1000);
  assert.deepEqual(barBox(span(50, 100), range), {
    left: 25,
    width: 25,
    duration: 50,
    outside: false,
  });
  const open = timeRange([span(0, 100), span(100, undefined, "open")], T + 400);
  assert.deepEqual(barBox(span(100, undefined, "open"), open), {
    left: 25,
    width: 75,
    duration: 300,
    outside: false,
  });
  assert.equal(percentAt(range, T + 200), 100);
});

test("five ticks split the track (the width less the labels and the duration room) in four", () => {
  const ticks = axisTicks({ t0: T, total: 2000, current: T }, 200, 200 + DURATION_ROOM + 400);
  assert.deepEqual(ticks, [
    { left: 200, ms: 0 },
    { left: 300, ms: 500 },
    { left: 400, ms: 1000 },
    { left: 500, ms: 1500 },
    { left: 600, ms: 2000 },
  ]);
});

test("the label column is 36% of the pane, between 160 and 360 px; deep rows stop indenting", () => {
  assert.equal(labelWidth(1000), 360);
  assert.equal(labelWidth(500), 180);
  assert.equal(labelWidth(100), 160);
  assert.equal(labelIndent(0), 6);
  assert.equal(labelIndent(2), 30);
  assert.equal(labelIndent(10_000), labelIndent(24));
});

test("only the rows in view are drawn, with ten more either side", () => {
  assert.deepEqual(visibleRows(0, 10 * ROW_HEIGHT, 50_000), { first: 0, last: 30 });
  assert.deepEqual(visibleRows(1000 * ROW_HEIGHT, 10 * ROW_HEIGHT, 50_000), {
    first: 990,
    last: 1020,
  });
  assert.deepEqual(visibleRows(1000 * ROW_HEIGHT, 10 * ROW_HEIGHT, 1005), {
    first: 990,
    last: 1005,
  });
});

test("revealing a row scrolls as little as needed, and not at all when it shows", () => {
  const height = 10 * ROW_HEIGHT;
  assert.equal(scrollToShow(5, 100 * ROW_HEIGHT, height), 5 * ROW_HEIGHT);
  assert.equal(scrollToShow(120, 100 * ROW_HEIGHT, height), 111 * ROW_HEIGHT);
  assert.equal(scrollToShow(105, 100 * ROW_HEIGHT, height), 100 * ROW_HEIGHT);
});

test("arrows and j/k move by one, PgUp/PgDn by a screen, Home and End to the ends", () => {
  const height = 11 * ROW_HEIGHT; // ten rows a page: one stays in view
  assert.equal(keyTarget("ArrowDown", 4, 100, height), 5);
  assert.equal(keyTarget("j", 4, 100, height), 5);
  assert.equal(keyTarget("ArrowUp", 4, 100, height), 3);
  assert.equal(keyTarget("k", 4, 100, height), 3);
  assert.equal(keyTarget("PageDown", 4, 100, height), 14);
  assert.equal(keyTarget("PageUp", 4, 100, height), -6);
  assert.equal(keyTarget("Home", 4, 100, height), 0);
  assert.equal(keyTarget("End", 4, 100, height), 99);
  assert.equal(keyTarget("PageDown", 4, 100, 0), 5, "at least one row");
  assert.equal(keyTarget("x", 4, 100, height), undefined);
});

test("a bar carries at most MAX_MARKS log marks", () => {
  assert.equal(markCount(3), 3);
  assert.equal(markCount(10_000), MAX_MARKS);
});
