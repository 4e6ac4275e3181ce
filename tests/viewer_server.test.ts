// The viewer's server: its JSON API over a followed journal and over a SQLite store, and
// the safety rules (loopback bind, Host check, nothing outside its assets, read-only).
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";
import { TURN_LOG_TIMES_SQL, turnDetailSql, turnPageSql } from "../src/viewer/store_source.ts";
import { HOSTILE, lateTurn, viewerRecords } from "./fixtures/viewer_journal.ts";

interface Summary {
  turnId: string;
  conversationId?: string;
  status: string;
  spans: number;
  errors: number;
  open: number;
  inputTokens: number;
  outputTokens: number;
  name: string;
  extensions: string[];
}
interface Row {
  depth: number;
  spanId: string;
  name: string;
  status: string;
  traceId?: string;
  logs: { msg: string }[];
  body?: unknown;
  attributes: Record<string, unknown>;
}

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "viewer-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

function writeJournal(path: string, records: LogRecord[], maxBytes?: number): void {
  const sink = createJournalSink({ path, maxBytes, maxFiles: 10, fsync: "none" });
  for (const record of records) sink.emit(record);
  sink.close();
}

function line(record: LogRecord): string {
  return JSON.stringify(record) + "\n";
}

async function getJson<T>(viewer: ViewerServer, path: string): Promise<T> {
  const response = await fetch(viewer.url + path);
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return await response.json() as T;
}

async function turns(viewer: ViewerServer, query = ""): Promise<Summary[]> {
  return (await getJson<{ turns: Summary[] }>(viewer, `/api/turns${query}`)).turns;
}

async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  let value = await probe();
  for (let i = 0; i < 100 && !ok(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await probe();
  }
  return value;
}

/** Serves a journal and waits until its first records are indexed. */
async function serveJournal(path: string, extra: Parameters<typeof serve>[0] = {}) {
  const viewer = await serve({ journal: path, port: 0, pollMs: 50, ...extra });
  await eventually(() => turns(viewer), (list) => list.length > 0);
  return viewer;
}

/** One HTTP/1.1 exchange on a raw socket: the request line and headers exactly as given. */
function raw(port: number, head: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (text += chunk));
    socket.on("error", reject);
    socket.on("end", () => resolve({ status: Number(text.split(" ")[1]), text }));
    socket.on("connect", () => socket.write(`${head}\r\nConnection: close\r\n\r\n`));
  });
}

const NOW = Date.now();

test("the list shows each turn newest first with its status, span and error counts and token totals", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeJournal(path, viewerRecords(NOW));
  await using viewer = await serveJournal(path);
  const list = await eventually(() => turns(viewer), (list) => list.length === 4);
  assert.deepEqual(list.map((turn) => turn.turnId), ["t-open", "t-hostile", "t-fail", "t-ok"]);
  const byId = new Map(list.map((turn) => [turn.turnId, turn]));
  assert.deepEqual(
    [byId.get("t-ok"), byId.get("t-fail"), byId.get("t-open")].map((t) => [
      t!.status,
      t!.spans,
      t!.errors,
      t!.open,
      t!.inputTokens,
      t!.outputTokens,
    ]),
    // t-ok: the close's input tokens replace the open's; t-open: open on one record, output on the other.
    [["ok", 2, 0, 0, 1200, 340], ["error", 3, 2, 0, 800, 60], ["open", 3, 0, 2, 50, 7]],
  );
  assert.equal(byId.get("t-open")!.conversationId, "c2");
  assert.deepEqual(byId.get("t-open")!.extensions, ["tools"]);
  assert.equal(byId.get("t-hostile")!.name, HOSTILE.name);
});

