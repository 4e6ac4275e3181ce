/**
 * An agent host: each extension gets its own scoped logger (it cannot change its
 * `extensionId`), the host runs one turn with step and tool-call spans, one extension
 * throws, and the journal read back shows the span tree with the failed span marked.
 *
 * Extensions never see a span object: their logs and spans attach to the host's active
 * span through the implicit context (AsyncLocalStorage), across awaits and timers.
 *
 * Run with any runtime: `deno run -A examples/agent_host.ts`, `node examples/agent_host.ts`,
 * `bun examples/agent_host.ts`.
 */
import { createJournalSink, createLogger, defaultFsOps, type Logger } from "../mod.ts";

// --- Extensions: plain code that logs through the logger the host hands them. -----------

interface Extension {
  id: string;
  tools: Record<string, (args: Record<string, unknown>, log: Logger) => Promise<unknown>>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const weather: Extension = {
  id: "weather",
  tools: {
    async forecast(args, log) {
      log.info("fetching forecast", { city: args.city, apiKey: "sk-live-123" });
      await sleep(5);
      log.debug("cache miss", { ttlSeconds: 600 });
      return { city: args.city, tempC: 7 };
    },
  },
};

const calculator: Extension = {
  id: "calculator",
  tools: {
    async divide(args, log) {
      // A span of the extension's own: a child of the host's tool-call span, implicitly.
      return await log.withSpan("parse-input", async () => {
        await sleep(2);
        if (args.by === 0) throw new RangeError("division by zero");
        return Number(args.x) / Number(args.by);
      });
    },
  },
};

// --- The host. -----------------------------------------------------------------------

const tmp = (globalThis as { process?: { env: Record<string, string> } }).process?.env.TMPDIR ??
  "/tmp";
const path = `${tmp}/journal-sink-agent-host-${Date.now()}.jsonl`;
const sink = createJournalSink({ path, fsync: "always" });
const conversationId = "conv-1";
const host = createLogger({ sink, extensionId: "host", conversationId });

// Each extension gets a logger scoped by the host; `redact` keeps secrets out of the journal.
const loggers = new Map<string, Logger>();
for (const extension of [weather, calculator]) {
  loggers.set(
    extension.id,
    createLogger({ sink, extensionId: extension.id, conversationId, redact: ["apiKey"] }),
  );
}

async function callTool(extension: Extension, tool: string, args: Record<string, unknown>) {
  return await host.withSpan("tool-call", async (span) => {
    const result = await extension.tools[tool](args, loggers.get(extension.id)!);
    span.debug("tool returned", { tool });
    return result;
  }, { extension: extension.id, tool });
}

const turn = host.child({ turnId: "turn-1" });
await turn.withSpan("turn", async () => {
  turn.info("user asked", undefined, { text: "weather in Oslo, and 1/0?" });
  await turn.withSpan("step", async () => {
    await callTool(weather, "forecast", { city: "Oslo" });
  }, { index: 1 });
  await turn.withSpan("step", async () => {
    try {
      await callTool(calculator, "divide", { x: 1, by: 0 });
    } catch (error) {
      turn.warn("tool failed; answering without it", { error: String(error) });
    }
  }, { index: 2 });
});
sink.close();

// --- Read the journal back and print the span tree. -----------------------------------

type Line = Record<string, unknown> & { kind: string };
const text = new TextDecoder().decode(defaultFsOps().readFile(path));
const lines: Line[] = text.trimEnd().split("\n").map((line) => JSON.parse(line));
const closes = new Map(
  lines.filter((l) => l.kind === "span-close").map((l) => [l.spanId as string, l]),
);
const children = new Map<string | undefined, Line[]>();
for (const line of lines) {
  if (line.kind === "span-close") continue;
  const parent = (line.kind === "log" ? line.spanId : line.parentSpanId) as string | undefined;
  children.set(parent, [...(children.get(parent) ?? []), line]);
}

function print(parent: string | undefined, depth: number): void {
  for (const line of children.get(parent) ?? []) {
    const pad = "  ".repeat(depth);
    if (line.kind === "log") {
      const attrs = line.attributes ? " " + JSON.stringify(line.attributes) : "";
      console.log(`${pad}· [${line.extensionId}] ${line.level} ${line.msg}${attrs}`);
      continue;
    }
    const close = closes.get(line.spanId as string);
    const status = close === undefined
      ? "OPEN"
      : close.status === "error"
      ? `✗ FAILED: ${(close.attributes as { error: { message: string } }).error.message}`
      : "ok";
    const ms = close === undefined ? "" : ` ${close.durationMs} ms`;
    console.log(`${pad}▸ ${line.name} [${line.extensionId}]${ms} ${status}`);
    print(line.spanId as string, depth + 1);
  }
}

console.log(`journal: ${path} (${sink.stats.written} records)\n`);
print(undefined, 0);

const failed = lines.filter((l) => l.kind === "span-close" && l.status === "error");
if (failed.length !== 2) throw new Error(`expected 2 failed spans, got ${failed.length}`);
if (text.includes("sk-live-123")) throw new Error("the API key leaked into the journal");
defaultFsOps().remove(path);
