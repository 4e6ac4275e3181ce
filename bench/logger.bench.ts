/**
 * What each logger call costs, in ns per call, against a sink that does nothing (so only
 * the logger's own work is measured). Runs unchanged on the three runtimes:
 *
 *   node_modules/.bin/deno run -A bench/logger.bench.ts
 *   node_modules/.bin/node bench/logger.bench.ts
 *   node_modules/.bin/bun bench/logger.bench.ts
 *
 * Order matters and is deliberate: the cases that show "a host that never uses implicit
 * context" run before anything creates the AsyncLocalStorage (it is created lazily, on
 * the first `withSpan` or `span.run`).
 */
import { createLogger } from "../src/logger/logger.ts";
import type { LogRecord } from "../src/records.ts";

let emitted = 0;
const sink = { emit: (_record: LogRecord): void => void emitted++ };
const log = createLogger({ sink, extensionId: "bench", conversationId: "c1", turnId: "t1" });
const infoOnly = createLogger({ sink, extensionId: "bench", minLevel: "info" });
const redacting = createLogger({
  sink,
  extensionId: "bench",
  redact: ["password", "authorization", "user.*.token"],
});
const explicitOnly = createLogger({ sink, extensionId: "bench", implicitContext: false });
const attributes = { tool: "search", tokens: 128, user: { id: "u1", role: "admin" } };
const secret = { tool: "search", tokens: 128, user: { id: "u1", password: "hunter2" } };

/** Median ns per call over several rounds of about 100 ms each. */
function measure(op: () => void): number {
  let n = 1_000;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < n; i++) op();
    if (performance.now() - start > 20) break;
    n *= 2;
  }
  n = Math.ceil(n * 5);
  const rounds: number[] = [];
  for (let round = 0; round < 7; round++) {
    const start = performance.now();
    for (let i = 0; i < n; i++) op();
    rounds.push(((performance.now() - start) * 1e6) / n);
  }
  rounds.sort((a, b) => a - b);
  return rounds[3];
}

const rows: [string, number][] = [];
function bench(name: string, op: () => void): void {
  rows.push([name, measure(op)]);
}

// Before any AsyncLocalStorage exists: the path of a host that never uses implicit context.
bench("baseline: empty call", () => {});
bench("info(msg) → no-op sink", () => log.info("hello"));
bench("info(msg, attrs) → no-op sink", () => log.info("hello", attributes));
bench("debug() filtered by minLevel info", () => infoOnly.debug("hidden", attributes));
bench("info(msg, attrs), redact unset", () => log.info("hello", secret));
bench("info(msg, attrs), redact set, nothing to redact", () => redacting.info("hi", attributes));
bench("info(msg, attrs), redact set, one key redacted", () => redacting.info("hi", secret));
bench("span open + end", () => log.span("step").end());
bench("withSpan(sync), implicitContext false (no ALS)", () => explicitOnly.withSpan("s", noop));

// From here on the AsyncLocalStorage exists (created by the first implicit withSpan).
bench("withSpan(sync), implicit context (ALS run)", () => log.withSpan("s", noop));
bench("info(msg, attrs), ALS created, no span active", () => log.info("hello", attributes));
const active = log.span("active");
active.run(() => {
  bench("info(msg, attrs) inside an active span (ALS lookup)", () => log.info("hi", attributes));
  bench("info(msg, attrs) on the span itself (explicit)", () => active.info("hi", attributes));
});
active.end();

function noop(): number {
  return 1;
}

const runtime = "Deno" in globalThis
  ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : "Bun" in globalThis
  ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `Node ${(globalThis as unknown as { process: { version: string } }).process.version}`;
console.log(`logger bench on ${runtime} (median ns per call; ${emitted} records emitted)\n`);
const width = Math.max(...rows.map(([name]) => name.length));
for (const [name, ns] of rows) {
  console.log(`${name.padEnd(width)}  ${ns.toFixed(1).padStart(7)} ns`);
}