test("the list filters by conversation, extension, status and text, and pages", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeJournal(path, viewerRecords(NOW));
  await using viewer = await serveJournal(path);
  await eventually(() => turns(viewer), (list) => list.length === 4);
  const ids = async (query: string) => (await turns(viewer, query)).map((turn) => turn.turnId);
  assert.deepEqual(await ids("?conversation=c1"), ["t-fail", "t-ok"]);
  assert.deepEqual(await ids("?extension=tools"), ["t-open"]);
  assert.deepEqual(await ids("?status=error"), ["t-fail"]);
  assert.deepEqual(await ids("?status=open"), ["t-open"]);
  assert.deepEqual(await ids("?q=WEATHER"), ["t-fail"]);
  assert.deepEqual(await ids(`?q=${encodeURIComponent("pwn-c")}`), ["t-hostile"]);
  const page = await getJson<{ turns: Summary[]; more: boolean }>(
    viewer,
    "/api/turns?limit=2&offset=1",
  );
  assert.deepEqual([page.turns.map((turn) => turn.turnId), page.more], [
    ["t-hostile", "t-fail"],
    true,
  ]);
  const last = await getJson<{ more: boolean }>(viewer, "/api/turns?limit=2&offset=2");
  assert.equal(last.more, false);
});

test("a turn comes back as waterfall rows in tree order, with logs, bodies and open spans", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeJournal(path, viewerRecords(NOW));
  await using viewer = await serveJournal(path);
  await eventually(() => turns(viewer), (list) => list.length === 4);
  const failed = await getJson<{ spans: Row[] }>(viewer, "/api/turn?id=t-fail");
  assert.deepEqual(
    failed.spans.map((
      span,
    ) => [span.depth, span.name, span.status, span.logs.map((log) => log.msg)]),
    [
      [0, "turn", "error", []],
      [1, "chat m-large", "ok", ["streaming started"]],
      [1, "tool weather", "error", ["upstream returned 503"]],
    ],
  );
  assert.deepEqual((failed.spans[1].body as { tools: string[] }).tools, ["weather"]);
  assert.equal(failed.spans[2].attributes["error.message"], "weather API: 503 Service Unavailable");
  const open = await getJson<{ spans: Row[] }>(viewer, "/api/turn?id=t-open");
  assert.deepEqual(open.spans.map((span) => span.status), ["open", "ok", "open"]);
  assert.equal((await fetch(viewer.url + "/api/turn?id=nope")).status, 404);
  assert.equal((await fetch(viewer.url + "/api/turn")).status, 400);
});

test("records with a trace id open as a trace, and rows carry it", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  const traceId = "0af7651916cd43dd8448eb211c80319c";
  const records = viewerRecords(NOW).map((record) =>
    record.turnId === "t-fail" ? { ...record, traceId } as unknown as LogRecord : record
  );
  writeJournal(path, records);
  await using viewer = await serveJournal(path);
  await eventually(() => turns(viewer), (list) => list.length === 4);
  const trace = await getJson<{ spans: Row[] }>(viewer, `/api/trace?id=${traceId}`);
  assert.deepEqual(trace.spans.map((span) => [span.spanId, span.traceId]), [
    ["f-root", traceId],
    ["f-llm", traceId],
    ["f-tool", traceId],
  ]);
});

test("records appended after start, even across a rotation, reach the list and change the version", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  const sink = createJournalSink({ path, maxBytes: 2048, maxFiles: 20, fsync: "none" });
  for (const record of viewerRecords(NOW)) sink.emit(record);
  sink.flush();
  await using viewer = await serveJournal(path);
  await eventually(() => turns(viewer), (list) => list.length === 4);
  const before = await getJson<{ version: string }>(viewer, "/api/version");
  const rotations = sink.stats.rotations;
  for (let i = 0; i < 30; i++) {
    for (const record of lateTurn(NOW + i)) sink.emit({ ...record, turnId: `t-late-${i}` });
  }
  sink.close();
  assert.ok(sink.stats.rotations > rotations, "the appends rotated the journal");
  const list = await eventually(() => turns(viewer, "?limit=500"), (list) => list.length === 34);
  assert.equal(list.length, 34);
  assert.equal(list[0].turnId, "t-late-29");
  const after = await getJson<{ version: string }>(viewer, "/api/version");
  assert.notEqual(after.version, before.version);
});

