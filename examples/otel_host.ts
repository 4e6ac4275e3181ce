/**
 * A host instrumented with OpenTelemetry writes its spans into the journal through
 * `createJournalSpanProcessor`, and its pino logs into the same journal through
 * `createPinoDestination`. One tool call is still running when the journal is read back: it
 * shows as OPEN, which is what a crash would leave (the SDK's exporters would have lost it).
 *
 * Run with any runtime: `node examples/otel_host.ts`, `bun examples/otel_host.ts`,
 * `deno run -A examples/otel_host.ts`.
 */
import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import pino from "pino";
import { createJournalSink, readJournal, reconstructTraces, type TraceSpan } from "../mod.ts";
import { createJournalSpanProcessor } from "../otel.ts";
import { createPinoDestination } from "../pino.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Async context for OpenTelemetry, as a Node host sets it up.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const tmp = (globalThis as { process?: { env: Record<string, string> } }).process?.env.TMPDIR ??
  "/tmp";
const path = `${tmp}/journal-sink-otel-host-${Date.now()}.jsonl`;
const sink = createJournalSink({ path, fsync: "always" });

// Spans: written at start and at end; extensionId from the resource's service.name.
const provider = new TracerProvider({
  resource: resourceFromAttributes({ "service.name": "agent-host" }),
  spanProcessors: [createJournalSpanProcessor({ sink })],
});
const tracer = provider.getTracer("agent-host", "1.0.0");

// Logs: pino into the same journal; inside a span, trace_id/span_id tie them to it.
const log = pino(
  { base: null, mixin: () => trace.getActiveSpan()?.spanContext() ?? {} },
  createPinoDestination({ sink, extensionId: "agent-host" }),
);
// OpenTelemetry's span context has traceId/spanId/traceFlags; pino writes them as fields.

let finishSearch = (): void => {};
let search: Promise<void> | undefined;
await tracer.startActiveSpan(
  "invoke_agent weather-bot",
  { attributes: { "gen_ai.conversation.id": "conv-42", "gen_ai.operation.name": "invoke_agent" } },
  async (agent) => {
    await tracer.startActiveSpan("chat gpt-x", async (chat) => {
      chat.setAttributes({ "gen_ai.request.model": "gpt-x", "gen_ai.usage.input_tokens": 812 });
      await sleep(3);
      log.info({ finishReason: "tool_calls" }, "model asked for a tool");
      chat.setAttribute("gen_ai.usage.output_tokens", 64);
      chat.end();
    });
    await tracer.startActiveSpan("execute_tool divide", async (tool) => {
      await sleep(1);
      try {
        throw new RangeError("division by zero");
      } catch (error) {
        tool.recordException(error as Error);
        tool.setStatus({ code: SpanStatusCode.ERROR, message: "division by zero" });
        log.error({ err: error }, "tool failed");
      }
      tool.end();
    });
    // Still running when we read the journal back (a crash here would leave it so).
    search = tracer.startActiveSpan("execute_tool web_search", async (span) => {
      span.addEvent("request sent", { url: "https://example.invalid/q" });
      await new Promise<void>((resolve) => finishSearch = resolve);
      span.end();
    });
    agent.end();
  },
);

await provider.forceFlush();
const traces = await reconstructTraces(readJournal(path));
const print = (span: TraceSpan, depth: number): void => {
  const state = span.status === "open" ? "OPEN" : `${span.status} ${span.durationMs}ms`;
  const logs = span.logs.map((entry) => `${entry.level}: ${entry.msg}`).join("; ");
  console.log(
    `${"  ".repeat(depth)}${span.name} [${state}]` +
      (span.conversationId ? ` conversation=${span.conversationId}` : "") +
      (logs ? ` · ${logs}` : ""),
  );
  for (const child of span.children) print(child, depth + 1);
};
for (const root of traces.roots) print(root, 0);
console.log(`${traces.open.length} open span(s); journal: ${path}`);
if (traces.open.length !== 1) throw new Error("the running tool call should read as open");

finishSearch();
await search;
await provider.shutdown(); // flushes; the sink belongs to this host, which closes it
sink.close();
