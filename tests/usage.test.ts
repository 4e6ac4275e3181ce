// Usage and cost in the trace store: open and close attributes merged at ingest, totals
// per model, turn, conversation and extension, priced by a cost attribute or a prices file;
// retention that deletes whole turns and conversations in small transactions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, createLogger, type LogRecord } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { openSqlite } from "../src/collector/sqlite.ts";
import { TRACE_STORE_SCHEMA_VERSION } from "../src/collector/schema.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";
import { queryConversation, queryOpenSpans, queryTurn } from "../src/collector/query.ts";
import {
  formatUsageTable,
  parsePrices,
  pruneTraceStore,
  queryTurnUsage,
  queryUsage,
} from "../collector.ts";
import { readUsage, startChat, startToolCall, TurnUsageTally } from "../genai.ts";

const T0 = 1_700_000_000_000;
type Scope = { extensionId: string; conversationId?: string; turnId?: string };

function open(spanId: string, time: number, scope: Scope, attributes?: object): LogRecord {
  return {
    kind: "span-open",
    spanId,
    name: "chat",
    timestamp: time,
    ...scope,
    attributes,
  } as LogRecord;
}
function close(spanId: string, time: number, scope: Scope, attributes?: object): LogRecord {
  return {
    kind: "span-close",
    spanId,
    name: "chat",
    timestamp: time,
    durationMs: 1,
    status: "ok",
    ...scope,
    attributes,
  } as LogRecord;
}
const IN = "gen_ai.usage.input_tokens";
const OUT = "gen_ai.usage.output_tokens";
const MODEL = "gen_ai.request.model";
const RESPONSE = "gen_ai.response.model";
const COST = "gen_ai.usage.cost";

/** Usage on the open, on the close, on both (the close wins), and a cost attribute. */
function workload(): LogRecord[] {
  const a = { extensionId: "host", conversationId: "c1", turnId: "t1" };
  const b = { extensionId: "host", conversationId: "c1", turnId: "t2" };
  const c = { extensionId: "plugin", conversationId: "c2", turnId: "t3" };
  return [
    open("s1", T0, a, { [MODEL]: "gpt-4o", [IN]: 1000, [OUT]: 100 }),
    close("s1", T0 + 1, a),
    open("s2", T0 + 2, a, { [MODEL]: "gpt-4o" }),
    close("s2", T0 + 3, a, { [RESPONSE]: "gpt-4o-2024-08-06", [IN]: 2000, [OUT]: 200 }),
    open("s3", T0 + 4, b, { [MODEL]: "claude", [IN]: 1 }),
    close("s3", T0 + 5, b, { [IN]: 500, [OUT]: 50, [COST]: 0.25 }),
    open("tool", T0 + 6, b, { "gen_ai.tool.name": "search" }),
    close("tool", T0 + 7, b),
    open("s4", T0 + 8, c, { [MODEL]: "local-llama", [IN]: 10, [OUT]: 5 }),
    close("s4", T0 + 9, c),
  ];
}

const PRICES = parsePrices({
  "gpt-4o": { input: 2.5, output: 10, match: "^gpt-4o-\\d{4}-\\d{2}-\\d{2}$" },
  "claude": { input: 3, output: 15 },
});

async function collected(records: LogRecord[]): Promise<TraceStore> {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "app.jsonl", fs });
  for (const record of records) sink.emit(record);
  sink.close();
  const store = await openTraceStore(":memory:");
  await collectJournal("app.jsonl", { db: store, once: true, fs });
  return store;
}

