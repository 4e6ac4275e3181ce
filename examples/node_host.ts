/**
 * A Node.js HTTP host that records each request as a span, with a log entry inside it.
 *
 * Run: `node examples/node_host.ts` (answers three requests of its own, prints the
 * journal, exits) or `node examples/node_host.ts --serve` to keep serving on port 8787.
 */
import { createServer } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { createJournalSink } from "../mod.ts";

const serve = process.argv.includes("--serve");
const path = join(mkdtempSync(join(tmpdir(), "node-host-")), "host.jsonl");
const sink = createJournalSink({ path, fsync: "periodic" });

const server = createServer((request, response) => {
  const spanId = randomUUID();
  const start = Date.now();
  const scope = { extensionId: "node-host", turnId: request.headers["x-turn-id"]?.toString() };
  sink.emit({
    kind: "span-open",
    spanId,
    name: "http.request",
    timestamp: start,
    ...scope,
    attributes: { method: request.method, url: request.url },
  });
  const status = request.url === "/fail" ? 500 : 200;
  sink.emit({
    kind: "log",
    level: status === 200 ? "info" : "error",
    msg: `answering ${status}`,
    timestamp: Date.now(),
    spanId,
    ...scope,
  });
  response.writeHead(status, { "content-type": "text/plain" }).end(`${status}\n`);
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
  const { readFileSync } = await import("node:fs");
  for (const line of readFileSync(path, "utf8").trimEnd().split("\n")) {
    const record = JSON.parse(line);
    const what = record.kind === "log"
      ? record.msg
      : `${record.name} ${record.attributes?.url ?? record.status}`;
    console.log(`${record.kind.padEnd(10)} ${what}`);
  }
});
