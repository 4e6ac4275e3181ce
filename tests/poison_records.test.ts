// Records that no reader can stop on (issue 20, items 6, 7, 13): a record with an optional
// field of the wrong type is refused at `emit`; one already in a journal (written before,
// or by another writer) reads with that field left out and counted, and one with odd
// required fields reads as written. None of them makes the reader, the follower, the trace
// builder, the collector and its queries, or the viewer throw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createJournalSink,
  createLogger,
  type JournalRecord,
  type LogRecord,
  readJournal,
  reconstructTraces,
} from "../mod.ts";
import {
  collectJournal,
  openTraceStore,
  queryOpenSpans,
  queryTurn,
  queryUsage,
  serve,
  type ViewerServer,
} from "../collector.ts";
import {
  POISON_CONVERSATION,
  POISON_TURN,
  type PoisonRecord,
  poisonRecords,
  requiredFieldJunk,
} from "./fixtures/poison_records.ts";

const NOW = 1_750_000_000_000;

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "poison-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Raw lines, as an older version or another writer left them: no emit in between. */
function writeLines(path: string, records: readonly unknown[]): void {
  writeFileSync(path, records.map((record) => JSON.stringify(record) + "\n").join(""));
}

/** A valid turn: a root span with usage, a child, logs inside and outside the spans. */
function validTurn(turnId: string, time: number): LogRecord[] {
  const scope = { extensionId: "valid", conversationId: "c-valid", turnId };
  const root = `${turnId}-root`;
  const child = `${turnId}-child`;
  return [
    { kind: "log", level: "info", msg: `${turnId} starts`, timestamp: time, ...scope },
    { kind: "span-open", spanId: root, name: "turn", timestamp: time + 1, ...scope },
    {
      kind: "span-open",
      spanId: child,
      parentSpanId: root,
      name: "chat",
      timestamp: time + 2,
      ...scope,
      attributes: { "gen_ai.request.model": "m1" },
      links: [{ spanId: root, reason: "retry-of" }],
    },
    {
      kind: "log",
      level: "info",
      msg: `${turnId} inside`,
      spanId: child,
      timestamp: time + 3,
      ...scope,
    },
    {
      kind: "span-close",
      spanId: child,
      parentSpanId: root,
      name: "chat",
      timestamp: time + 4,
      durationMs: 2,
      status: "ok",
      ...scope,
      attributes: { "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 3 },
    },
    {
      kind: "span-close",
      spanId: root,
      name: "turn",
      timestamp: time + 5,
      durationMs: 4,
      status: "ok",
      ...scope,
    },
  ];
}

async function getJson<T>(viewer: ViewerServer, path: string): Promise<T> {
  const response = await fetch(viewer.url + path);
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

interface TurnSummary {
  turnId?: string;
  status: string;
  spans: number;
  open: number;
}

async function turnList(viewer: ViewerServer): Promise<TurnSummary[]> {
  return (await getJson<{ turns: TurnSummary[] }>(viewer, "/api/turns?limit=100")).turns;
}

async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  let value = await probe();
  for (let i = 0; i < 100 && !ok(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await probe();
  }
  return value;
}

test("a span whose records carry links: [null] does not stop collect: what follows reaches the store", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const db = join(tmp.dir, "s.db");
  const scope = { extensionId: "x", turnId: "t-bad" };
  writeLines(path, [
    ...validTurn("t-before", NOW),
    {
      kind: "span-open",
      spanId: "bad",
      name: "tool",
      timestamp: NOW + 10,
      ...scope,
      links: [null],
    },
  ]);
  await collectJournal(path, { db, once: true });
  // The close comes in a later batch, so the store merges it over the open it holds.
  appendFileSync(
    path,
    [
      {
        kind: "span-close",
        spanId: "bad",
        name: "tool",
        timestamp: NOW + 11,
        durationMs: 1,
        status: "ok",
        ...scope,
        links: [null],
      },
      ...validTurn("t-after", NOW + 20),
    ].map((record) => JSON.stringify(record) + "\n").join(""),
  );
  await collectJournal(path, { db, once: true });
  const store = await openTraceStore(db);
  try {
    assert.equal(queryTurn(store, "t-after").spanCount, 2);
    const [bad] = queryTurn(store, "t-bad").roots;
    assert.equal(bad.status, "ok");
    assert.deepEqual(bad.links, []);
    assert.deepEqual(queryOpenSpans(store), []);
  } finally {
    store.close();
  }
});

test('span.end("ok", "done") leaves the viewer\'s turn list working and the span closed', async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const sink = createJournalSink({ path, fsync: "none" });
  const log = createLogger({ sink, extensionId: "host", onError: () => {} }).child({
    turnId: "t-done",
  });
  const span = log.span("tool");
  // What an untyped caller (JavaScript) can do:
  (span.end as (status: string, attributes: unknown) => void)("ok", "done");
  sink.close();
  // And what a journal written before the fix holds:
  writeLines(join(tmp.dir, "old.jsonl"), [
    {
      kind: "span-open",
      spanId: "s",
      name: "tool",
      timestamp: NOW,
      extensionId: "h",
      turnId: "t-old",
    },
    {
      kind: "span-close",
      spanId: "s",
      name: "tool",
      timestamp: NOW + 1,
      durationMs: 1,
      status: "ok",
      extensionId: "h",
      turnId: "t-old",
      attributes: "done",
    },
  ]);
  for (const [journal, turnId] of [[path, "t-done"], [join(tmp.dir, "old.jsonl"), "t-old"]]) {
    await using viewer = await serve({ journal, port: 0, pollMs: 50 });
    const list = await eventually(() => turnList(viewer), (list) => list.length > 0);
    assert.deepEqual(list.map((turn) => [turn.turnId, turn.status, turn.spans, turn.open]), [
      [turnId, "ok", 1, 0],
    ]);
    const detail = await getJson<{ spans: { status: string }[] }>(
      viewer,
      `/api/turn?id=${turnId}`,
    );
    assert.deepEqual(detail.spans.map((span) => span.status), ["ok"]);
  }
});

