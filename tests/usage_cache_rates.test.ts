// Cache reads and writes priced at their own rates on every path of queryUsage (the totals, the
// per-turn sums, a --since cutoff, the spans themselves), kept in step by retention, and a
// version 5 store migrated to keep them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "../mod.ts";
import { openSqlite } from "../src/collector/sqlite.ts";
import { TRACE_STORE_SCHEMA_VERSION } from "../src/collector/schema.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";
import { parsePrices, pruneTraceStore, queryUsage } from "../collector.ts";

const T0 = 1_800_000_000_000;
const IN = "gen_ai.usage.input_tokens";
const READ = "gen_ai.usage.cache_read.input_tokens";
const WRITE = "gen_ai.usage.cache_creation.input_tokens";

function call(id: string, time: number, turn: string, attributes: object): LogRecord[] {
  const scope = { extensionId: "host", conversationId: "c", turnId: turn };
  return [
    { kind: "span-open", spanId: id, name: "chat", timestamp: time, ...scope, attributes },
    {
      kind: "span-close",
      spanId: id,
      name: "chat",
      timestamp: time + 1,
      durationMs: 1,
      status: "ok",
      ...scope,
    },
  ] as LogRecord[];
}

const CALLS = [
  ...call("a", T0, "t1", {
    "gen_ai.request.model": "m",
    [IN]: 1_000_000,
    [READ]: 800_000,
    [WRITE]: 100_000,
    "gen_ai.usage.output_tokens": 1000,
  }),
  ...call("b", T0 + 10, "t2", { "gen_ai.request.model": "m", [IN]: 200_000, [READ]: 200_000 }),
  ...call("c", T0 + 20, "t2", { "gen_ai.request.model": "m", [IN]: 500, "gen_ai.usage.cost": 1 }),
];

/** What queryUsage answers from the spans alone (usage_by dropped in a rolled-back transaction). */
function fromSpans(store: TraceStore, options: Parameters<typeof queryUsage>[1]) {
  store.db.exec("BEGIN; DROP TABLE usage_by");
  try {
    return queryUsage(store, options);
  } finally {
    store.db.exec("ROLLBACK");
  }
}

const usd = (value: number) => Math.round(value * 1e12) / 1e12;

test("cache reads and writes are priced at their own rates, the same on every path of queryUsage", async () => {
  const store = await openTraceStore(":memory:");
  store.ingest(CALLS);
  const prices = parsePrices({ m: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } });
  // a: 100k new at 3, 800k read at 0.3, 100k written at 3.75, 1k out at 15; b: 200k read; c: its own 1.
  const a = (100_000 * 3 + 800_000 * 0.3 + 100_000 * 3.75 + 1000 * 15) / 1e6;
  const b = (200_000 * 0.3) / 1e6;
  const [model] = queryUsage(store, { by: "model", prices });
  assert.deepEqual(model, {
    key: "m",
    spans: 3,
    inputTokens: 1_200_500,
    outputTokens: 1000,
    cacheReadTokens: 1_000_000,
    cacheWriteTokens: 100_000,
    costUsd: usd(a + b + 1),
    unpricedSpans: 0,
  });
  assert.deepEqual(
    queryUsage(store, { by: "turn", prices }).map((r) => [r.key, r.costUsd]),
    [["t1", usd(a)], ["t2", usd(b + 1)]],
  );
  for (const by of ["model", "turn", "conversation", "extension"] as const) {
    for (const since of [undefined, T0 + 5, T0 + 15]) {
      assert.deepEqual(
        queryUsage(store, { by, since, prices }),
        fromSpans(store, { by, since, prices }),
        `${by} ${since}`,
      );
    }
  }
  store.close();
});