test("with its memory bounds reached, the server still draws an evicted turn from the journal", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeJournal(path, viewerRecords(NOW));
  await using viewer = await serveJournal(path, { maxRecords: 3, maxTurns: 3 });
  const list = await eventually(() => turns(viewer), (list) => list.length === 3);
  assert.deepEqual(list.map((turn) => turn.turnId), ["t-open", "t-hostile", "t-fail"]);
  const failed = await getJson<{ spans: Row[] }>(viewer, "/api/turn?id=t-fail");
  assert.equal(failed.spans.length, 3);
  const dropped = await getJson<{ spans: Row[] }>(viewer, "/api/turn?id=t-ok");
  assert.equal(
    dropped.spans.length,
    2,
    "a turn dropped from the list is still found in the journal",
  );
  // The dropped turn writes again: its view must still hold its earlier spans.
  appendFileSync(
    path,
    line({
      kind: "log",
      level: "info",
      msg: "late log",
      timestamp: NOW,
      extensionId: "host",
      conversationId: "c1",
      turnId: "t-ok",
      spanId: "ok-llm",
    }),
  );
  await eventually(() => turns(viewer), (list) => list.some((turn) => turn.turnId === "t-ok"));
  const back = await getJson<{ spans: Row[] }>(viewer, "/api/turn?id=t-ok");
  assert.deepEqual(back.spans.map((span) => [span.spanId, span.logs.length]), [["ok-root", 0], [
    "ok-llm",
    1,
  ]]);
});

test("at its turn bound the server drops the least recently active turn, however its records are spread", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  const open = (turnId: string, at: number): LogRecord => ({
    kind: "span-open",
    spanId: `${turnId}${at}`,
    name: "step",
    timestamp: NOW + at,
    extensionId: "host",
    turnId,
  });
  // "a" writes twice in a row, then "b", then "a" twice more: when "c" arrives, "b" is the
  // least recently active turn although "a" started first.
  writeJournal(path, [
    open("a", 0),
    open("a", 1),
    open("b", 2),
    open("a", 3),
    open("a", 4),
    open("c", 5),
  ]);
  await using viewer = await serveJournal(path, { maxTurns: 2 });
  const list = await eventually(() => turns(viewer), (list) => list.some((t) => t.turnId === "c"));
  assert.deepEqual(list.map((turn) => [turn.turnId, turn.spans]), [["c", 1], ["a", 4]]);
  const a = await getJson<{ spans: Row[] }>(viewer, "/api/turn?id=a");
  assert.deepEqual(a.spans.map((span) => span.spanId), ["a0", "a1", "a3", "a4"]);
});

test("over a SQLite store the same list and turns are served, and the store is never written", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  const db = join(tmp.dir, "traces.db");
  writeJournal(path, viewerRecords(NOW));
  await collectJournal(path, { db, once: true });
  const bytes = readFileSync(db);
  const wal = statSync(`${db}-wal`, { throwIfNoEntry: false })?.size;
  await using viewer = await serve({ db, port: 0 });
  const list = await turns(viewer);
  assert.deepEqual(
    list.map((t) => [t.turnId, t.status, t.spans, t.errors, t.open, t.inputTokens, t.outputTokens]),
    [
      ["t-open", "open", 3, 0, 2, 50, 7],
      ["t-hostile", "ok", 1, 0, 0, 0, 0],
      ["t-fail", "error", 3, 2, 0, 800, 60],
      ["t-ok", "ok", 2, 0, 0, 1200, 340],
    ],
  );
  assert.deepEqual((await turns(viewer, "?conversation=c1&status=ok")).map((t) => t.turnId), [
    "t-ok",
  ]);
  assert.deepEqual((await turns(viewer, "?q=weather")).map((t) => t.turnId), ["t-fail"]);
  assert.deepEqual((await turns(viewer, "?extension=tools")).map((t) => t.turnId), ["t-open"]);
  assert.deepEqual(
    (await turns(viewer, "?q=%25")).map((t) => t.turnId),
    [],
    "LIKE wildcards are literal",
  );
  const page = await getJson<{ turns: Summary[]; more: boolean }>(
    viewer,
    "/api/turns?limit=2&offset=1",
  );
  assert.deepEqual([page.turns.map((turn) => turn.turnId), page.more], [
    ["t-hostile", "t-fail"],
    true,
  ]);
  const failed = await getJson<{ spans: Row[] }>(viewer, "/api/turn?id=t-fail");
  assert.deepEqual(
    failed.spans.map((span) => [span.depth, span.name, span.status, span.logs.length]),
    [[0, "turn", "error", 0], [1, "chat m-large", "ok", 1], [1, "tool weather", "error", 1]],
  );
  assert.match(failed.spans[0].traceId ?? "", /^[0-9a-f]{32}$/);
  const trace = await getJson<{ spans: Row[] }>(viewer, `/api/trace?id=${failed.spans[0].traceId}`);
  assert.equal(trace.spans.length, 3);
  await viewer.close();
  assert.deepEqual(readFileSync(db), bytes, "the store file is unchanged");
  // SQLite may create the WAL's companion files to read a WAL store; they hold no new pages.
  assert.equal(
    statSync(`${db}-wal`, { throwIfNoEntry: false })?.size ?? 0,
    wal ?? 0,
    "nor its WAL",
  );
});