/** A journal of valid turns with every poison and every unusable record between them. */
function poisonedJournal(): {
  records: unknown[];
  valid: LogRecord[];
  poison: PoisonRecord[];
  junk: Record<string, unknown>[];
  validTurns: string[];
} {
  const records: unknown[] = [];
  const valid: LogRecord[] = [];
  const validTurns: string[] = [];
  const addValid = () => {
    const turnId = `t-v${validTurns.length}`;
    validTurns.push(turnId);
    const turn = validTurn(turnId, NOW + 10_000 * validTurns.length);
    valid.push(...turn);
    records.push(...turn);
  };
  addValid();
  const poison = [...poisonRecords(NOW)];
  poison.forEach((entry, i) => {
    records.push(entry.record);
    if (i % 25 === 24) addValid();
  });
  const junk = requiredFieldJunk(NOW);
  for (const record of junk) {
    records.push(record);
    addValid();
  }
  return { records, valid, poison, junk, validTurns };
}

/** What a reader yields for a poison record: the record without its field of the wrong type. */
function withoutField(entry: { record: Record<string, unknown>; field: string }): unknown {
  const copy = { ...entry.record };
  if (entry.field !== "") delete copy[entry.field];
  return copy;
}

function checkRead(
  read: JournalRecord[],
  journal: ReturnType<typeof poisonedJournal>,
): void {
  const from = (extensionId: string) => read.filter((record) => record.extensionId === extensionId);
  assert.deepEqual(from("valid"), journal.valid);
  assert.deepEqual(from("poison"), journal.poison.map(withoutField));
  assert.deepEqual(
    read.filter((record) => !/^(valid|poison)$/.test(String(record.extensionId))),
    journal.junk,
  );
}

/** The spans the poison leaves open: its span-opens (each close follows a valid open). */
function poisonOpens(journal: ReturnType<typeof poisonedJournal>): string[] {
  return journal.poison
    .filter((entry) => entry.kind === "span-open" && entry.field !== "")
    .map((entry) => entry.record.spanId as string)
    .sort();
}

test("readJournal yields each poison record without its bad field and every other record as written", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const journal = poisonedJournal();
  writeLines(path, journal.records);
  const reader = readJournal(path);
  const read: JournalRecord[] = [];
  for await (const record of reader) read.push(record);
  checkRead(read, journal);
  const repaired = journal.poison.filter((entry) => entry.field !== "").length;
  assert.ok(repaired > 150, `${repaired} poison records`);
  assert.equal(reader.stats.repaired, repaired);
  assert.equal(reader.stats.skipped, 0);
  assert.equal(reader.stats.records, read.length);
});

