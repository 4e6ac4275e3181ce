/**
 * What `captureFetch` adds to a model call, against the plain `fetch` on the same loopback fake
 * provider, in one run: a non-streamed chat call with a 100 KB request, and a streamed call
 * with a 1 MB response (1,000 server-sent events of 1 KB). The two ways alternate call by call
 * so drift hits both; each figure is the median wall time of a call, the capture writing to a
 * real journal (fsync "none"). The goal: at most 5% more wall time a call. Runs unchanged on
 * the three runtimes:
 *
 *   node_modules/.bin/node bench/capture.bench.ts
 *   node_modules/.bin/bun bench/capture.bench.ts
 *   node_modules/.bin/deno run -A bench/capture.bench.ts
 *
 * CAPTURE_ROUNDS=N sets the calls per way (default 150 requests, 40 streams).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../src/sink/journal_sink.ts";
import { createLogger } from "../src/logger/logger.ts";
import { captureFetch, type FetchFunction } from "../src/genai/capture_fetch.ts";
import { startFakeProvider } from "../tests/fixtures/fake_provider.ts";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const rounds = Number(env?.CAPTURE_ROUNDS ?? 0);

const server = await startFakeProvider();
const dir = mkdtempSync(join(tmpdir(), "capture-bench-"));
const sink = createJournalSink({ path: join(dir, "bench.jsonl"), fsync: "none" });
const log = createLogger({ sink, extensionId: "bench" });
const plain: FetchFunction = (input, init) => fetch(input, init);
const captured = captureFetch(log);

const bigRequest = JSON.stringify({
  model: "gpt-4o",
  messages: Array.from({ length: 100 }, (_, i) => ({
    role: i % 2 === 0 ? "user" : "assistant",
    content: `message ${i} `.padEnd(1000, "lorem ipsum dolor sit amet "),
  })),
});
const streamRequest = JSON.stringify({
  model: "gpt-4o",
  stream: true,
  messages: [{ role: "user", content: "a long answer please" }],
});
const KB = "x".repeat(1000);

async function requestCall(f: FetchFunction): Promise<void> {
  const response = await f(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-bench" },
    body: bigRequest,
  });
  await response.json();
}

async function streamCall(f: FetchFunction): Promise<number> {
  server.plan({ deltas: 1000, deltaText: KB });
  const response = await f(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: streamRequest,
  });
  const reader = response.body!.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
  }
  return bytes;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function compare(name: string, n: number, call: (f: FetchFunction) => Promise<unknown>) {
  for (let i = 0; i < 5; i++) {
    await call(plain);
    await call(captured);
  }
  const times = { plain: [] as number[], captured: [] as number[] };
  for (let i = 0; i < n; i++) {
    for (
      const [way, f] of (i % 2 === 0
        ? [["plain", plain], ["captured", captured]]
        : [["captured", captured], ["plain", plain]]) as ["plain" | "captured", FetchFunction][]
    ) {
      const start = performance.now();
      await call(f);
      times[way].push(performance.now() - start);
    }
  }
  const p = median(times.plain);
  const c = median(times.captured);
  console.log(
    `${name.padEnd(34)} plain ${p.toFixed(3)} ms  captured ${c.toFixed(3)} ms  ` +
      `added ${(c - p).toFixed(3)} ms  ratio ${(c / p).toFixed(3)}`,
  );
}

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
console.log(`captureFetch vs plain fetch, ${runtime}, median wall time a call`);
await compare("chat, 100 KB request, JSON", rounds || 150, requestCall);
await compare("chat, streamed 1 MB response (SSE)", rounds || 40, streamCall);
sink.close();
console.log(`journal: ${sink.stats.written} records, ${sink.stats.bytes} bytes`);
await server.close();
rmSync(dir, { recursive: true, force: true });