test("over a store that collect keeps filling, new turns appear and the version changes", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  const db = join(tmp.dir, "traces.db");
  writeJournal(path, viewerRecords(NOW));
  await collectJournal(path, { db, once: true });
  await using viewer = await serve({ db, port: 0 });
  const before = await getJson<{ version: string }>(viewer, "/api/version");
  appendFileSync(path, lateTurn(NOW + 1).map(line).join(""));
  await collectJournal(path, { db, once: true });
  const after = await getJson<{ version: string }>(viewer, "/api/version");
  assert.notEqual(after.version, before.version);
  assert.equal((await turns(viewer))[0].turnId, "t-late");
});

test("a missing store is an error, not a new empty file", async () => {
  using tmp = tempDir();
  const db = join(tmp.dir, "missing.db");
  await assert.rejects(serve({ db, port: 0 }), /no trace store/);
  assert.equal(statSync(db, { throwIfNoEntry: false }), undefined);
});

test("a missing journal is an error when serve starts", async () => {
  using tmp = tempDir();
  await assert.rejects(
    serve({ journal: join(tmp.dir, "missing.jsonl"), port: 0 }),
    (error: Error & { code?: string }) => error.code === "ENOENT",
  );
});

test("serve takes exactly one of a journal and a store", async () => {
  await assert.rejects(serve({ port: 0 }), TypeError);
  await assert.rejects(serve({ port: 0, db: "a.db", journal: "a.jsonl" }), TypeError);
});