test("readJournal in follow mode reads the same records and counts the same", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const journal = poisonedJournal();
  writeLines(path, journal.records);
  const want = journal.records.length;
  const controller = new AbortController();
  const reader = readJournal(path, { follow: true, pollMs: 20, signal: controller.signal });
  const read: JournalRecord[] = [];
  for await (const record of reader) {
    read.push(record);
    if (read.length === want) controller.abort();
  }
  checkRead(read, journal);
  assert.equal(reader.stats.repaired, journal.poison.filter((entry) => entry.field !== "").length);
  assert.equal(reader.stats.skipped, 0);
});

test("reconstructTraces builds the valid trees, from the reader and from the raw records alike", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const journal = poisonedJournal();
  writeLines(path, journal.records);
  const raw = journal.records as { kind: string }[];
  for (const forest of [await reconstructTraces(readJournal(path)), reconstructTraces(raw)]) {
    const roots = forest.roots.filter((span) => span.extensionId === "valid");
    assert.deepEqual(
      roots.map((root) => [root.turnId, root.status, root.children.map((c) => c.status)]),
      journal.validTurns.map((turnId) => [turnId, "ok", ["ok"]]),
    );
    assert.deepEqual(
      roots.map((root) => root.children[0].links),
      journal.validTurns.map((turnId) => [{ spanId: `${turnId}-root`, reason: "retry-of" }]),
    );
    for (const span of forest.roots.concat(forest.open)) {
      assert.equal(typeof span.name, "string");
      assert.ok(span.links.every((link) => typeof link.spanId === "string"));
      assert.ok(typeof span.attributes === "object" && !Array.isArray(span.attributes));
    }
    const open = forest.open.filter((span) => span.extensionId === "poison");
    assert.deepEqual(open.map((span) => span.spanId).sort(), poisonOpens(journal));
  }
});

test("collect stores every valid record, and its queries answer over the poison", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const db = join(tmp.dir, "s.db");
  const journal = poisonedJournal();
  writeLines(path, journal.records);
  const stats = await collectJournal(path, { db, once: true });
  assert.equal(stats.records, journal.records.length);
  const store = await openTraceStore(db);
  try {
    for (const turnId of journal.validTurns) {
      const forest = queryTurn(store, turnId);
      assert.deepEqual(
        forest.roots.map((root) => [root.status, root.children.map((c) => c.status)]),
        [["ok", ["ok"]]],
        turnId,
      );
    }
    const poisonTurn = queryTurn(store, POISON_TURN, POISON_CONVERSATION);
    assert.ok(poisonTurn.spanCount > 100);
    const open = queryOpenSpans(store)
      .filter((span) => span.extensionId === "poison")
      .map((span) => span.spanId)
      .sort();
    assert.deepEqual(open, poisonOpens(journal));
    const usage = queryUsage(store, { by: "turn" }).filter((row) => row.key?.startsWith("t-v"));
    assert.deepEqual(
      usage.map((row) => [row.key, row.inputTokens, row.outputTokens]).sort(),
      journal.validTurns.map((turnId) => [turnId, 10, 3]).sort(),
    );
  } finally {
    store.close();
  }
});

test("the viewer lists and draws every turn of a poisoned journal, from the journal and the store", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.jsonl");
  const db = join(tmp.dir, "s.db");
  const journal = poisonedJournal();
  writeLines(path, journal.records);
  await collectJournal(path, { db, once: true });
  const expected = journal.validTurns.length + 1;
  for (const options of [{ journal: path, pollMs: 50 }, { db }]) {
    await using viewer = await serve({ ...options, port: 0 });
    const list = await eventually(() => turnList(viewer), (list) => list.length >= expected);
    // Traces without a turn are listed too (by trace id): the poison left some.
    const valid = list.filter((turn) => turn.turnId?.startsWith("t-v"));
    assert.deepEqual(
      valid.map((turn) => [turn.turnId, turn.status, turn.spans, turn.open]).sort(),
      journal.validTurns.map((turnId) => [turnId, "ok", 2, 0]).sort(),
    );
    assert.ok(list.some((turn) => turn.turnId === POISON_TURN));
    for (const turnId of [journal.validTurns[0], POISON_TURN]) {
      const detail = await getJson<{ spans: { status: string; name: string }[] }>(
        viewer,
        `/api/turn?id=${turnId}`,
      );
      assert.ok(detail.spans.length >= 2, turnId);
      assert.ok(detail.spans.every((span) => typeof span.name === "string"));
    }
  }
});
