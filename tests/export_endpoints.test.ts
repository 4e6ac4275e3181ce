// `export` keeps one read position per endpoint: a journal exported to one backend is still
// exported whole to another, an old state file keeps working for the endpoint that wrote it,
// and a run that sends nothing says why on stderr.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";
import { runCli } from "./fixtures/run_cli.ts";

const RECORDS: LogRecord[] = [
  { kind: "span-open", spanId: "a", name: "turn", timestamp: 1, extensionId: "h", turnId: "t1" },
  { kind: "log", level: "info", msg: "hi", timestamp: 2, extensionId: "h", turnId: "t1" },
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

/** A loopback OTLP receiver (the project's own) that keeps what it receives in memory. */
async function receiver() {
  const records: LogRecord[] = [];
  const server = await receiveOtlp({ sink: { emit: (r) => void records.push(r) }, port: 0 });
  return { url: server.url, records, close: () => server.close() };
}

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "export-endpoints-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

function journalIn(dir: string): string {
  const path = join(dir, "app.jsonl");
  const sink = createJournalSink({ path });
  for (const record of RECORDS) sink.emit(record);
  sink.close();
  return path;
}

const run = (argv: string[]) => runCli(["export", ...argv], { env: {} });

test("a journal exported to one endpoint is exported whole to a second one", async () => {
  using tmp = tempDir();
  const path = journalIn(tmp.dir);
  const a = await receiver();
  const b = await receiver();
  try {
    const first = await run(["--once", "--otlp", a.url, path]);
    assert.equal(first.code, 0, first.err);
    assert.equal(a.records.length, 3); // the log, and the closed span as an open and a close
    const second = await run(["--once", "--otlp", b.url, path]);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /exported 4 records: 1 log records, 1 spans/);
    assert.deepEqual(b.records, a.records);
    // Each endpoint resumes at its own position: nothing new for either.
    const again = await run(["--once", "--otlp", a.url, path]);
    assert.equal(again.code, 0, again.err);
    assert.equal(a.records.length, 3);
  } finally {
    await a.close();
    await b.close();
  }
});

test("a run that sends nothing says why on stderr", async () => {
  using tmp = tempDir();
  const path = journalIn(tmp.dir);
  const a = await receiver();
  try {
    await run(["--once", "--otlp", a.url, path]);
    const again = await run(["--once", "--otlp", a.url, path]);
    assert.equal(again.code, 0);
    assert.match(
      again.err,
      new RegExp(
        `^journal-sink: nothing sent: .*app\\.jsonl was already exported to ${a.url} up to its end ` +
          `\\(position in .*app\\.jsonl\\.otlp-position\\.json\\)`,
      ),
    );
    // Only spans still open: nothing to send without --include-open, and it says so.
    const open = join(tmp.dir, "open.jsonl");
    const sink = createJournalSink({ path: open });
    sink.emit(RECORDS[3]);
    sink.close();
    const pending = await run(["--once", "--otlp", a.url, open]);
    assert.equal(pending.code, 0);
    assert.match(pending.err, /nothing sent: 1 span still open \(--include-open sends it\)/);
    // A run that did send something is silent on stderr.
    writeFileSync(open, JSON.stringify(RECORDS[1]) + "\n", { flag: "a" });
    const more = await run(["--once", "--otlp", a.url, open]);
    assert.equal(more.err, "");
  } finally {
    await a.close();
  }
});

test("a state file of the old shape keeps its position for the endpoint that first uses it", async () => {
  using tmp = tempDir();
  const path = journalIn(tmp.dir);
  const bytes = readFileSync(path);
  const head = [...bytes.subarray(0, 1024)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const state = `${path}.otlp-position.json`;
  writeFileSync(
    state,
    JSON.stringify({
      version: 1,
      journal: path,
      positions: [{
        key: "k1",
        head,
        offset: statSync(path).size,
        complete: false,
        path,
        seenMs: Date.now(),
      }],
    }) + "\n",
  );
  const a = await receiver();
  const b = await receiver();
  try {
    const old = await run(["--once", "--otlp", a.url, path]);
    assert.equal(old.code, 0, old.err);
    assert.equal(a.records.length, 0); // the old position holds: nothing sent twice
    assert.match(old.err, /already exported to/);
    const other = await run(["--once", "--otlp", b.url, path]);
    assert.equal(other.code, 0, other.err);
    assert.equal(b.records.length, 3);
    const saved = JSON.parse(readFileSync(state, "utf8"));
    assert.equal(saved.version, 2);
    assert.equal(Object.keys(saved.endpoints).length, 2);
  } finally {
    await a.close();
    await b.close();
  }
});

test("an export run a week after the last sends only what is new", async () => {
  using tmp = tempDir();
  const path = journalIn(tmp.dir);
  const state = `${path}.otlp-position.json`;
  const a = await receiver();
  try {
    assert.equal((await run(["--once", "--otlp", a.url, path])).code, 0);
    assert.equal(a.records.length, 3);
    // A week passes: the saved positions were last seen long ago.
    const weekAgo = Date.now() - 7 * 24 * 60 * 60 * 1000;
    const saved = readFileSync(state, "utf8").replace(/"seenMs":\d+/g, `"seenMs":${weekAgo}`);
    writeFileSync(state, saved);
    const again = await run(["--once", "--otlp", a.url, path]);
    assert.equal(again.code, 0, again.err);
    assert.equal(a.records.length, 3, "nothing sent twice");
    assert.match(again.err, /already exported to/);
  } finally {
    await a.close();
  }
});
