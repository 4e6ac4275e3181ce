// The receiver and its journal: a journal it cannot open stops it at start; a journal that
// drops records while it runs is answered 503 with Retry-After, which the official OTLP
// exporters retry, so every span lands once or the exporter reports the failure; a port in
// use leaves no journal behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import { context, trace } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { type CliIo, main } from "../cli.ts";
import { JournalSinkError } from "../src/sink/journal_sink_error.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";
import { createFakeFs } from "../src/testing/fake_fs.ts";
import type { FsOps } from "../src/fs_ops.ts";

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "receive-journal-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const stop = new AbortController();
  const io: CliIo = {
    write: (text) => {
      out += text;
      stop.abort(); // a receiver that started anyway: stop it
    },
    error: (text) => void (err += text),
    color: false,
    signal: stop.signal,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

test("a journal that cannot be opened stops receive at start: exit 1, one line with the path and the cause", async () => {
  using tmp = tempDir();
  writeFileSync(join(tmp.dir, "file"), "not a directory");
  const journal = join(tmp.dir, "file", "otlp.jsonl");
  const { code, out, err } = await runCli(["receive", "--journal", journal, "--port", "0"]);
  assert.equal(code, 1);
  assert.equal(out, "");
  const lines = err.trimEnd().split("\n");
  assert.equal(lines.length, 1, err);
  assert.ok(lines[0].includes(journal), err);
  assert.match(lines[0], /ENOTDIR|EEXIST|not a directory/i);
  assert.doesNotMatch(lines[0], /cannot listen/);
});

test("receiveOtlp rejects with the sink's open error and leaves its port free", async () => {
  const fs = createFakeFs();
  fs.fail("open", "EACCES");
  const error = await receiveOtlp({ journal: { path: "otlp.jsonl", fs }, port: 0 }).catch((e) => e);
  assert.ok(error instanceof JournalSinkError, String(error));
  assert.equal(error.code, "EACCES");
  assert.match(error.message, /otlp\.jsonl/);
  // A host's own sink with a check() that fails is refused the same way.
  const refusing = {
    emit() {},
    check() {
      throw new JournalSinkError("open", "EROFS", "cannot open journal (EROFS) [host.jsonl]");
    },
  };
  const hostError = await receiveOtlp({ sink: refusing, port: 0 }).catch((e) => e);
  assert.equal(hostError.code, "EROFS");
});

test("a port in use leaves no journal behind, and keeps a journal that was already there", async () => {
  using tmp = tempDir();
  const taken = await receiveOtlp({ sink: { emit() {} }, port: 0 });
  try {
    const fresh = join(tmp.dir, "fresh.jsonl");
    await assert.rejects(receiveOtlp({ journal: { path: fresh }, port: taken.port }));
    assert.equal(existsSync(fresh), false);
    const kept = join(tmp.dir, "kept.jsonl");
    writeFileSync(kept, '{"kind":"log"}\n');
    await assert.rejects(receiveOtlp({ journal: { path: kept }, port: taken.port }));
    assert.equal(readFileSync(kept, "utf8"), '{"kind":"log"}\n');
  } finally {
    await taken.close();
  }
});

/** The fake fs with its `nth` append (1-based) failing with ENOSPC, once. */
function failingOnce(nth: number): { fs: FsOps<number>; text: (path: string) => string } {
  const fake = createFakeFs();
  let appends = 0;
  const fs: FsOps<number> = {
    open: (path) => fake.open(path),
    append: (handle, text) => {
      if (++appends === nth) throw Object.assign(new Error("no space left"), { code: "ENOSPC" });
      return fake.append(handle, text);
    },
    fsync: (handle) => fake.fsync(handle),
    close: (handle) => fake.close(handle),
    rename: (from, to) => fake.rename(from, to),
    remove: (path) => fake.remove(path),
    size: (path) => fake.size(path),
    readFile: (path) => fake.readFile(path),
  };
  return { fs, text: (path) => fake.text(path) };
}

/** Three spans (root, child, grandchild) through the SDK in one batch; the export result. */
async function exportThreeSpans(exporter: SpanExporter) {
  let result: number | undefined;
  const recording: SpanExporter = {
    export: (spans, done) =>
      exporter.export(spans, (r) => {
        result = r.code;
        done(r);
      }),
    shutdown: () => exporter.shutdown(),
  };
  const provider = new TracerProvider({
    spanProcessors: [
      new BatchSpanProcessor({ exporter: recording, scheduledDelayMillis: 60_000 }),
    ],
  });
  const tracer = provider.getTracer("receive-journal");
  const root = tracer.startSpan("root");
  const child = tracer.startSpan("child", {}, trace.setSpan(context.active(), root));
  const grandchild = tracer.startSpan("grandchild", {}, trace.setSpan(context.active(), child));
  grandchild.addEvent("step");
  grandchild.end();
  child.end();
  root.end();
  await provider.forceFlush().catch(() => {}); // a failed export rejects; `result` says so
  await provider.shutdown().catch(() => {});
  return result;
}

for (
  const [label, Exporter] of [
    ["JSON", JsonTraceExporter],
    ["protobuf", ProtoTraceExporter],
  ] as const
) {
  test(`a write that fails mid-request is answered 503, the ${label} exporter retries, and every record lands once`, async () => {
    // The 4th append fails: the grandchild (open, event, close) is written, the child's open is not.
    const { fs, text } = failingOnce(4);
    const receiver = await receiveOtlp({
      journal: { path: "otlp.jsonl", fs, fsync: "always", onError: () => {} },
      port: 0,
    });
    let result: number | undefined;
    try {
      result = await exportThreeSpans(new Exporter({ url: `${receiver.url}/v1/traces` }));
      assert.equal(receiver.stats.unavailable, 1);
      assert.equal(receiver.stats.requests, 1);
    } finally {
      await receiver.close();
    }
    assert.equal(result, ExportResultCode.SUCCESS);
    // The failed write leaves an empty line (the sink starts the next record on a new line).
    const lines = text("otlp.jsonl").split("\n").filter((line) => line !== "");
    const records = lines.map((line) => JSON.parse(line));
    const keys = records.map((r) => `${r.kind} ${r.name ?? r.msg}`).sort();
    assert.deepEqual(keys, [
      "log step",
      "span-close child",
      "span-close grandchild",
      "span-close root",
      "span-open child",
      "span-open grandchild",
      "span-open root",
    ]);
  });
}

test("a journal that keeps failing makes the exporter report failure, never success", async () => {
  const fs = createFakeFs();
  const receiver = await receiveOtlp({
    journal: { path: "otlp.jsonl", fs, onError: () => {} },
    port: 0,
  });
  fs.fail("append", "ENOSPC");
  let result: number | undefined;
  try {
    const exporter = new JsonTraceExporter({
      url: `${receiver.url}/v1/traces`,
      timeoutMillis: 2500,
    });
    result = await exportThreeSpans(exporter);
    assert.ok(receiver.stats.unavailable >= 2, `${receiver.stats.unavailable} answers of 503`);
    assert.equal(receiver.stats.requests, 0);
  } finally {
    await receiver.close();
  }
  assert.equal(result, ExportResultCode.FAILED);
  assert.equal(fs.text("otlp.jsonl"), "");
});

test("the 503 carries Retry-After and a google.rpc.Status naming the journal's failure", async () => {
  const fs = createFakeFs();
  const receiver = await receiveOtlp({
    journal: { path: "otlp.jsonl", fs, onError: () => {} },
    port: 0,
  });
  fs.fail("append", "ENOSPC");
  try {
    const response = await fetch(`${receiver.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        resourceSpans: [{
          scopeSpans: [{
            spans: [{
              traceId: "5b8efff798038103d269b633813fc60c",
              spanId: "eee19b7ec3c1b174",
              name: "work",
              startTimeUnixNano: "1700000000000000000",
            }],
          }],
        }],
      }),
    });
    assert.equal(response.status, 503);
    assert.ok(Number(response.headers.get("retry-after")) >= 1);
    const body = await response.json();
    assert.match(body.message, /journal/);
    assert.match(body.message, /ENOSPC/);
  } finally {
    await receiver.close();
  }
});
