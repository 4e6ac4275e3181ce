// OTLP figures: protobufjs encode/decode of a realistic traces request next to
// JSON.stringify/JSON.parse of the same request (the floor any OTLP/JSON path pays), and
// the receiver's throughput in spans/s: a prepared request body of SPANS spans (GenAI-like
// attributes, an event on every 4th span) posted in a loop with fetch (keep-alive, one
// request at a time) from the SAME process, so client, server, decoding, mapping and the
// journal append (default sink: fsync periodic) all share one core.
// Run: `node bench/otlp.bench.ts`, `bun bench/otlp.bench.ts`, `deno run -A bench/otlp.bench.ts`.
// BENCH_SECONDS=3 per measurement by default; SPANS=512 spans per request.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "../src/records.ts";
import { toOtlpTraces } from "../src/otlp/records_to_otlp.ts";
import { otlpJsonToMessage } from "../src/otlp/otlp_json_to_message.ts";
import { loadOtlpProtobuf } from "../src/otlp/otlp_protobuf.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";
import { tracesToRecords } from "../src/otlp/otlp_to_records.ts";
import { createJournalSink } from "../src/sink/journal_sink.ts";

const env =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ??
    {};
const seconds = Number(env.BENCH_SECONDS ?? 3);
const spansPerRequest = Number(env.SPANS ?? 512);
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

function records(count: number): LogRecord[] {
  const out: LogRecord[] = [];
  const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
  let time = 1_700_000_000_000;
  for (let i = 0; i < count; i++) {
    const spanId = hex(i + 1, 16);
    const traceId = hex(Math.floor(i / 8) + 1, 32);
    const scope = { extensionId: "host", conversationId: `c${i >> 6}`, turnId: `t${i >> 3}` };
    const parentSpanId = i % 8 === 0 ? undefined : hex(i - (i % 8) + 1, 16);
    out.push({
      kind: "span-open",
      spanId,
      traceId,
      parentSpanId,
      name: i % 2 ? "chat gpt-5" : "execute_tool grep",
      timestamp: time,
      ...scope,
      attributes: {
        "gen_ai.operation.name": i % 2 ? "chat" : "execute_tool",
        "gen_ai.request.model": "gpt-5",
        "gen_ai.tool.name": "grep",
        "http.status_code": 200,
      },
    });
    if (i % 4 === 0) {
      out.push({
        kind: "log",
        level: "info",
        msg: "first token",
        timestamp: time + 1,
        spanId,
        traceId,
        ...scope,
        attributes: { chunk: 1 },
      });
    }
    time += 3;
    out.push({
      kind: "span-close",
      spanId,
      traceId,
      parentSpanId,
      name: i % 2 ? "chat gpt-5" : "execute_tool grep",
      timestamp: time,
      durationMs: 3,
      status: i % 10 === 0 ? "error" : "ok",
      ...scope,
      attributes: { "gen_ai.usage.input_tokens": 1200 + i, "gen_ai.usage.output_tokens": 300 },
    });
  }
  return out;
}

function rate(run: () => unknown): number {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) {
    run();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

async function rateAsync(run: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await run();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

const request = toOtlpTraces(records(spansPerRequest), { serviceName: "bench" });
const json = JSON.stringify(request);
const jsonBytes = new TextEncoder().encode(json);
const codecs = await loadOtlpProtobuf();
const protobuf = codecs.tracesRequest.encode(otlpJsonToMessage(request) as object);
const parsed = JSON.parse(json);
const decoded = codecs.tracesRequest.decode(protobuf);
const per = (requestsPerSecond: number) => Math.round(requestsPerSecond * spansPerRequest);

console.log(
  `# ${runtime}: one request = ${spansPerRequest} spans, JSON ${jsonBytes.length} B, protobuf ${protobuf.length} B`,
);
const codec = {
  "JSON.stringify (floor)": rate(() => JSON.stringify(request)),
  "protobufjs encode (incl. hex/int64 conversion)": rate(() =>
    codecs.tracesRequest.encode(otlpJsonToMessage(request) as object)
  ),
  "JSON.parse (floor)": rate(() => JSON.parse(json)),
  "protobufjs decode": rate(() => codecs.tracesRequest.decode(protobuf)),
  "tracesToRecords (OTLP/JSON object → records)": rate(() => tracesToRecords(parsed, "json")),
  "tracesToRecords (protobuf message → records)": rate(() => tracesToRecords(decoded, "protobuf")),
};
for (const [name, perSecond] of Object.entries(codec)) {
  console.log(`${name.padEnd(48)} ${per(perSecond).toLocaleString("en").padStart(12)} spans/s`);
}

const dir = mkdtempSync(join(tmpdir(), "journal-sink-otlp-"));
const path = join(dir, "otlp.jsonl");
const receiver = await receiveOtlp({ journal: { path }, port: 0 });
try {
  for (
    const [name, type, body] of [
      ["receiver, application/json", "application/json", jsonBytes],
      ["receiver, application/x-protobuf", "application/x-protobuf", protobuf],
    ] as const
  ) {
    const post = async () => {
      const response = await fetch(`${receiver.url}/v1/traces`, {
        method: "POST",
        headers: { "content-type": type },
        body: body as BodyInit,
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    };
    await post(); // warm up
    console.log(
      `${name.padEnd(48)} ${per(await rateAsync(post)).toLocaleString("en").padStart(12)} spans/s`,
    );
  }
  // The physical limit of the write side: the same records appended through the same sink.
  const sink = createJournalSink({ path: join(dir, "direct.jsonl") });
  const mapped = tracesToRecords(request, "json").records;
  const appended = rate(() => {
    for (const record of mapped) sink.emit(record);
  });
  sink.close();
  console.log(
    `${"sink.emit of the mapped records (write floor)".padEnd(48)} ${
      per(appended).toLocaleString("en").padStart(12)
    } spans/s`,
  );
  console.log(`# journal: ${statSync(path).size} bytes written by the receiver`);
} finally {
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
}
