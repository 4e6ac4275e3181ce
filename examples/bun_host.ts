/**
 * A Bun host on `Bun.serve` that records each request as a span, with a log entry inside it.
 *
 * Run: `bun examples/bun_host.ts` (answers three requests of its own, prints the journal's
 * trace tree, exits) or `bun examples/bun_host.ts --serve` to keep serving on port 8788.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, createLogger, readJournal, reconstructTraces } from "../mod.ts";

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
const log = createLogger({ sink, extensionId: "bun-host" });

const server = Bun.serve({
  port: serve ? 8788 : 0,
  hostname: "127.0.0.1",
  fetch(request) {
    const url = new URL(request.url).pathname;
    const turnId = request.headers.get("x-turn-id");
    const scoped = turnId ? log.child({ turnId }) : log;
    return scoped.withSpan("http.request", (span) => {
      const status = url === "/fail" ? 500 : 200;
      if (status === 200) span.info(`answering ${status}`, { url });
      else span.error(`answering ${status}`, { url });
      span.end(status === 200 ? "ok" : "error", { status });
      return new Response(`${status}\n`, { status });
    }, { method: request.method, url });
  },
});

console.log(`journal: ${path}\nlistening on http://127.0.0.1:${server.port}`);
if (!serve) {
  for (const url of ["/", "/hello", "/fail"]) {
    await fetch(`http://127.0.0.1:${server.port}${url}`, { headers: { "x-turn-id": "t1" } });
  }
  server.stop();
  sink.close();
  const forest = await reconstructTraces(readJournal(path));
  for (const span of forest.roots) {
    console.log(`${span.name} ${span.attributes.url} [${span.status}] ${span.logs[0]?.msg}`);
  }
}
