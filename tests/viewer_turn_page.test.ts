// One turn readable, the page's pure parts without a browser: zoom and pan of the time axis,
// the silent open span, an error gathered once with its stack as lines, evaluations.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  axisTicks,
  barBox,
  dragWindow,
  DURATION_ROOM,
  spanEnd,
  timeRange,
  zoomedRange,
  zoomKey,
} from "../src/viewer/page/waterfall_layout.js";
import { SILENT_MS, silentSince, turnSilence } from "../src/viewer/page/silence.js";
import {
  errorDetails,
  evaluations,
  evaluationText,
  stackLines,
} from "../src/viewer/page/detail_model.js";

const span = (start: number, end?: number, extra: Record<string, unknown> = {}) => ({
  status: end === undefined ? "open" as const : "ok" as const,
  start,
  end,
  ...extra,
});

test("a drag across the track zooms the axis to that part, and the ticks count from the turn's start", () => {
  const full = timeRange([span(1000, 11_000)], 20_000);
  assert.deepEqual(full, { t0: 1000, total: 10_000, current: 20_000 });
  // Labels 200 px, an axis of 1284 px: the track is 1000 px (DURATION_ROOM on the right).
  const width = 200 + 1000 + DURATION_ROOM;
  const zoom = dragWindow(full, null, 450, 200 + 750, 200, width);
  assert.deepEqual(zoom, { from: 3500, to: 8500 });
  const shown = zoomedRange(full, zoom);
  assert.deepEqual(axisTicks(shown, 200, width).map((t) => t.ms), [2500, 3750, 5000, 6250, 7500]);
  // A bar from 2 s to 4 s into the turn starts before the window: clipped to its left edge.
  assert.deepEqual(barBox(span(3000, 5000), shown), {
    left: 0,
    width: 30,
    duration: 2000,
    outside: false,
  });
  assert.equal(barBox(span(9000, 9500), shown).outside, true);
  // A drag inside the zoomed axis zooms further, in its own coordinates.
  assert.deepEqual(dragWindow(full, zoom, 200, 700, 200, width), { from: 3500, to: 6000 });
});

test("a click is not a zoom, and a drag over the whole track is the whole turn", () => {
  const full = timeRange([span(0, 100)], 200);
  assert.equal(dragWindow(full, null, 300, 303, 200, 1284), undefined);
  assert.equal(dragWindow(full, null, 100, 1284, 200, 1284), null);
});

test("keys zoom in and out around the middle, pan while zoomed, and 0 shows the whole turn", () => {
  const full = timeRange([span(0, 8000)], 9000);
  const half = zoomKey("+", full, null);
  assert.deepEqual(half, { from: 2000, to: 6000 });
  assert.deepEqual(zoomKey("ArrowRight", full, half!), { from: 3000, to: 7000 });
  assert.deepEqual(zoomKey("ArrowLeft", full, { from: 500, to: 4500 }), { from: 0, to: 4000 });
  assert.deepEqual(zoomKey("ArrowRight", full, { from: 3500, to: 7500 }), { from: 4000, to: 8000 });
  assert.equal(zoomKey("-", full, half!), null);
  assert.equal(zoomKey("0", full, half!), null);
  assert.equal(zoomKey("ArrowRight", full, null), undefined, "nothing to pan on the whole turn");
  assert.equal(zoomKey("x", full, null), undefined);
});

test("an open span whose writer went silent ends at its last record, not at now", () => {
  const now = 10_000_000;
  const hung = span(1000, undefined, { lastRecordAt: 1500 });
  assert.equal(silentSince(hung, now), 1500);
  assert.equal(spanEnd(hung, now), 1500);
  const busy = span(now - 5000, undefined, { lastRecordAt: now - 1000 });
  assert.equal(silentSince(busy, now), undefined);
  assert.equal(spanEnd(busy, now), now, "still writing: grows to now");
  assert.equal(spanEnd(span(1000), now), now, "no last record known: grows to now");
  assert.deepEqual(timeRange([span(0, 1000), hung], now), { t0: 0, total: 1500, current: now });
});

test("the list says how long an open turn has been silent, from a minute on", () => {
  const now = 10 * 3600_000;
  assert.equal(
    turnSilence({ status: "open", end: now - 2 * 3600_000 }, now),
    "open, silent for 2h 0m",
  );
  assert.equal(turnSilence({ status: "open", end: now - SILENT_MS + 1 }, now), undefined);
  assert.equal(turnSilence({ status: "error", end: 0 }, now), undefined);
});

test("an error is gathered once: message, type, stack as lines, the keys it came from", () => {
  const details = errorDetails({
    status: "error",
    logs: [],
    attributes: {
      "error.message": "boom",
      "exception.type": "TypeError",
      "exception.stacktrace": "TypeError: boom\n    at f (a.ts:1:1)\n    at g (b.ts:2:2)",
      other: 1,
    },
  });
  assert.deepEqual(details, {
    message: "boom",
    type: "TypeError",
    stack: ["    at f (a.ts:1:1)", "    at g (b.ts:2:2)"],
    keys: ["error.message", "exception.stacktrace", "exception.type"],
    log: -1,
  });
  assert.deepEqual(stackLines("Error: x\\n  at a\\n  at b"), ["Error: x", "  at a", "  at b"]);
  const fromObject = errorDetails({
    status: "error",
    logs: [],
    attributes: { error: { name: "RangeError", message: "bad", stack: "RangeError: bad\n  at h" } },
  });
  assert.deepEqual(fromObject?.stack, ["  at h"]);
  assert.equal(fromObject?.type, "RangeError");
});

test("an OpenTelemetry exception event gives a failed span its error; a span without any has none", () => {
  const details = errorDetails({
    status: "error",
    attributes: {},
    logs: [{
      kind: "log",
      level: "error",
      msg: "exception",
      timestamp: 1,
      extensionId: "x",
      attributes: { "exception.message": "gone", "exception.stacktrace": "Error: gone\n  at q" },
    }],
  });
  assert.equal(details?.message, "gone");
  assert.equal(details?.log, 0);
  assert.equal(errorDetails({ status: "ok", attributes: {}, logs: [] }), undefined);
  assert.equal(
    errorDetails({ status: "error", attributes: {}, logs: [] })?.message,
    "(no error attribute)",
  );
});

test("gen_ai.evaluation.result events are read with their score, label and explanation", () => {
  const log = (attributes: Record<string, unknown>, msg = "gen_ai.evaluation.result") => ({
    kind: "log" as const,
    level: "info" as const,
    msg,
    timestamp: 1,
    extensionId: "x",
    attributes,
  });
  const found = evaluations({
    logs: [
      log({
        "gen_ai.evaluation.name": "relevance",
        "gen_ai.evaluation.score.value": 0.9,
        "gen_ai.evaluation.score.label": "relevant",
        "gen_ai.evaluation.explanation": "on topic",
      }),
      log({
        "event.name": "gen_ai.evaluation.result",
        "gen_ai.evaluation.name": "tone",
        "error.type": "timeout",
      }, "x"),
      log({ "gen_ai.evaluation.name": "ignored" }, "other"),
    ],
  });
  assert.deepEqual(found.map(evaluationText), ["relevance 0.9 (relevant)", "tone failed: timeout"]);
  assert.equal(found[0].explanation, "on topic");
});
