// The worker of bench/collector_worker_ceiling.bench.ts: read, split, parse, map to rows,
// hand over a string table per 4 MiB batch.
import { closeSync, openSync, readSync } from "node:fs";
import { otlpTraceId } from "../src/collector/trace_ids.ts";
import { readUsage } from "../src/genai/usage.ts";

/** A journal record as parsed, its fields unchecked (the workload's are well formed). */
interface Rec {
  kind: string;
  timestamp: number;
  spanId: string;
  [field: string]: unknown;
}
type Attributes = Record<string, unknown>;
interface Port {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  once(event: string, handler: (message: Start) => void): void;
}
interface WorkerScope {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  onmessage: ((event: MessageEvent<Start>) => void) | null;
}
interface Start {
  path: string;
  chunk: number;
}
const scope = globalThis as unknown as WorkerScope & {
  process: { getBuiltinModule(id: string): { parentPort: Port } };
};
const isNode = !("Deno" in globalThis) && !("Bun" in globalThis);
let post: (m: unknown, transfer: ArrayBuffer[]) => void;
let onStart: (handler: (m: Start) => void) => void;
if (isNode) {
  const { parentPort } = scope.process.getBuiltinModule("node:worker_threads");
  post = (m, t) => parentPort.postMessage(m, t);
  onStart = (h) => parentPort.once("message", h);
} else {
  post = (m, t) => scope.postMessage(m, t);
  onStart = (h) => (scope.onmessage = (e) => h(e.data));
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
const str = (v: unknown) => (typeof v === "string" ? v : null);

class TableBuilder {
  parts: string[] = [];
  at = 0;
  nf = 0;
  ends = new Int32Array(1 << 16);
  tags = new Uint8Array(1 << 16);
  nums = new Float64Array(1 << 16);
  rows: number[] = [];
  private grow() {
    const n = this.ends.length * 2;
    const e = new Int32Array(n), t = new Uint8Array(n), u = new Float64Array(n);
    e.set(this.ends), t.set(this.tags), u.set(this.nums);
    this.ends = e, this.tags = t, this.nums = u;
  }
  put(v: unknown) {
    if (this.nf === this.ends.length) this.grow();
    const i = this.nf++;
    if (typeof v === "string") {
      this.parts.push(v);
      this.at += v.length;
      this.tags[i] = 1;
    } else if (typeof v === "number") {
      this.tags[i] = 2;
      this.nums[i] = v;
    } else this.tags[i] = 0;
    this.ends[i] = this.at;
  }
  row(kind: number, values: unknown[]) {
    this.rows.push(kind);
    for (const v of values) this.put(v);
  }
  records = 0;
  send() {
    const ends = this.ends.slice(0, this.nf), tags = this.tags.slice(0, this.nf);
    const nums = this.nums.slice(0, this.nf), rows = Uint8Array.from(this.rows);
    post({ text: this.parts.join(""), ends, tags, nums, rows, records: this.records }, [
      ends.buffer,
      tags.buffer,
      nums.buffer,
      rows.buffer,
    ]);
    this.parts = [], this.at = 0, this.nf = 0, this.rows = [], this.records = 0;
  }
}

const turnTraces = new Map<string, string>();
const traces = new Map<string, string>();
const opens = new Map<string, Attributes>(); // open spans of earlier batches: their attributes
function traceOf(r: Rec): string | null {
  if (typeof r.turnId === "string" && r.traceId === undefined) {
    const key = `${r.conversationId ?? ""}\u0000${r.turnId}`;
    let t = turnTraces.get(key);
    if (t === undefined) {
      turnTraces.set(
        key,
        t = otlpTraceId(r as never, (s) => traces.get(s)) as string,
      );
    }
    return t;
  }
  return otlpTraceId(r as never, (s) => traces.get(s)) ?? null;
}

function mapBatch(records: Rec[], out: TableBuilder) {
  const pending: unknown[][] = [];
  const inBatch = new Map<string, number>();
  for (const r of records) {
    if (r.kind === "log") {
      out.row(0, [
        r.timestamp,
        String(r.level ?? "info"),
        String(r.msg ?? ""),
        String(r.extensionId ?? ""),
        str(r.conversationId),
        str(r.turnId),
        str(r.spanId),
        traceOf(r),
        json(r.attributes),
        json(r.body),
      ]);
    } else if (r.kind === "span-open") {
      const u = readUsage(r.attributes);
      const trace = traceOf(r);
      traces.set(r.spanId, trace as string);
      inBatch.set(r.spanId, pending.length);
      pending.push([
        r.spanId,
        str(r.parentSpanId),
        trace,
        String(r.name ?? ""),
        r.timestamp,
        null,
        null,
        "open",
        String(r.extensionId ?? ""),
        str(r.conversationId),
        str(r.turnId),
        r.attributes ?? {},
        "[]",
        json(r.body),
        0,
        u.model,
        u.inputTokens,
        u.outputTokens,
        u.costUsd,
        null,
      ]);
    } else if (r.kind === "span-close") {
      const at = inBatch.get(r.spanId);
      const status = r.status === "error" ? "error" : "ok";
      if (at !== undefined) {
        inBatch.delete(r.spanId);
        const row = pending[at];
        const attributes = r.attributes
          ? { ...(row[11] as Attributes), ...(r.attributes as Attributes) }
          : row[11];
        const u = readUsage(attributes as Attributes);
        row[5] = r.timestamp, row[6] = r.durationMs ?? null, row[7] = status, row[11] = attributes;
        row[15] = u.model, row[16] = u.inputTokens, row[17] = u.outputTokens, row[18] = u.costUsd;
        row[19] = 1;
      } else {
        const open = opens.get(r.spanId);
        opens.delete(r.spanId);
        const attributes = { ...open, ...(r.attributes as Attributes) };
        const u = readUsage(attributes);
        out.row(2, [
          r.spanId,
          r.timestamp,
          r.durationMs ?? null,
          status,
          JSON.stringify(attributes),
          u.model,
          u.inputTokens,
          u.outputTokens,
          u.costUsd,
        ]);
      }
    }
  }
  for (const row of pending) {
    if (row[6] === null) opens.set(row[0] as string, row[11] as Attributes);
    row[11] = JSON.stringify(row[11]);
    out.row(1, row);
  }
}

onStart(({ path, chunk }) => {
  const fd = openSync(path, "r");
  const buffer = new Uint8Array(chunk);
  const decoder = new TextDecoder();
  const out = new TableBuilder();
  let rest = "";
  let busy = 0;
  for (;;) {
    const t0 = performance.now();
    const n = readSync(fd, buffer, 0, chunk, null);
    if (n === 0) break;
    const text = rest + decoder.decode(buffer.subarray(0, n), { stream: true });
    const cut = text.lastIndexOf("\n");
    rest = text.slice(cut + 1);
    const records: Rec[] = [];
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1 && nl <= cut; nl = text.indexOf("\n", start)) {
      records.push(JSON.parse(text.slice(start, nl)));
      start = nl + 1;
    }
    out.records = records.length;
    mapBatch(records, out);
    out.send();
    busy += performance.now() - t0;
  }
  closeSync(fd);
  post({ done: true, busy }, []);
});
