import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { reconstructTraces, type TraceSpan } from "../src/traces/traces.ts";

const base = { extensionId: "host" };

function open(spanId: string, timestamp: number, extra: Record<string, unknown> = {}) {
  return { kind: "span-open", spanId, name: spanId, timestamp, ...base, ...extra };
}

function close(
  spanId: string,
  timestamp: number,
  durationMs: number,
  extra: Record<string, unknown> = {},
) {
  return {
    kind: "span-close",
    spanId,
    name: spanId,
    timestamp,
    durationMs,
    status: "ok",
    ...base,
    ...extra,
  };
}

function log(msg: string, timestamp: number, spanId?: string) {
  return { kind: "log", level: "info", msg, timestamp, ...base, ...(spanId ? { spanId } : {}) };
}

function shape(span: TraceSpan): unknown {
  return {
    id: span.spanId,
    status: span.status,
    ...(span.anomalies.length ? { anomalies: span.anomalies } : {}),
    ...(span.children.length ? { children: span.children.map(shape) } : {}),
  };
}

describe("reconstructTraces", () => {
  test("pairs opens and closes into a tree with times, status, attributes and links", () => {
    const forest = reconstructTraces([
      open("turn", 100, { turnId: "t1", conversationId: "c1", attributes: { model: "m" } }),
      open("llm", 110, { parentSpanId: "turn", links: [{ spanId: "x", reason: "retry-of" }] }),
      close("llm", 150, 40, { parentSpanId: "turn", attributes: { tokens: 9 } }),
      close("turn", 200, 100, { status: "error", attributes: { error: "boom" } }),
    ]);
    assert.equal(forest.roots.length, 1);
    const [turn] = forest.roots;
    assert.deepEqual(
      { start: turn.start, end: turn.end, durationMs: turn.durationMs, status: turn.status },
      { start: 100, end: 200, durationMs: 100, status: "error" },
    );
    assert.deepEqual(turn.attributes, { model: "m", error: "boom" });
    assert.equal(turn.turnId, "t1");
    assert.equal(turn.conversationId, "c1");
    const [llm] = turn.children;
    assert.equal(llm.status, "ok");
    assert.deepEqual(llm.attributes, { tokens: 9 });
    assert.deepEqual(llm.links, [{ spanId: "x", reason: "retry-of" }]);
    assert.deepEqual(forest.open, []);
    assert.equal(forest.spanCount, 2);
    assert.equal(forest.lastTimestamp, 200);
  });

  test("a span with no close is open, and listed among the open spans", () => {
    const forest = reconstructTraces([
      open("turn", 1),
      open("tool", 2, { parentSpanId: "turn" }),
      log("calling", 3, "tool"),
    ]);
    assert.deepEqual(forest.roots.map(shape), [
      { id: "turn", status: "open", children: [{ id: "tool", status: "open" }] },
    ]);
    assert.deepEqual(forest.open.map((span) => span.spanId), ["turn", "tool"]);
    const tool = forest.roots[0].children[0];
    assert.equal(tool.end, undefined);
    assert.equal(tool.durationMs, undefined);
    assert.deepEqual(tool.logs.map((entry) => entry.msg), ["calling"]);
  });

  test("children and log entries are in time order whatever the input order", () => {
    const forest = reconstructTraces([
      open("root", 0),
      log("late", 30, "root"),
      open("b", 20, { parentSpanId: "root" }),
      open("a", 10, { parentSpanId: "root" }),
      log("early", 5, "root"),
    ]);
    const [root] = forest.roots;
    assert.deepEqual(root.children.map((span) => span.spanId), ["a", "b"]);
    assert.deepEqual(root.logs.map((entry) => entry.msg), ["early", "late"]);
  });

  test("a close without an open is kept as a span marked close-without-open", () => {
    const forest = reconstructTraces([close("lost", 100, 30, { status: "error" })]);
    const [span] = forest.roots;
    assert.equal(span.spanId, "lost");
    assert.equal(span.start, 70);
    assert.equal(span.end, 100);
    assert.equal(span.status, "error");
    assert.deepEqual(span.anomalies, ["close-without-open"]);
  });

  test("a span whose open is read after its close starts at its open, not at close minus duration", () => {
    // Durations come from a monotonic clock and timestamps from the wall clock: close minus
    // duration (99.2) would put the child before its parent's open (100).
    const forest = reconstructTraces([
      open("turn", 100),
      close("tool", 105, 5.8, {
        parentSpanId: "turn",
        status: "error",
        attributes: { result: "late" },
        links: [{ spanId: "turn", reason: "close" }],
      }),
      open("tool", 100, {
        parentSpanId: "turn",
        attributes: { tool: "search", result: "early" },
        links: [{ spanId: "turn", reason: "open" }],
        body: { q: "x" },
      }),
    ]);
    const [turn] = forest.roots;
    assert.equal(forest.spanCount, 2);
    const [tool] = turn.children;
    assert.deepEqual(
      [tool.start, tool.end, tool.durationMs, tool.status, tool.anomalies, tool.body],
      [100, 105, 5.8, "error", [], { q: "x" }],
    );
    assert.deepEqual(tool.attributes, { tool: "search", result: "late" });
    assert.deepEqual(tool.links, [{ spanId: "turn", reason: "open" }]);
    assert.ok(tool.start >= turn.start);
  });

  test("an open after a close of the same id that ended before it is another span", () => {
    const forest = reconstructTraces([close("reused", 10, 2), open("reused", 20)]);
    assert.deepEqual(forest.roots.map((span) => [span.start, span.status, span.anomalies]), [
      [8, "ok", ["close-without-open", "duplicate-id"]],
      [20, "open", ["duplicate-id"]],
    ]);
  });

  test("a child whose parent is missing is a root marked missing-parent", () => {
    const forest = reconstructTraces([open("child", 1, { parentSpanId: "gone" })]);
    assert.deepEqual(forest.roots.map(shape), [
      { id: "child", status: "open", anomalies: ["missing-parent"] },
    ]);
    assert.equal(forest.roots[0].parentSpanId, "gone");
  });

  test("duplicate ids are all kept and marked, each close ending the latest open one", () => {
    const forest = reconstructTraces([
      open("dup", 1),
      close("dup", 5, 4),
      open("dup", 10),
      close("dup", 12, 2, { status: "error" }),
      close("dup", 20, 1),
    ]);
    assert.equal(forest.spanCount, 3);
    assert.deepEqual(forest.roots.map((span) => [span.start, span.status, span.anomalies]), [
      [1, "ok", ["duplicate-id"]],
      [10, "error", ["duplicate-id"]],
      [19, "ok", ["close-without-open", "duplicate-id"]],
    ]);
  });

  test("a child of a reused id hangs under the span of that id that started before it", () => {
    const forest = reconstructTraces([
      open("p", 1),
      close("p", 2, 1),
      open("p", 10),
      open("c", 11, { parentSpanId: "p" }),
    ]);
    assert.deepEqual(forest.roots.map((span) => span.children.length), [0, 1]);
  });

  test("parent cycles do not loop: the span closing the cycle becomes a marked root", () => {
    const forest = reconstructTraces([
      open("a", 1, { parentSpanId: "b" }),
      open("b", 2, { parentSpanId: "a" }),
      open("self", 3, { parentSpanId: "self" }),
    ]);
    assert.deepEqual(forest.roots.map(shape), [
      {
        id: "b",
        status: "open",
        anomalies: ["parent-cycle"],
        children: [{ id: "a", status: "open" }],
      },
      { id: "self", status: "open", anomalies: ["parent-cycle"] },
    ]);
  });

  test("log entries of unknown spans are kept as orphans; other kinds are ignored", () => {
    const forest = reconstructTraces([
      log("no span", 1),
      log("unknown span", 2, "nope"),
      { kind: "metric", value: 1 },
      { kind: "span-open", name: "no id", timestamp: 1 },
    ]);
    assert.deepEqual(forest.orphanLogs.map((entry) => entry.msg), ["unknown span"]);
    assert.equal(forest.spanCount, 0);
  });

  test("log entries inside a turn but outside any span are kept under their turn", () => {
    const turnLog = (msg: string, timestamp: number, turnId: string) => ({
      ...log(msg, timestamp),
      turnId,
      conversationId: "c1",
    });
    const forest = reconstructTraces([
      open("s", 1, { turnId: "t1" }),
      turnLog("after the span", 9, "t1"),
      turnLog("before the span", 0, "t1"),
      { ...log("in the span", 2, "s"), turnId: "t1" },
      turnLog("only a log", 5, "t2"),
      log("no turn, no span", 3),
    ]);
    assert.deepEqual(
      forest.turnLogs.map((
        turn,
      ) => [turn.turnId, turn.conversationId, turn.logs.map((e) => e.msg)]),
      [["t1", "c1", ["before the span", "after the span"]], ["t2", "c1", ["only a log"]]],
    );
    assert.deepEqual(forest.roots[0].logs.map((entry) => entry.msg), ["in the span"]);
    assert.deepEqual(forest.orphanLogs, []);
  });

  test("an async iterable gives a promise of the same forest", async () => {
    const records = [open("s", 1), close("s", 3, 2)];
    async function* stream() {
      for (const record of records) yield record;
    }
    const forest = await reconstructTraces(stream());
    assert.deepEqual(forest.roots.map(shape), reconstructTraces(records).roots.map(shape));
    assert.equal(forest.roots[0].status, "ok");
  });
});

describe("trace ids", () => {
  const T1 = "5b8efff798038103d269b633813fc60c";
  const T2 = "0af7651916cd43dd8448eb211c80319c";

  test("a span keeps its record's traceId, and one without takes its parent's", () => {
    const forest = reconstructTraces([
      open("root", 0, { traceId: T1 }),
      open("child", 1, { parentSpanId: "root" }),
      open("grandchild", 2, { parentSpanId: "child" }),
      open("own", 3, { parentSpanId: "root", traceId: T2 }),
      open("plain", 4),
    ]);
    const [root, plain] = forest.roots;
    assert.equal(root.traceId, T1);
    const [child, own] = root.children;
    assert.equal(child.traceId, T1);
    assert.equal(child.children[0].traceId, T1);
    assert.equal(own.traceId, T2, "a recorded id wins over the parent's");
    assert.equal("traceId" in plain, false, "no id invented");
  });

  test("a close carries the id when the open was not read", () => {
    const forest = reconstructTraces([
      {
        kind: "span-close",
        spanId: "s",
        name: "s",
        timestamp: 5,
        durationMs: 5,
        status: "ok",
        ...base,
        traceId: T1,
      },
    ]);
    assert.equal(forest.roots[0].traceId, T1);
  });
});
