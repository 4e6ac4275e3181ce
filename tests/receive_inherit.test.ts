// Spans received over OTLP where only the root carries `journal.turn_id` and
// `journal.conversation_id` (what an OpenTelemetry SDK host sets): the children, their events
// and their grandchildren take the root's turn and conversation in the journal, whether the
// root came in the same request or an earlier one. (A child sent in a request before its
// parent's is settled later, by the collector and the viewer.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { context, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import type { LogRecord } from "../src/records.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";

type Exporter = typeof JsonTraceExporter | typeof ProtoTraceExporter;

async function receive(
  send: (url: string) => Promise<void>,
): Promise<LogRecord[]> {
  const dir = mkdtempSync(join(tmpdir(), "receive-inherit-"));
  try {
    const path = join(dir, "otlp.jsonl");
    const receiver = await receiveOtlp({ journal: { path }, port: 0 });
    try {
      await send(`${receiver.url}/v1/traces`);
    } finally {
      await receiver.close();
    }
    return readFileSync(path, "utf8").trim().split("\n").map((line) => JSON.parse(line));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ROOT_SCOPE = { "journal.turn_id": "turn-1", "journal.conversation_id": "conv-1" };

for (const [label, Exporter] of [["JSON", JsonTraceExporter], ["protobuf", ProtoTraceExporter]]) {
  test(`children in the same ${label} request as their root take its turn and conversation`, async () => {
    const records = await receive(async (url) => {
      const provider = new TracerProvider({
        spanProcessors: [
          new BatchSpanProcessor({
            exporter: new (Exporter as Exporter)({ url }),
            scheduledDelayMillis: 60_000,
          }),
        ],
      });
      const tracer = provider.getTracer("inherit");
      const root = tracer.startSpan("invoke_agent", { attributes: ROOT_SCOPE });
      const child = tracer.startSpan("chat", {}, trace.setSpan(context.active(), root));
      const tool = tracer.startSpan("execute_tool", {}, trace.setSpan(context.active(), child));
      tool.addEvent("exit", { code: 2 });
      tool.end(); // the SDK exports children first: they come before the root in the request
      child.end();
      root.end();
      await provider.forceFlush();
      await provider.shutdown();
    });
    assert.equal(records.length, 7);
    for (const record of records) {
      assert.equal(record.turnId, "turn-1", `${record.kind} ${JSON.stringify(record)}`);
      assert.equal(record.conversationId, "conv-1", `${record.kind} ${JSON.stringify(record)}`);
    }
  });
}

/** A provider that exports each span as it ends, one request each. */
function simpleProvider(url: string, Exporter: Exporter): TracerProvider {
  const processor: SpanProcessor = new SimpleSpanProcessor({ exporter: new Exporter({ url }) });
  return new TracerProvider({ spanProcessors: [processor] });
}

test("a child sent after its root, in a later request, takes the root's turn and conversation", async () => {
  const records = await receive(async (url) => {
    const provider = simpleProvider(url, JsonTraceExporter);
    const tracer = provider.getTracer("inherit");
    const root = tracer.startSpan("invoke_agent", { attributes: ROOT_SCOPE });
    const late = tracer.startSpan("background tool", {}, trace.setSpan(context.active(), root));
    root.end();
    await provider.forceFlush();
    const grandchild = tracer.startSpan("step", {}, trace.setSpan(context.active(), late));
    late.end(); // each in its own request, the parent first: inherited through the receiver's memory
    await provider.forceFlush();
    grandchild.end();
    await provider.forceFlush();
    await provider.shutdown();
  });
  const names = records.filter((r) => r.kind === "span-open").map((r) => r.name);
  assert.deepEqual(names, ["invoke_agent", "background tool", "step"]);
  for (const record of records) {
    assert.equal(record.turnId, "turn-1", JSON.stringify(record));
    assert.equal(record.conversationId, "conv-1", JSON.stringify(record));
  }
});

test("a child's own turn and conversation are kept; a span of another trace inherits nothing", async () => {
  const records = await receive(async (url) => {
    const provider = simpleProvider(url, ProtoTraceExporter);
    const tracer = provider.getTracer("inherit");
    const root = tracer.startSpan("invoke_agent", { attributes: ROOT_SCOPE });
    root.end();
    await provider.forceFlush();
    const own = tracer.startSpan("own", {
      attributes: { "journal.turn_id": "turn-2", "gen_ai.conversation.id": "conv-2" },
    }, trace.setSpan(context.active(), root));
    own.end();
    tracer.startSpan("unrelated", { root: true }).end();
    await provider.forceFlush();
    await provider.shutdown();
  });
  const open = (name: string) =>
    records.find((r) => r.kind === "span-open" && r.name === name) as LogRecord;
  assert.equal(open("own").turnId, "turn-2");
  assert.equal(open("own").conversationId, "conv-2");
  assert.equal(open("unrelated").turnId, undefined);
  assert.equal(open("unrelated").conversationId, undefined);
});
