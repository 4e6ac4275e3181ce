// `journal-sink export`: protocol, compression, signals, open spans, the OTEL_* environment,
// and retries said on stderr.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { gunzipSync } from "node:zlib";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, type LogRecord } from "../mod.ts";
import type { CliIo } from "../cli.ts";
import { type CliRun, runCli } from "./fixtures/run_cli.ts";

interface Received {
  path: string;
  type: string | undefined;
  encoding: string | undefined;
  body: Uint8Array;
}

/** An OTLP endpoint on loopback that records requests; `answers` are statuses, then 200s. */
async function endpoint(answers: number[] = []) {
  const received: Received[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Uint8Array[] = [];
    request.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    request.on("end", () => {
      const status = answers.shift() ?? 200;
      if (status === 200) {
        received.push({
          path: request.url ?? "",
          type: request.headers["content-type"],
          encoding: request.headers["content-encoding"] as string | undefined,
          body: new Uint8Array(Buffer.concat(chunks)),
        });
      }
      const json = request.headers["content-type"] === "application/json";
      response.writeHead(status, {
        "content-type": json ? "application/json" : "application/x-protobuf",
        ...(status === 503 ? { "retry-after": "0" } : {}),
      });
      response.end(json ? "{}" : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The CLI with an empty environment, so no `OTEL_*` of the machine leaks in. */
function run(argv: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  return runCli(argv, { env: {}, ...io });
}

function journalIn(dir: string, records: LogRecord[]): string {
  const path = join(dir, "app.jsonl");
  const sink = createJournalSink({ path });
  for (const record of records) sink.emit(record);
  sink.close();
  return path;
}

const RECORDS: LogRecord[] = [
  { kind: "span-open", spanId: "a", name: "turn", timestamp: 1, extensionId: "h", turnId: "t1" },
  { kind: "log", level: "info", msg: "hi", timestamp: 2, extensionId: "h", spanId: "a" },
  {
    kind: "span-close",
    spanId: "a",
    name: "turn",
    timestamp: 3,
    durationMs: 2,
    status: "ok",
    extensionId: "h",
    turnId: "t1",
  },
  { kind: "span-open", spanId: "b", name: "tool", timestamp: 4, extensionId: "h", turnId: "t1" },
];

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "cli-export-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

describe("journal-sink export", () => {
  test("--protocol http/json --compression gzip --signals traces sends gzipped JSON traces only", async () => {
    using tmp = tempDir();
    const server = await endpoint();
    try {
      const path = journalIn(tmp.dir, RECORDS);
      const result = await run([
        "export",
        "--otlp",
        server.url,
        "--protocol",
        "http/json",
        "--compression",
        "gzip",
        "--signals",
        "traces",
        "--once",
        path,
      ]);
      assert.equal(result.code, 0, result.err);
      assert.deepEqual(server.received.map((r) => r.path), ["/v1/traces"]);
      const [request] = server.received;
      assert.equal(request.type, "application/json");
      assert.equal(request.encoding, "gzip");
      const body = JSON.parse(new TextDecoder().decode(gunzipSync(request.body)));
      const spans = body.resourceSpans[0].scopeSpans[0].spans;
      assert.deepEqual(spans.map((span: { name: string }) => span.name), ["turn"]);
    } finally {
      await server.close();
    }
  });

  test("without --otlp it takes OTEL_EXPORTER_OTLP_ENDPOINT, protobuf by default; --include-open sends the open span", async () => {
    using tmp = tempDir();
    const server = await endpoint();
    try {
      const path = journalIn(tmp.dir, RECORDS);
      const result = await run(["export", "--once", "--include-open", path], {
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: server.url },
      });
      assert.equal(result.code, 0, result.err);
      const paths = new Set(server.received.map((r) => r.path));
      assert.deepEqual([...paths].sort(), ["/v1/logs", "/v1/traces"]);
      assert.ok(server.received.every((r) => r.type === "application/x-protobuf"));
      assert.match(result.out, /2 spans \(1 open\)/);
    } finally {
      await server.close();
    }
  });

  test("each retry is one line on stderr with its cause and the next delay", async () => {
    using tmp = tempDir();
    const server = await endpoint([503]);
    try {
      const path = journalIn(tmp.dir, RECORDS);
      const result = await run([
        "export",
        "--otlp",
        server.url,
        "--signals",
        "traces",
        "--once",
        path,
      ]);
      assert.equal(result.code, 0, result.err);
      const lines = result.err.trim().split("\n");
      assert.equal(lines.length, 1, result.err);
      assert.match(
        lines[0],
        /^journal-sink: http:\/\/127\.0\.0\.1:\d+\/v1\/traces attempt 1\/8 failed: .*503.*; retrying in \d+ ms$/,
      );
      assert.match(result.out, /1 retries/);
    } finally {
      await server.close();
    }
  });

  test("a bad OTEL_* variable, a bad --protocol, --include-open without --once: exit 2", async () => {
    using tmp = tempDir();
    const path = journalIn(tmp.dir, RECORDS);
    const env = await run(["export", "--once", path], {
      env: { OTEL_EXPORTER_OTLP_COMPRESSION: "brotli" },
    });
    assert.equal(env.code, 2);
    assert.match(env.err, /OTEL_EXPORTER_OTLP_COMPRESSION=brotli: expected gzip or none/);
    assert.match(env.err, /Usage: journal-sink export/);
    const protocol = await run(["export", "--protocol", "grpc", "--once", path]);
    assert.equal(protocol.code, 2);
    assert.match(protocol.err, /--protocol takes http\/protobuf or http\/json, not grpc/);
    const signals = await run(["export", "--signals", "metrics", "--once", path]);
    assert.equal(signals.code, 2);
    const open = await run(["export", "--include-open", path]);
    assert.equal(open.code, 2);
    assert.match(open.err, /--include-open goes with --once/);
  });
});