test("it binds 127.0.0.1 by default, reports its URL once listening, and is unreachable on other addresses", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeJournal(path, viewerRecords(NOW));
  const heard: string[] = [];
  await using viewer = await serve({ journal: path, port: 0, onListen: (url) => heard.push(url) });
  assert.match(viewer.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(heard, [viewer.url]);
  assert.equal(viewer.url, `http://127.0.0.1:${viewer.port}`);
  const external = Object.values(networkInterfaces()).flat()
    .find((net) => net && !net.internal && net.family === "IPv4");
  if (external) {
    const reached = await new Promise<boolean>((resolve) => {
      const socket = connect(viewer.port, external.address);
      socket.on("connect", () => (socket.destroy(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    assert.equal(reached, false, `port ${viewer.port} must not listen on ${external.address}`);
  }
});

test("a request with a foreign or missing Host header gets 421 (DNS rebinding)", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeJournal(path, viewerRecords(NOW));
  await using viewer = await serveJournal(path, { allowedHosts: ["viewer.test"] });
  const port = viewer.port;
  const status = async (host: string | undefined, target = "/api/turns") =>
    (await raw(port, `GET ${target} HTTP/1.1${host === undefined ? "" : `\r\nHost: ${host}`}`))
      .status;
  assert.equal(await status(`127.0.0.1:${port}`), 200);
  assert.equal(await status(`localhost:${port}`), 200);
  assert.equal(await status(`LOCALHOST:${port}`), 200);
  assert.equal(await status(`viewer.test:${port}`), 200);
  assert.equal(await status(`evil.example:${port}`), 421);
  assert.equal(await status("evil.example"), 421);
  assert.equal(await status(`127.0.0.1:${port + 1}`), 421);
  assert.equal(await status(`127.0.0.1.evil.example:${port}`), 421);
  assert.equal(await status(`evil.example:${port}`, "/"), 421);
  assert.notEqual(await status(undefined), 200);
});

test("no path reaches the file system: traversal, encoded traversal and source paths get 404", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeJournal(path, viewerRecords(NOW));
  await using viewer = await serveJournal(path);
  const host = `Host: 127.0.0.1:${viewer.port}`;
  for (
    const target of [
      "/../../etc/passwd",
      "/../../../../../../etc/passwd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
      "/..%2f..%2fetc%2fpasswd",
      "/..%5c..%5cetc%5cpasswd",
      "/%252e%252e/etc/passwd",
      "//etc/passwd",
      "/viewer.js/../../../etc/passwd",
      "/etc/passwd",
      "/package.json",
      "/src/viewer/serve.ts",
      "/" + path,
      "/api/../../etc/passwd",
    ]
  ) {
    const answer = await raw(viewer.port, `GET ${target} HTTP/1.1\r\n${host}`);
    assert.ok(answer.status === 404 || answer.status === 400, `${target}: ${answer.status}`);
    assert.doesNotMatch(answer.text, /root:|"devDependencies"|import /, target);
  }
  const absolute = await raw(
    viewer.port,
    `GET http://127.0.0.1:${viewer.port}/../etc/passwd HTTP/1.1\r\n${host}`,
  );
  assert.ok(
    absolute.status === 400 || absolute.status === 404,
    `absolute form: ${absolute.status}`,
  );
  assert.doesNotMatch(absolute.text, /root:/);
});

test("it is read-only: every method but GET and HEAD gets 405, and the journal is unchanged", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeJournal(path, viewerRecords(NOW));
  const bytes = readFileSync(path);
  await using viewer = await serveJournal(path);
  for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
    const response = await fetch(viewer.url + "/api/turns", {
      method,
      body: method === "POST" || method === "PUT" ? "{}" : undefined,
    });
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
    await response.body?.cancel();
  }
  const head = await fetch(viewer.url + "/", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
  assert.deepEqual(readFileSync(path), bytes);
});

test("the page, script and stylesheet come with a CSP that allows only the server's own script", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeJournal(path, viewerRecords(NOW));
  await using viewer = await serveJournal(path);
  for (
    const [asset, type] of [["/", "text/html"], ["/viewer.js", "text/javascript"], [
      "/viewer.css",
      "text/css",
    ]]
  ) {
    const response = await fetch(viewer.url + asset);
    assert.equal(response.status, 200, asset);
    assert.match(response.headers.get("content-type") ?? "", new RegExp(`^${type}`));
    assert.match(
      response.headers.get("content-security-policy") ?? "",
      /default-src 'none'; script-src 'self'/,
    );
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    const text = await response.text();
    if (asset === "/") {
      assert.doesNotMatch(text, /<script>|style=|\son\w+=/, "no inline script, style or handler");
    }
    if (asset === "/viewer.js") {
      new Function(text); // parses
      assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
  }
});

/** Status and ETag of one `/api/turn` request, conditional when `tag` is given. */
async function turnTag(viewer: ViewerServer, id: string, tag?: string) {
  const response = await fetch(`${viewer.url}/api/turn?id=${id}`, {
    headers: tag === undefined ? {} : { "if-none-match": tag },
  });
  await response.arrayBuffer();
  return { status: response.status, tag: response.headers.get("etag") ?? "" };
}

test("an unchanged turn is answered 304 while other turns change, a changed one 200 with a new tag", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  const sink = createJournalSink({ path, fsync: "none" });
  for (const record of viewerRecords(NOW)) sink.emit(record);
  sink.flush();
  await using viewer = await serveJournal(path);
  await eventually(() => turns(viewer), (list) => list.length === 4);
  const first = await turnTag(viewer, "t-fail");
  assert.equal(first.status, 200);
  assert.match(first.tag, /^"v\d+"$/);
  const before = await getJson<{ version: string }>(viewer, "/api/version");
  const own = () => getJson<{ version: string }>(viewer, "/api/version?turn=t-fail");
  const ownBefore = await own();
  for (const record of lateTurn(NOW + 1)) sink.emit(record);
  sink.flush();
  await eventually(() => turns(viewer), (list) => list.length === 5);
  const after = await getJson<{ version: string }>(viewer, "/api/version");
  assert.notEqual(after.version, before.version, "the journal as a whole changed");
  assert.equal((await own()).version, ownBefore.version, "t-fail did not");
  assert.deepEqual(await turnTag(viewer, "t-fail", first.tag), { status: 304, tag: first.tag });
  sink.emit({
    kind: "log",
    level: "info",
    msg: "late word",
    timestamp: NOW + 2,
    spanId: "f-root",
    extensionId: "host",
    conversationId: "c1",
    turnId: "t-fail",
  });
  sink.close();
  const changed = await eventually(
    () => turnTag(viewer, "t-fail", first.tag),
    (answer) => answer.status === 200,
  );
  assert.equal(changed.status, 200);
  assert.notEqual(changed.tag, first.tag);
  assert.notEqual((await own()).version, ownBefore.version);
  assert.equal((await turnTag(viewer, "t-fail", changed.tag)).status, 304);
});

test("over a store, a turn's tag follows its content: 304 when it did not change", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  const db = join(tmp.dir, "traces.db");
  writeJournal(path, viewerRecords(NOW));
  await collectJournal(path, { db, once: true });
  await using viewer = await serve({ db, port: 0 });
  const first = await turnTag(viewer, "t-fail");
  assert.equal(first.status, 200);
  appendFileSync(path, lateTurn(NOW + 1).map(line).join(""));
  await collectJournal(path, { db, once: true });
  assert.deepEqual(await turnTag(viewer, "t-fail", first.tag), { status: 304, tag: first.tag });
  assert.equal((await turnTag(viewer, "t-fail", '"v0"')).status, 200, "a stale tag gets the turn");
});

