// What the viewer's page writes, without a browser: times, durations, numbers, values, the
// list's query, grouping and cells, and the detail pane's error, folds and links.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatDuration,
  formatNumber,
  formatTime,
  pad,
  valueText,
} from "../src/viewer/page/format.js";
import {
  groupByConversation,
  lineDuration,
  lineId,
  listFilters,
  listQuery,
  pagerText,
  tokensText,
} from "../src/viewer/page/list_model.js";
import {
  BODY_FOLD_CHARS,
  BODY_FOLD_LINES,
  bodyFoldSummary,
  errorText,
  linkText,
} from "../src/viewer/page/detail_model.js";
import type { TurnSummary } from "../src/viewer/view_model.ts";

function line(fields: Partial<TurnSummary>): TurnSummary {
  return {
    turnId: "t",
    extensions: ["host"],
    name: "turn",
    start: 1000,
    end: 3000,
    status: "ok",
    spans: 1,
    errors: 0,
    open: 0,
    inputTokens: 0,
    outputTokens: 0,
    ...fields,
  };
}

test("times are local, to the millisecond; what is not a time is shown as is", () => {
  assert.equal(
    formatTime(new Date(2025, 0, 31, 14, 5, 9, 42).getTime()),
    "2025-01-31 14:05:09.042",
  );
  assert.equal(formatTime(Number.NaN), "NaN");
  assert.equal(pad(7), "07");
  assert.equal(pad(7, 3), "007");
});

test("durations take the largest unit that keeps them short", () => {
  assert.equal(formatDuration(0.25), "0.25 ms");
  assert.equal(formatDuration(42.4), "42 ms");
  assert.equal(formatDuration(1500), "1.50 s");
  assert.equal(formatDuration(12_345), "12.3 s");
  assert.equal(formatDuration(185_000), "3m 5s");
  assert.equal(formatDuration(7_620_000), "2h 7m");
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), "");
});

test("numbers get thousands separators without ICU; absent is 0; past 1e21 as JavaScript writes them", () => {
  assert.equal(formatNumber(1_234_567), "1,234,567");
  assert.equal(formatNumber(-1234.5), "-1,234.5");
  assert.equal(formatNumber(999), "999");
  assert.equal(formatNumber(undefined), "0");
  assert.equal(formatNumber(null), "0");
  assert.equal(formatNumber(2e300), "2e+300");
  assert.equal(formatNumber(2 ** 63), "9,223,372,036,854,776,000");
  assert.equal(formatNumber(1e21), "1e+21");
});

test("values are strings as they are, JSON indented, or String() when JSON cannot say them", () => {
  assert.equal(valueText("a <b>"), "a <b>");
  assert.equal(valueText({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}');
  assert.equal(valueText(undefined), "undefined");
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.equal(valueText(circular), "[object Object]");
});

test("the filters come from the address and go back to it with only what is set", () => {
  const filters = listFilters(new URLSearchParams("status=error&offset=-5&q=chat&x=1"));
  assert.deepEqual(filters, {
    conversation: "",
    extension: "",
    status: "error",
    q: "chat",
    offset: 0,
  });
  assert.equal(listQuery(filters).toString(), "status=error&q=chat");
  assert.equal(listQuery({ ...filters, offset: 200 }).toString(), "status=error&q=chat&offset=200");
  assert.equal(listFilters(new URLSearchParams("offset=abc")).offset, 0);
});

test("lines group by conversation in the order they first appear; a line is its turn or trace", () => {
  const turns = [
    line({ turnId: "a", conversationId: "c2" }),
    line({ turnId: undefined, traceId: "f".repeat(32) }),
    line({ turnId: "b", conversationId: "c1" }),
    line({ turnId: "c", conversationId: "c2" }),
  ];
  const groups = groupByConversation(turns);
  assert.deepEqual([...groups.keys()], ["c2", "", "c1"]);
  assert.deepEqual(groups.get("c2")!.map(lineId), ["a", "c"]);
  assert.equal(lineId(turns[1]), "f".repeat(32));
});

test("an open line runs until now; a finished one for its own length", () => {
  assert.equal(lineDuration(line({}), 10_000), 2000);
  assert.equal(lineDuration(line({ status: "open" }), 10_000), 9000);
  assert.equal(lineDuration(line({ status: "open" }), 2000), 2000, "a clock behind its end");
});

test("the tokens cell shows the server's totals, or a dash; the pager which lines show", () => {
  assert.equal(tokensText(line({ inputTokens: 1200, outputTokens: 340 })), "1,200 / 340");
  assert.equal(tokensText(line({ inputTokens: 0, outputTokens: 5 })), "0 / 5");
  assert.equal(tokensText(line({})), "–");
  assert.equal(pagerText({ turns: [line({}), line({})], skipped: 0 }, 100), "turns 101–102");
  assert.equal(
    pagerText({ turns: [], skipped: 1234 }, 0),
    " · 1,234 unreadable records skipped",
  );
});

test("a span's error is its first error attribute; a failed span without one says so", () => {
  assert.equal(
    errorText({ status: "error", attributes: { "error.type": "E", "exception.message": "boom" } }),
    "boom",
  );
  assert.equal(
    errorText({ status: "ok", attributes: { error: { code: 1 } } }),
    '{\n  "code": 1\n}',
  );
  assert.equal(errorText({ status: "error", attributes: {} }), "(no error attribute)");
  assert.equal(errorText({ status: "ok", attributes: {} }), undefined);
});

test("a body folds past its character or line limit, and says how long it is", () => {
  assert.equal(bodyFoldSummary("x".repeat(BODY_FOLD_CHARS)), undefined);
  assert.equal(
    bodyFoldSummary("x".repeat(BODY_FOLD_CHARS + 1)),
    "Show body (1 lines, 1,501 characters)",
  );
  assert.equal(bodyFoldSummary("\n".repeat(BODY_FOLD_LINES - 1)), undefined);
  assert.equal(
    bodyFoldSummary("\n".repeat(BODY_FOLD_LINES)),
    "Show body (26 lines, 25 characters)",
  );
});

test("a link reads as its span and its reason", () => {
  assert.equal(linkText({ spanId: "s1", reason: "retry of" }), "s1 (retry of)");
  assert.equal(linkText({ spanId: "s1", turnId: "t0" }), "s1");
});