const near = (actual: number | null, expected: number) =>
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${actual} ≈ ${expected}`);

test("usage by model merges open and close, the response model and cost attribute winning", async () => {
  const store = await collected(workload());
  const rows = queryUsage(store, { by: "model", prices: PRICES });
  assert.deepEqual(
    rows.map((r) => [r.key, r.spans, r.inputTokens, r.outputTokens, r.unpricedSpans]),
    [
      ["gpt-4o-2024-08-06", 1, 2000, 200, 0],
      ["gpt-4o", 1, 1000, 100, 0],
      ["claude", 1, 500, 50, 0],
      ["local-llama", 1, 10, 5, 1],
    ],
  );
  near(rows[0].costUsd, (2000 * 2.5 + 200 * 10) / 1e6); // priced through the pattern
  near(rows[1].costUsd, (1000 * 2.5 + 100 * 10) / 1e6);
  near(rows[2].costUsd, 0.25); // the span's cost wins over the prices file
  assert.equal(rows[3].costUsd, null);
  assert.deepEqual(
    queryUsage(store).map((r) => r.costUsd),
    [null, null, 0.25, null],
    "without prices only the cost attribute is known",
  );
  store.close();
});

test("a span whose close names another model than its open is summed under the close's model only", async () => {
  const store = await openTraceStore(":memory:");
  const scope = { extensionId: "host", turnId: "t1", conversationId: "c1" };
  store.ingest([
    {
      kind: "span-open",
      spanId: "a",
      name: "chat",
      timestamp: 1,
      ...scope,
      attributes: { "gen_ai.request.model": "asked", "gen_ai.usage.input_tokens": 7 },
    },
    {
      kind: "span-close",
      spanId: "a",
      name: "chat",
      timestamp: 5,
      durationMs: 4,
      status: "ok",
      ...scope,
      attributes: { "gen_ai.response.model": "answered", "gen_ai.usage.output_tokens": 3 },
    },
  ] as LogRecord[]);
  const rows = (table: string) =>
    store.db.prepare(
      `SELECT model, spans, input_tokens, output_tokens FROM ${table} ORDER BY model`,
    ).all()
      .map((r) => [r.model, r.spans, r.input_tokens, r.output_tokens]);
  assert.deepEqual(rows("usage_totals"), [["answered", 1, 7, 3]]);
  assert.deepEqual(rows("usage_by"), [["answered", 1, 7, 3], ["answered", 1, 7, 3]]);
  store.close();
});

test("usage by turn, conversation and extension, and since, give the same totals", async () => {
  const store = await collected(workload());
  const by = (key: "turn" | "conversation" | "extension", since?: number) =>
    queryUsage(store, { by: key, since, prices: PRICES }).map((r) => [
      r.key,
      r.spans,
      r.inputTokens,
      r.outputTokens,
      r.costUsd === null ? null : Math.round(r.costUsd * 1e6),
    ]);
  assert.deepEqual(by("turn"), [
    ["t1", 2, 3000, 300, 10500],
    ["t2", 1, 500, 50, 250000],
    ["t3", 1, 10, 5, null],
  ]);
  assert.deepEqual(by("conversation"), [["c1", 3, 3500, 350, 260500], ["c2", 1, 10, 5, null]]);
  assert.deepEqual(by("extension"), [["host", 3, 3500, 350, 260500], ["plugin", 1, 10, 5, null]]);
  assert.deepEqual(by("extension", T0 + 4), [["host", 1, 500, 50, 250000], [
    "plugin",
    1,
    10,
    5,
    null,
  ]]);
  assert.deepEqual(
    queryUsage(store, { by: "model", since: T0 }).map((r) => r.inputTokens),
    queryUsage(store, { by: "model" }).map((r) => r.inputTokens),
    "the totals table and the spans agree",
  );
  assert.deepEqual(queryTurnUsage(store, "t1"), {
    spans: 2,
    inputTokens: 3000,
    outputTokens: 300,
    costUsd: null,
  });
  assert.deepEqual(queryTurnUsage(store, "t2").costUsd, 0.25);
  assert.deepEqual(queryTurnUsage(store, "nope").spans, 0);
  store.close();
});

test("a close in a later batch, or after the store was reopened, updates the totals once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usage-"));
  try {
    const db = join(dir, "traces.db");
    const scope = { extensionId: "host", turnId: "t1" };
    let store = await openTraceStore(db);
    store.ingest([open("a", T0, scope, { [MODEL]: "m", [IN]: 5 })]);
    store.ingest([open("b", T0 + 1, scope, { [MODEL]: "m" })]);
    store.close();
    store = await openTraceStore(db); // the open rows are found in the database now
    store.ingest([close("a", T0 + 2, scope, { [IN]: 40, [OUT]: 4 })]);
    store.ingest([close("b", T0 + 3, scope, { [RESPONSE]: "m-2", [OUT]: 1 })]);
    assert.deepEqual(
      queryUsage(store).map((r) => [r.key, r.spans, r.inputTokens, r.outputTokens]),
      [["m", 1, 40, 4], ["m-2", 1, 0, 1]],
    );
    assert.equal(queryOpenSpans(store).length, 0);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("spans written with the genai helpers come out of queryUsage with their usage", async () => {
  const records: LogRecord[] = [];
  const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" })
    .child({ conversationId: "c", turnId: "t" });
  startChat(log, { model: "claude" }).end({ inputTokens: 1200, outputTokens: 80 });
  startToolCall(log, { name: "search" }).end();
  startChat(log, { model: "claude" }).end({ inputTokens: 1500, outputTokens: 20 });
  const store = await collected(records);
  const [row] = queryUsage(store, { by: "turn", prices: PRICES });
  assert.deepEqual([row.key, row.spans, row.inputTokens, row.outputTokens], ["t", 2, 2700, 100]);
  near(row.costUsd, (2700 * 3 + 100 * 15) / 1e6);
  store.close();
});

test("cached input tokens are part of input_tokens and are never added to it a second time", async () => {
  // OpenTelemetry: gen_ai.usage.input_tokens counts every input token, the cached ones
  // included; cache_read and cache_creation only say how many of them were which.
  const CACHE_READ = "gen_ai.usage.cache_read.input_tokens";
  const CACHE_CREATION = "gen_ai.usage.cache_creation.input_tokens";
  const scope = { extensionId: "host", conversationId: "c", turnId: "t" };
  const usage = { [IN]: 1000, [CACHE_READ]: 800, [CACHE_CREATION]: 150, [OUT]: 50 };
  const records: LogRecord[] = [
    open("cached", T0, scope, { [MODEL]: "claude" }),
    close("cached", T0 + 1, scope, usage),
  ];
  const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" })
    .child({ conversationId: "c", turnId: "t" });
  startChat(log, { model: "claude" }).end({
    inputTokens: 2000,
    cacheReadInputTokens: 1500,
    cacheCreationInputTokens: 100,
    outputTokens: 10,
  });
  assert.equal(readUsage(usage).inputTokens, 1000, "readUsage");
  const tally = new TurnUsageTally();
  for (const record of records) tally.add(record);
  assert.equal(tally.totals().get("t")?.inputTokens, 3000, "the CLI's tokens by turn");
  const store = await collected(records);
  for (const by of ["model", "turn", "conversation", "extension"] as const) {
    const [row] = queryUsage(store, { by, prices: PRICES });
    assert.equal(row.inputTokens, 3000, `usage by ${by}`);
    near(row.costUsd, (3000 * 3 + 60 * 15) / 1e6);
  }
  assert.equal(queryTurnUsage(store, "t").inputTokens, 3000, "the turn's usage");
  store.close();
});

test("the record's own traceId is kept; without one the trace id is derived", async () => {
  const store = await collected([
    {
      ...open("x", T0, { extensionId: "h", turnId: "t" }),
      traceId: "0af7651916cd43dd8448eb211c80319c",
    } as unknown as LogRecord,
    open("y", T0, { extensionId: "h", turnId: "t" }),
  ]);
  const ids = store.db.prepare("SELECT trace_id FROM spans ORDER BY id").all().map((r) =>
    r.trace_id
  );
  assert.equal(ids[0], "0af7651916cd43dd8448eb211c80319c");
  assert.match(String(ids[1]), /^[0-9a-f]{32}$/);
  assert.notEqual(ids[1], ids[0]);
  store.close();
});

test("formatUsageTable prints a header, one line per key and a total", () => {
  const text = formatUsageTable([
    {
      key: "gpt-4o",
      spans: 2,
      inputTokens: 3000,
      outputTokens: 300,
      costUsd: 0.0105,
      unpricedSpans: 0,
    },
    { key: null, spans: 1, inputTokens: 10, outputTokens: 5, costUsd: null, unpricedSpans: 1 },
  ], "model");
  assert.equal(
    text,
    [
      "model   spans  input tokens  output tokens   cost USD",
      "gpt-4o      2         3,000            300   0.010500",
      "-           1            10              5          -",
      "total       3         3,010            305  0.010500+",
      "",
    ].join("\n"),
  );
});

test("parsePrices rejects a wrong shape and a bad pattern, naming the entry", () => {
  assert.throws(() => parsePrices([]), /JSON object keyed by model/);
  assert.throws(() => parsePrices({ m: { input: -1, output: 1 } }), /prices\["m"\]\.input/);
  assert.throws(
    () => parsePrices({ m: { input: 1, output: 1, match: "(" } }),
    /prices\["m"\]\.match/,
  );
  const prices = parsePrices({
    a: { input: 1, output: 1, match: "^x" },
    b: { input: 2, output: 2, match: "^x" },
  });
  assert.equal(prices.priceOf("xy")?.input, 1, "the first matching entry in file order");
  assert.equal(prices.priceOf("b")?.input, 2, "an exact name before any pattern");
});

/** A store of `turns` turns in `conversations` conversations, one hour apart. */
async function history(turns: number, conversations: number): Promise<TraceStore> {
  const records: LogRecord[] = [];
  for (let t = 0; t < turns; t++) {
    const scope = { extensionId: "host", conversationId: `c${t % conversations}`, turnId: `t${t}` };
    const time = T0 + t * 3_600_000;
    records.push(open(`s${t}`, time, scope, { [MODEL]: "m", [IN]: 10, [OUT]: 1 }));
    records.push({ kind: "log", level: "info", msg: `turn ${t}`, timestamp: time + 1, ...scope });
    records.push(close(`s${t}`, time + 2, scope));
  }
  records.push({
    kind: "log",
    level: "info",
    msg: "unscoped old",
    timestamp: T0,
    extensionId: "host",
  });
  const store = await openTraceStore(":memory:");
  store.ingest(records);
  return store;
}

const count = (store: TraceStore, table: string) =>
  Number(store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.n);

test("retain deletes whole turns older than the cutoff in small transactions, totals in step", async () => {
  const store = await history(40, 4);
  const now = T0 + 39 * 3_600_000;
  const stats = pruneTraceStore(store, { retainMs: 10 * 3_600_000 + 5, now, batchRows: 6 });
  // Turns 0..28 ended more than 10 h before turn 39 (turn 29 ends 2 ms after the cutoff... kept).
  assert.equal(stats.turns, 29);
  assert.equal(stats.spans, 29);
  assert.equal(stats.logs, 29 + 1, "and the unscoped old log entry");
  assert.ok(stats.transactions >= 29 * 2 / 6, `${stats.transactions} small transactions`);
  assert.equal(count(store, "spans"), 11);
  assert.equal(queryTurn(store, "t28").spanCount, 0);
  assert.equal(queryTurn(store, "t29").spanCount, 1);
  assert.deepEqual(queryUsage(store).map((r) => [r.spans, r.inputTokens]), [[11, 110]]);
  assert.deepEqual(pruneTraceStore(store, { retainMs: 10 * 3_600_000 + 5, now }).turns, 0);
  store.close();
});

test("max-conversations keeps the conversations with the latest activity, whole", async () => {
  const store = await history(40, 8);
  const stats = pruneTraceStore(store, { maxConversations: 3, batchRows: 4 });
  assert.equal(stats.conversations, 5);
  // Turns 37, 38, 39 belong to c5, c6, c7: those stay, with all their turns.
  for (const id of ["c5", "c6", "c7"]) assert.equal(queryConversation(store, id).spanCount, 5);
  for (const id of ["c0", "c4"]) assert.equal(queryConversation(store, id).spanCount, 0);
  assert.equal(count(store, "spans"), 15);
  assert.equal(count(store, "logs"), 15 + 1, "the unscoped entry belongs to no conversation");
  assert.deepEqual(queryUsage(store, { by: "extension" }).map((r) => r.spans), [15]);
  assert.equal(count(store, "turns"), 15);
  store.close();
});

test("a close whose open was pruned is kept as a close without open", async () => {
  const store = await openTraceStore(":memory:");
  const scope = { extensionId: "host", turnId: "old" };
  store.ingest([open("a", T0, scope, { [IN]: 3 })]);
  pruneTraceStore(store, { retainMs: 1000, now: T0 + 10_000 });
  assert.equal(count(store, "spans"), 0);
  store.ingest([close("a", T0 + 20_000, scope, { [OUT]: 2 })]);
  const rows = store.db.prepare("SELECT close_without_open, output_tokens FROM spans").all();
  assert.deepEqual(rows.map((r) => ({ ...r })), [{ close_without_open: 1, output_tokens: 2 }]);
  assert.deepEqual(queryUsage(store).map((r) => [r.spans, r.inputTokens, r.outputTokens]), [[
    1,
    0,
    2,
  ]]);
  store.close();
});

test("a version 1 store is migrated: usage, turns and queries work on its rows", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usage-v1-"));
  try {
    const path = join(dir, "traces.db");
    const db = await openSqlite(path);
    db.exec(readFileSync(new URL("./fixtures/trace_store_v1.sql", import.meta.url), "utf8"));
    db.exec(`INSERT INTO spans (span_id, name, start_ms, end_ms, duration_ms, status, extension_id,
        conversation_id, turn_id, attributes, links) VALUES
      ('a', 'chat m', 1, 5, 4, 'ok', 'host', 'c', 't', '{"gen_ai.request.model":"m","gen_ai.usage.input_tokens":7,"gen_ai.usage.output_tokens":2}', '[]'),
      ('b', 'tool', 2, NULL, NULL, 'open', 'host', 'c', 't', '{}', '[]')`);
    db.exec(`INSERT INTO logs (timestamp_ms, level, msg, extension_id, conversation_id, turn_id)
      VALUES (3, 'info', 'hi', 'host', 'c', 't')`);
    db.close();
    const store = await openTraceStore(path);
    assert.equal(
      store.db.prepare("PRAGMA user_version").get()?.user_version,
      TRACE_STORE_SCHEMA_VERSION,
    );
    assert.deepEqual(queryUsage(store).map((r) => [r.key, r.inputTokens, r.outputTokens]), [[
      "m",
      7,
      2,
    ]]);
    assert.equal(queryTurn(store, "t").spanCount, 2);
    assert.equal(queryConversation(store, "c").spanCount, 2);
    const log = store.db.prepare("SELECT turn_key FROM logs").get();
    const turn = store.db.prepare(
      "SELECT turn_key, first_ms, last_ms FROM turns WHERE turn_id = 't'",
    ).get();
    assert.deepEqual([log?.turn_key, turn?.first_ms, turn?.last_ms], [turn?.turn_key, 1, 5]);
    store.ingest([close("b", 9, { extensionId: "host", conversationId: "c", turnId: "t" })]);
    assert.equal(queryOpenSpans(store).length, 0, "the v1 open row is found by its span id");
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** What queryUsage answers from the spans alone (usage_by dropped inside a rolled-back transaction). */
function fromSpans(store: TraceStore, options: Parameters<typeof queryUsage>[1]) {
  store.db.exec("BEGIN; DROP TABLE usage_by");
  try {
    return queryUsage(store, options);
  } finally {
    store.db.exec("ROLLBACK");
  }
}

test("usage kept per turn and conversation answers as the spans do, at every cutoff and after retention", async () => {
  const store = await openTraceStore(":memory:");
  const records: LogRecord[] = [];
  // Turns that overlap in time, spans without a turn or a conversation, usage moved by a
  // close that names the turn its open did not, models with and without costs.
  for (let t = 0; t < 30; t++) {
    const scope: Scope = t % 7 === 3
      ? { extensionId: "host" }
      : { extensionId: t % 2 ? "host" : "plugin", conversationId: `c${t % 4}`, turnId: `t${t}` };
    for (let k = 0; k < 3; k++) {
      const id = `s${t}-${k}`;
      const start = T0 + t * 10 + k * 7;
      const model = ["m1", "m2", undefined][(t + k) % 3];
      records.push(open(id, start, k === 2 ? { extensionId: scope.extensionId } : scope, {
        [MODEL]: model,
        [IN]: 10 + t,
      }));
      records.push(
        close(id, start + 25, scope, { [OUT]: k + 1, ...(t % 5 === 0 ? { [COST]: 0.5 } : {}) }),
      );
    }
  }
  // In two batches, so some closes find their opens in the store.
  store.ingest(records.slice(0, 91));
  store.ingest(records.slice(91));
  const prices = parsePrices({ m1: { input: 1, output: 2 } });
  const check = (label: string) => {
    for (const by of ["model", "turn", "conversation", "extension"] as const) {
      for (const since of [undefined, T0, T0 + 95, T0 + 151, T0 + 400]) {
        const options = { by, since, prices };
        assert.deepEqual(
          queryUsage(store, options),
          fromSpans(store, options),
          `${label} ${by} ${since}`,
        );
      }
    }
  };
  check("ingested");
  assert.ok(queryUsage(store, { by: "turn", since: T0 + 151 }).length > 0);
  pruneTraceStore(store, { retainMs: 1000, now: T0 + 1150 });
  check("pruned by age");
  pruneTraceStore(store, { maxConversations: 2 });
  check("pruned by count");
  store.close();
});

test("a version 2 store is migrated: positions by identity, usage per turn, collection resumes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usage-v2-"));
  try {
    const path = join(dir, "traces.db");
    const journal = join(dir, "app.jsonl");
    const first = JSON.stringify(open("a", T0, { extensionId: "host", turnId: "t" }, { [IN]: 4 })) +
      "\n";
    writeFileSync(journal, first);
    const db = await openSqlite(path);
    db.exec(readFileSync(new URL("./fixtures/trace_store_v2.sql", import.meta.url), "utf8"));
    db.exec(`INSERT INTO spans (span_id, name, start_ms, status, extension_id, turn_id, attributes,
        links, input_tokens) VALUES ('a', 'chat', ${T0}, 'open', 'host', 't', '{"gen_ai.usage.input_tokens":4}', '[]', 4)`);
    const hex = Buffer.from(first).toString("hex");
    db.exec(`INSERT INTO positions VALUES
      ('${journal}', 'k1', '${hex}', ${first.length}, 0, '${journal}', ${Date.now()}),
      ('/elsewhere/other.jsonl', 'k2', 'abcd', 2, 0, '/elsewhere/other.jsonl', ${Date.now()})`);
    db.close();
    const store = await openTraceStore(path);
    assert.equal(
      store.db.prepare("PRAGMA user_version").get()?.user_version,
      TRACE_STORE_SCHEMA_VERSION,
    );
    assert.equal(store.positions(journal)[0]?.offset, first.length);
    assert.equal(store.positions("/elsewhere/other.jsonl").length, 1);
    assert.deepEqual(queryUsage(store, { by: "turn" }).map((r) => [r.key, r.inputTokens]), [[
      "t",
      4,
    ]]);
    appendFileSync(
      journal,
      JSON.stringify(close("a", T0 + 5, { extensionId: "host", turnId: "t" }, { [OUT]: 2 })) + "\n",
    );
    assert.equal((await collectJournal(journal, { db: store, once: true })).records, 1);
    assert.deepEqual(
      queryUsage(store, { by: "conversation" }).map((
        r,
      ) => [r.key, r.spans, r.inputTokens, r.outputTokens]),
      [[null, 1, 4, 2]],
    );
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a version 3 store is migrated: the index of usage spans by start, which no query reads, goes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usage-v3-"));
  try {
    const path = join(dir, "traces.db");
    const store = await openTraceStore(path);
    store.ingest([
      open("a", T0, { extensionId: "host", turnId: "t" }, { [IN]: 4 }),
      close("a", T0 + 5, { extensionId: "host", turnId: "t" }, { [OUT]: 2 }),
    ]);
    // As version 3 left it.
    store.db.exec(
      `CREATE INDEX spans_usage ON spans (start_ms) WHERE input_tokens IS NOT NULL
         OR output_tokens IS NOT NULL OR cost_usd IS NOT NULL; PRAGMA user_version = 3`,
    );
    store.close();
    const migrated = await openTraceStore(path);
    const index = (name: string) =>
      migrated.db.prepare("SELECT 1 AS y FROM sqlite_master WHERE type = 'index' AND name = ?")
        .get(name) !== undefined;
    assert.equal(index("spans_usage"), false);
    assert.equal(index("spans_by_turn_key"), true);
    assert.equal(
      migrated.db.prepare("PRAGMA user_version").get()?.user_version,
      TRACE_STORE_SCHEMA_VERSION,
    );
    assert.deepEqual(
      queryUsage(migrated, { by: "model", since: T0 }).map((
        r,
      ) => [r.spans, r.inputTokens, r.outputTokens]),
      [[1, 4, 2]],
    );
    migrated.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
