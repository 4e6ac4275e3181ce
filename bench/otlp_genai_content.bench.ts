/**
 * What the GenAI content attributes (`gen_ai.input.messages`, `gen_ai.output.messages`, …) add
 * to an OTLP export of captured model calls: the export's mapping of 2,000 chat calls, each a
 * 10 KB request (20 messages) and a streamed response of 100 text deltas, against the time the
 * content derivation alone takes on the same bodies (`callContentAttributes`), in one run; each
 * figure the median of 7. Runs unchanged on the three runtimes:
 *
 *   node_modules/.bin/node bench/otlp_genai_content.bench.ts
 *   node_modules/.bin/bun bench/otlp_genai_content.bench.ts
 *   node_modules/.bin/deno run -A bench/otlp_genai_content.bench.ts
 */
import type { LogRecord } from "../src/records.ts";
import { toOtlpTraces } from "../src/otlp/records_to_otlp.ts";
import { callContentAttributes } from "../src/genai/genai_messages.ts";

const CALLS = 2000;
const RUNS = 7;
const at = { extensionId: "bench", turnId: "t1" };
const text = "x".repeat(480) + " ünïcödé";
const records: LogRecord[] = [];
const bodies: [unknown, unknown][] = [];
for (let i = 0; i < CALLS; i++) {
  const spanId = `call-${i}`;
  const request = {
    model: "gpt-4o",
    stream: true,
    messages: Array.from({ length: 20 }, (_, k) => ({
      role: k % 2 ? "assistant" : "user",
      content: text,
    })),
  };
  const delta = (content: string | undefined, finish: string | null) => ({
    data: {
      id: "c",
      choices: [{
        index: 0,
        delta: content === undefined ? {} : { content },
        finish_reason: finish,
      }],
    },
  });
  const response = [
    ...Array.from({ length: 100 }, () => delta("Hello ", null)),
    delta(undefined, "stop"),
    { data: "[DONE]" },
  ];
  bodies.push([request, response]);
  records.push(
    {
      kind: "span-open",
      spanId,
      name: "chat gpt-4o",
      timestamp: i * 10,
      ...at,
      attributes: { "gen_ai.operation.name": "chat" },
    },
    {
      kind: "log",
      level: "info",
      msg: "provider.request",
      timestamp: i * 10 + 1,
      spanId,
      ...at,
      body: request,
    },
    {
      kind: "log",
      level: "info",
      msg: "provider.response",
      timestamp: i * 10 + 2,
      spanId,
      ...at,
      body: response,
    },
    {
      kind: "span-close",
      spanId,
      name: "chat gpt-4o",
      timestamp: i * 10 + 3,
      durationMs: 3,
      status: "ok",
      ...at,
    },
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const mapping: number[] = [];
const derivation: number[] = [];
let bytes = 0;
for (let run = 0; run < RUNS; run++) {
  let t = performance.now();
  bytes = JSON.stringify(toOtlpTraces(records)).length;
  mapping.push(performance.now() - t);
  t = performance.now();
  for (const [request, response] of bodies) callContentAttributes("chat", request, response);
  derivation.push(performance.now() - t);
}
const g = globalThis as { Deno?: unknown; Bun?: unknown };
const runtime = g.Deno !== undefined ? "deno" : g.Bun !== undefined ? "bun" : "node";
const whole = median(mapping);
const content = median(derivation);
console.log(
  `${runtime}: ${CALLS} calls, export mapping ${(whole / CALLS).toFixed(3)} ms a call ` +
    `(${(bytes / CALLS / 1024).toFixed(0)} KiB of OTLP/JSON), of which the content attributes ` +
    `${(content / CALLS).toFixed(3)} ms (${((content / whole) * 100).toFixed(1)} %)`,
);
