// The row plan's layout is declared once (src/collector/row_plan.ts): the columns of its logs
// and spans rows are the tables' columns, each at one position, and the events' fields are
// read back by name where the planner wrote them.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addRow,
  CLOSE,
  CLOSE_EVENT,
  EV_CLOSE,
  EVENT_FIELDS,
  LOG,
  LOG_COLUMNS,
  LOG_ROW,
  type PlanValue,
  SPAN,
  SPAN_COLUMNS,
  SPAN_ROW,
} from "../src/collector/row_plan.ts";
import { BatchPlanner } from "../src/collector/batch_planner.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";

test("a plan's logs and spans rows hold the tables' columns (all but the log's id)", async () => {
  const store = await openTraceStore(":memory:");
  const columns = (table: string) =>
    store.db.prepare(`PRAGMA table_info(${table})`).all().map((row) => String(row.name));
  assert.deepEqual([...LOG_ROW].sort(), columns("logs").filter((c) => c !== "id").sort());
  assert.deepEqual([...SPAN_ROW].sort(), columns("spans").sort());
  store.close();
  assert.equal(LOG_COLUMNS, LOG_ROW.length);
  assert.equal(SPAN_COLUMNS, SPAN_ROW.length);
  assert.deepEqual(LOG_ROW.map((name) => LOG[name]), LOG_ROW.map((_, i) => i));
  assert.deepEqual(SPAN_ROW.map((name) => SPAN[name]), SPAN_ROW.map((_, i) => i));
});

test("addRow appends a row of nulls whose fields are then set by name", () => {
  const spans: PlanValue[] = ["before"];
  const at = addRow(spans, SPAN_COLUMNS);
  spans[at + SPAN.name] = "llm";
  assert.equal(spans.length, 1 + SPAN_COLUMNS);
  assert.equal(spans[1 + SPAN_ROW.indexOf("name")], "llm");
  assert.equal(spans.filter((value) => value === null).length, SPAN_COLUMNS - 1);
});

test("a close whose open is not in the batch is an event whose fields read back by name", () => {
  const plan = new BatchPlanner().plan([{
    kind: "span-close",
    spanId: "s",
    parentSpanId: "p",
    name: "tool",
    timestamp: 10,
    durationMs: 4,
    status: "error",
    extensionId: "host",
    turnId: "t",
    attributes: { "gen_ai.usage.input_tokens": 7 },
    links: [{ spanId: "x" }, null],
  }]);
  assert.deepEqual(plan.eventKinds, [EV_CLOSE]);
  assert.equal(plan.events.length, EVENT_FIELDS[EV_CLOSE]);
  assert.equal(EVENT_FIELDS[EV_CLOSE], CLOSE_EVENT.length);
  const field = (name: keyof typeof CLOSE) => plan.events[CLOSE[name]];
  assert.equal(field("span_id"), "s");
  assert.equal(field("parent_span_id"), "p");
  assert.equal(field("time"), 10);
  assert.equal(field("duration_ms"), 4);
  assert.equal(field("status"), "error");
  assert.equal(field("turn_id"), "t");
  assert.equal(field("input_tokens"), 7);
  assert.equal(field("links"), '[{"spanId":"x"}]');
  assert.equal(field("scope_anchor"), null);
});
