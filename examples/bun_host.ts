/**
 * A Bun host on `Bun.serve` that records each request as a span, with a log entry inside it.
 *
 * Run: `bun examples/bun_host.ts` (answers three requests of its own, prints the journal,
 * exits) or `bun examples/bun_host.ts --serve` to keep serving on port 8788.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";

interface BunServer {
  port: number;
  stop(): void;
}
declare const Bun: {
  serve(options: { port: number; hostname: string; fetch(request: Request): Response }): BunServer;
};

const serve = process.argv.includes("--serve");
const path = join(mkdtempSync(join(tmpdir(), "bun-host-")), "host.jsonl");
const sink = createJournalSink({ path, fsync: "periodic" });

const server = Bun.serve({
  port: serve ? 8788 : 0,
  hostname: "127.0.0.1",
  fetch(request) {
    const url = new URL(request.url);
    const spanId = crypto.randomUUID();
    const start = Date.now();
    const scope = {
      extensionId: "bun-host",
      turnId: request.headers.get("x-turn-id") ?? undefined,
    };
    sink.emit({
      kind: "span-open",
      spanId,
      name: "http.request",
      timestamp: start,
      ...scope,
      attributes: { method: request.method, url: url.pathname },
    });
    const status = url.pathname === "/fail" ? 500 : 200;
    sink.emit({
      kind: "log",
      level: status === 200 ? "info" : "error",
      msg: `answering ${status}`,
      timestamp: Date.now(),
      spanId,
      ...scope,
    });
    const end = Date.now();
    sink.emit({
      kind: "span-close",
      spanId,
      name: "http.request",
      timestamp: end,
      durationMs: end - start,
      status: status === 200 ? "ok" : "error",
      ...scope,
      attributes: { status },
    });
    return new Response(`${status}\n`, { status });
  },
});

console.log(`journal: ${path}\nlistening on http://127.0.0.1:${server.port}`);
if (!serve) {
  for (const url of ["/", "/hello", "/fail"]) {
    await fetch(`http://127.0.0.1:${server.port}${url}`, { headers: { "x-turn-id": "t1" } });
  }
  server.stop();
  sink.close();
  for (const line of readFileSync(path, "utf8").trimEnd().split("\n")) {
    const record = JSON.parse(line);
    const what = record.kind === "log"
      ? record.msg
      : `${record.name} ${record.attributes?.url ?? record.status}`;
    console.log(`${record.kind.padEnd(10)} ${what}`);
  }
}