test("over a store, the list's queries search by index and never scan every span or log", async () => {
  // A store of a million records lists at once only if no query walks the spans or logs
  // tables: a scan there (say, filtering on the turn id text, which has no index) took the
  // first list from 0.1 s to 6.5 s on the bench's 1M-record store.
  const store = await openTraceStore(":memory:");
  const queries = [
    turnDetailSql(),
    TURN_LOG_TIMES_SQL,
    turnPageSql({ limit: 100, offset: 0 }),
    turnPageSql({ limit: 100, offset: 0, conversation: "c", extension: "x", status: "error" }),
    turnPageSql({ limit: 100, offset: 0, status: "ok", text: "weather" }),
    turnPageSql({ limit: 100, offset: 0, status: "open" }),
  ];
  try {
    for (const sql of queries) {
      const params = (sql.match(/\?/g) ?? []).map(() => "[]");
      const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params)
        .map((row) => String(row.detail));
      // The partial indexes of open and failed spans hold only those: reading one whole is
      // not a scan of every span.
      const scans = plan.filter((step) =>
        /^SCAN (s|f|spans|logs)\b/.test(step) &&
        !/USING INDEX (spans_open_by_span_id|spans_failed)$/.test(step)
      );
      assert.deepEqual(scans, [], `${sql}\n${plan.join("\n")}`);
      assert.ok(plan.some((step) => /^SEARCH/.test(step)), plan.join("\n"));
    }
  } finally {
    store.close();
  }
});
