/**
 * What `createJournalSpanProcessor` costs per span (start + end), next to the OpenTelemetry
 * SDK's own `SimpleSpanProcessor` + `InMemorySpanExporter`, in one process. Each case is a
 * `TracerProvider` with one processor (or none, the baseline); a processor's cost is its
 * case minus the baseline. Runs unchanged on the three runtimes:
 *
 *   node_modules/.bin/node bench/otel.bench.ts
 *   node_modules/.bin/bun bench/otel.bench.ts
 *   node_modules/.bin/deno run -A bench/otel.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { createJournalSink } from "../src/sink/journal_sink.ts";
import { createJournalSpanProcessor } from "../src/otel/journal_span_processor.ts";
import type { LogRecord } from "../src/records.ts";

const attributes = { "gen_ai.operation.name": "chat", "gen_ai.request.model": "m-1", retries: 0 };

interface Case {
  name: string;
  op: () => void;
  rounds: number[];
}

function spanCase(name: string, processors: SpanProcessor[], every?: () => void): Case {
  const tracer = new TracerProvider({ spanProcessors: processors }).getTracer("bench");
  let i = 0;
  const op = () => {
    const span = tracer.startSpan("chat m-1", { attributes });
    span.setAttribute("gen_ai.usage.output_tokens", 42);
    span.end();
    if (every !== undefined && ++i % 4096 === 0) every();
  };
  return { name, op, rounds: [] };
}

/**
 * Median ns per span of each case over 9 rounds; the cases take turns within a round (so
 * load on the machine hits them alike), and the event loop runs between turns (so the
 * SDK's export promises settle, as they would in a host).
 */
async function measure(cases: Case[]): Promise<void> {
  const n = 20_000;
  for (const c of cases) for (let i = 0; i < n / 4; i++) c.op(); // warm up
  for (let round = 0; round < 9; round++) {
    for (const c of cases) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const start = performance.now();
      for (let i = 0; i < n; i++) c.op();
      c.rounds.push(((performance.now() - start) * 1e6) / n);
    }
  }
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const dir = mkdtempSync(join(tmpdir(), "journal-sink-otel-bench-"));
try {
  const exporter = new InMemorySpanExporter();
  let emitted = 0;
  const noop = { emit: (_record: LogRecord): void => void emitted++ };
  const journal = createJournalSink({ path: join(dir, "otel.jsonl"), maxBytes: 64 << 20 });

  const cases = [
    spanCase("SDK alone (no processor): start + end", []),
    spanCase(
      "SimpleSpanProcessor + InMemorySpanExporter",
      [new SimpleSpanProcessor({ exporter })],
      () => exporter.reset(),
    ),
    spanCase("journal processor → no-op sink (mapping only)", [
      createJournalSpanProcessor({ sink: noop }),
    ]),
    spanCase("journal processor → journal file (2 lines/span)", [
      createJournalSpanProcessor({ sink: journal }),
    ]),
  ];
  await measure(cases);
  journal.close();
  const [baseline, simple, mapping, file] = cases.map((c) => median(c.rounds));

  const runtime = "Deno" in globalThis
    ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
    : "Bun" in globalThis
    ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
    : `Node ${process.version}`;
  const cost = (total: number) => total - baseline;
  const rows: [string, number, number | undefined][] = [
    ["SDK alone (no processor): start + end", baseline, undefined],
    ["SimpleSpanProcessor + InMemorySpanExporter", simple, cost(simple)],
    ["journal processor → no-op sink (mapping only)", mapping, cost(mapping)],
    ["journal processor → journal file (2 lines/span)", file, cost(file)],
  ];
  console.log(`${runtime}: ns per span, and the processor's own cost (total − SDK alone)`);
  for (const [name, total, own] of rows) {
    const ownText = own === undefined ? "" : `${own.toFixed(0).padStart(7)} own`;
    console.log(`  ${name.padEnd(50)} ${total.toFixed(0).padStart(7)} total ${ownText}`);
  }
  console.log(
    `  journal processor (file) / SimpleSpanProcessor+InMemory, own cost: ` +
      `${(cost(file) / cost(simple)).toFixed(2)}×; total per span: ${(file / simple).toFixed(2)}×`,
  );
  if (emitted === 0) throw new Error("the no-op sink saw nothing");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
