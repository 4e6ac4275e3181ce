/**
 * A Node.js HTTP host that records each request as a span, with a log entry inside it.
 *
 * Run: `node examples/node_host.ts` (answers three requests of its own, prints the
 * journal's trace tree, exits) or `node examples/node_host.ts --serve` to keep serving on
 * port 8787.
 */
import { createServer } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, createLogger, readJournal, reconstructTraces } from "../mod.ts";

const serve = process.argv.includes("--serve");
const path = join(mkdtempSync(join(tmpdir(), "node-host-")), "host.jsonl");
const sink = createJournalSink({ path, fsync: "periodic" });
const log = createLogger({ sink, extensionId: "node-host" });

const server = createServer((request, response) => {
  const turnId = request.headers["x-turn-id"]?.toString();
  const scoped = turnId ? log.child({ turnId }) : log;
  scoped.withSpan("http.request", (span) => {
    const status = request.url === "/fail" ? 500 : 200;
    if (status === 200) span.info(`answering ${status}`, { url: request.url });
    else span.error(`answering ${status}`, { url: request.url });
    response.writeHead(status, { "content-type": "text/plain" }).end(`${status}\n`);
    span.end(status === 200 ? "ok" : "error", { status });
  }, { method: request.method, url: request.url });
});

server.listen(serve ? 8787 : 0, "127.0.0.1", async () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  console.log(`journal: ${path}\nlistening on http://127.0.0.1:${port}`);
  if (serve) return;
  for (const url of ["/", "/hello", "/fail"]) {
    await fetch(`http://127.0.0.1:${port}${url}`, { headers: { "x-turn-id": "t1" } });
  }
  server.close();
  sink.close();
  const forest = await reconstructTraces(readJournal(path));
  for (const span of forest.roots) {
    console.log(`${span.name} ${span.attributes.url} [${span.status}] ${span.logs[0]?.msg}`);
  }
});