test("without cacheRead or cacheWrite the input rate is used, and the row says which rate it assumed", async () => {
  const store = await openTraceStore(":memory:");
  store.ingest(CALLS);
  const prices = parsePrices({ m: { input: 3, output: 15, cacheRead: 0.3 } });
  // t1: 100k new and 100k written at 3, 800k read at 0.3, 1k out at 15; t2: 200k read, and 1.
  const t1 = (200_000 * 3 + 800_000 * 0.3 + 1000 * 15) / 1e6;
  const t2 = (200_000 * 0.3) / 1e6 + 1;
  for (const [by, cost] of [["model", t1 + t2], ["turn", t1]] as const) {
    const rows = queryUsage(store, { by, prices });
    assert.deepEqual(rows[0].assumedRates, { cacheWrite: "input" }, by);
    assert.equal(rows[0].costUsd, usd(cost), by);
  }
  // t2 has cache reads only: nothing assumed.
  assert.equal(queryUsage(store, { by: "turn", prices })[1].assumedRates, undefined);
  assert.throws(
    () => parsePrices({ m: { input: 1, output: 1, cacheRead: -1 } }),
    /prices\["m"\]\.cacheRead/,
  );
  store.close();
});

test("retention takes a turn's cache counts out of the totals with its spans", async () => {
  const store = await openTraceStore(":memory:");
  store.ingest(CALLS);
  pruneTraceStore(store, { retainMs: 1000, now: T0 + 1005 });
  const [row] = queryUsage(store, { by: "model" });
  assert.deepEqual([row.spans, row.cacheReadTokens, row.cacheWriteTokens], [2, 200_000, 0]);
  assert.deepEqual(queryUsage(store, { by: "turn" }).map((r) => [r.key, r.cacheReadTokens]), [[
    "t2",
    200_000,
  ]]);
  store.close();
});

test("a version 5 store is migrated: its spans' cache counts are kept and priced, the usage sums rebuilt", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usage-v5-"));
  try {
    const path = join(dir, "traces.db");
    const db = await openSqlite(path);
    db.exec(readFileSync(new URL("./fixtures/trace_store_v5.sql", import.meta.url), "utf8"));
    db.exec(
      `INSERT INTO turns (turn_key, turn_id, conversation_id, first_ms, last_ms) VALUES (1, 't', 'c', 1, 9);
      INSERT INTO spans (span_id, name, start_ms, end_ms, duration_ms, status, extension_id,
        conversation_id, turn_id, attributes, links, model, input_tokens, output_tokens, turn_key) VALUES
      ('a', 'chat m', 1, 5, 4, 'ok', 'host', 'c', 't',
        '{"gen_ai.request.model":"m","gen_ai.usage.input_tokens":1000000,"gen_ai.usage.cache_read.input_tokens":900000,"gen_ai.usage.output_tokens":0}',
        '[]', 'm', 1000000, 0, 1),
      ('b', 'chat m', 2, 6, 4, 'ok', 'host', 'c', 't',
        '{"gen_ai.request.model":"m","gen_ai.usage.input_tokens":10,"gen_ai.usage.cache_creation.input_tokens":90}',
        '[]', 'm', 10, NULL, 1);
      INSERT INTO usage_totals VALUES ('m', 'host', 2, 1000010, 0, 0, 0, 1000010, 0);
      INSERT INTO usage_by VALUES ('turn', 1, 't', 'm', 'host', 1, 2, 2, 1000010, 0, 0, 0, 1000010, 0),
        ('conversation', 1, 'c', 'm', 'host', 1, 2, 2, 1000010, 0, 0, 0, 1000010, 0);`,
    );
    db.close();
    const store = await openTraceStore(path);
    assert.equal(
      store.db.prepare("PRAGMA user_version").get()?.user_version,
      TRACE_STORE_SCHEMA_VERSION,
    );
    const prices = parsePrices({ m: { input: 1, output: 1, cacheRead: 0.1, cacheWrite: 2 } });
    // b's input count (10) was smaller than its cache write (90): it left it out, so 100.
    const expected = {
      key: "m",
      spans: 2,
      inputTokens: 1_000_100,
      outputTokens: 0,
      cacheReadTokens: 900_000,
      cacheWriteTokens: 90,
      costUsd: usd((100_000 * 1 + 900_000 * 0.1 + 10 * 1 + 90 * 2) / 1e6),
      unpricedSpans: 0,
    };
    assert.deepEqual(queryUsage(store, { by: "model", prices }), [expected]);
    assert.deepEqual(queryUsage(store, { by: "conversation", prices }), [{
      ...expected,
      key: "c",
    }]);
    assert.deepEqual(fromSpans(store, { by: "turn", prices }), [{ ...expected, key: "t" }]);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
