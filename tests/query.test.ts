// The query side of the trace store gives the same answers as reconstructTraces over the
// journal itself: the trees of turns and conversations, open, failed and slowest spans.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createJournalSink, type LogRecord, readJournal, reconstructTraces } from "../mod.ts";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeFs } from "../testing.ts";
import { openSqlite } from "../src/collector/sqlite.ts";
import { queryUsage } from "../src/collector/usage.ts";
import { collectJournal } from "../src/collector/collect.ts";
import {
  queryConversation,
  queryErrorSpans,
  queryOpenSpans,
  querySlowestSpans,
  queryTurn,
} from "../src/collector/query.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";
import { main as cli } from "../cli.ts";
const queryCommand = (args: string[], io: Parameters<typeof cli>[1]) => cli(["query", ...args], io);
import type { TraceSpan } from "../src/traces/traces.ts";

const T0 = 1_700_000_000_000;

/** Seeded workload: conversations of turns of nested spans, errors, a crash, odd cases. */
function workload(): LogRecord[] {
  const out: LogRecord[] = [];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let time = T0;
  let ids = 0;
  for (let c = 0; c < 3; c++) {
    for (let t = 0; t < 4; t++) {
      const scope = { extensionId: "host", conversationId: `c${c}`, turnId: `c${c}-t${t}` };
      const crash = c === 2 && t === 3;
      const root = `span-${ids++}`;
      out.push({
        kind: "span-open",
        spanId: root,
        name: "turn",
        timestamp: time++,
        ...scope,
        attributes: { turn: t },
        body: { prompt: `question ${t}` },
      });
      out.push({
        kind: "log",
        level: "info",
        msg: `turn ${t} starts`,
        timestamp: time++,
        spanId: root,
        ...scope,
      });
      out.push({ kind: "log", level: "debug", msg: "no span", timestamp: time++, ...scope });
      const children = 2 + Math.floor(rand() * 3);
      for (let k = 0; k < children; k++) {
        const child = `span-${ids++}`;
        const name = k % 2 === 0 ? "llm" : "tool";
        out.push(
          {
            kind: "span-open",
            spanId: child,
            parentSpanId: root,
            name,
            timestamp: time++,
            ...scope,
            links: k > 0 ? [{ spanId: root, reason: "after" }] : undefined,
          } as LogRecord,
        );
        if (name === "tool") {
          const grand = `span-${ids++}`;
          out.push({
            kind: "span-open",
            spanId: grand,
            parentSpanId: child,
            name: "subprocess",
            timestamp: time++,
            ...scope,
          });
          out.push({
            kind: "log",
            level: "warn",
            msg: "slow child",
            timestamp: time++,
            spanId: grand,
            ...scope,
            attributes: { ms: 40 },
          });
          if (crash && k === children - 1) break;
          const d = Math.floor(rand() * 500);
          time += d;
          out.push({
            kind: "span-close",
            spanId: grand,
            parentSpanId: child,
            name: "subprocess",
            timestamp: time,
            durationMs: d + 1,
            status: rand() < 0.3 ? "error" : "ok",
            ...scope,
          });
        }
        if (crash && k === children - 1) break;
        const d = Math.floor(rand() * 1000);
        time += d;
        out.push({
          kind: "span-close",
          spanId: child,
          parentSpanId: root,
          name,
          timestamp: time,
          durationMs: d + 2,
          status: rand() < 0.2 ? "error" : "ok",
          ...scope,
          attributes: { tokens: d },
        });
      }
      if (!crash) {
        out.push({
          kind: "span-close",
          spanId: root,
          name: "turn",
          timestamp: time++,
          durationMs: time - T0,
          status: "ok",
          ...scope,
          attributes: { answer: "done" },
        });
      }
    }
  }
  const odd = { extensionId: "host", conversationId: "c0", turnId: "odd" };
  out.push({
    kind: "span-close",
    spanId: "rotated-away",
    parentSpanId: "gone",
    name: "lost-open",
    timestamp: time + 50,
    durationMs: 30,
    status: "error",
    ...odd,
  });
  out.push({ kind: "span-open", spanId: "dup", name: "first", timestamp: time + 60, ...odd });
  out.push({
    kind: "span-close",
    spanId: "dup",
    name: "first",
    timestamp: time + 61,
    durationMs: 1,
    status: "ok",
    ...odd,
  });
  out.push({ kind: "span-open", spanId: "dup", name: "second", timestamp: time + 62, ...odd });
  return out;
}

async function fixture(): Promise<{ store: TraceStore; fs: ReturnType<typeof createFakeFs> }> {
  const fs = createFakeFs();
  const sink = createJournalSink({
    path: "app.jsonl",
    fs,
    maxBytes: 4000,
    maxFiles: 100,
    compress: "gzip",
  });
  for (const record of workload()) sink.emit(record);
  await sink.idle();
  sink.close();
  const store = await openTraceStore(":memory:");
  await collectJournal("app.jsonl", { db: store, once: true, fs });
  return { store, fs };
}

/** A span without its tree, for comparing flat lists. */
function flat(span: TraceSpan) {
  const { children: _c, logs: _l, anomalies, ...rest } = span;
  return { ...rest, anomalies: anomalies.filter((a) => a === "close-without-open") };
}

function allSpans(roots: TraceSpan[]): TraceSpan[] {
  const out: TraceSpan[] = [];
  const walk = (span: TraceSpan) => {
    out.push(span);
    span.children.forEach(walk);
  };
  roots.forEach(walk);
  return out;
}

test("the tree of every turn equals reconstructTraces over that turn's records", async () => {
  const { store, fs } = await fixture();
  const turns = store.db.prepare("SELECT DISTINCT turn_id FROM spans ORDER BY turn_id").all();
  assert.equal(turns.length, 13);
  for (const { turn_id } of turns) {
    const fromJournal = await reconstructTraces(
      readJournal("app.jsonl", { fs, turnId: String(turn_id) }),
    );
    assert.deepEqual(queryTurn(store, String(turn_id)), fromJournal, `turn ${turn_id}`);
  }
  store.close();
});

test("the trees of every conversation equal reconstructTraces over its records", async () => {
  const { store, fs } = await fixture();
  for (const id of ["c0", "c1", "c2"]) {
    const fromJournal = await reconstructTraces(
      readJournal("app.jsonl", { fs, conversationId: id }),
    );
    assert.ok(fromJournal.spanCount > 10);
    assert.deepEqual(queryConversation(store, id), fromJournal, id);
  }
  store.close();
});

test("open, failed and slowest spans equal those of reconstructTraces over the journal", async () => {
  const { store, fs } = await fixture();
  const forest = await reconstructTraces(readJournal("app.jsonl", { fs }));
  const spans = allSpans(forest.roots);
  assert.ok(forest.open.length >= 3, "the crashed turn left spans open");
  assert.deepEqual(queryOpenSpans(store).map(flat), forest.open.map(flat));
  const failed = spans.filter((s) => s.status === "error").sort((a, b) => a.start - b.start);
  assert.ok(failed.length > 0);
  assert.deepEqual(queryErrorSpans(store).map(flat), failed.map(flat));
  const slowest = spans.filter((s) => s.status !== "open")
    .sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0)).slice(0, 5);
  assert.deepEqual(querySlowestSpans(store, 5).map(flat), slowest.map(flat));
  store.close();
});

test("query --json prints the same forest and lists as the library functions", async () => {
  const { store } = await fixture();
  const out: string[] = [];
  const io = { write: (text: string) => void out.push(text), error: () => {}, color: false };
  // The CLI opens the database by path: copy the in-memory store to a file.
  const dir = (await import("node:fs")).mkdtempSync(`${(await import("node:os")).tmpdir()}/query-`);
  const db = `${dir}/traces.db`;
  store.db.exec(`VACUUM INTO '${db}'`);
  assert.equal(await queryCommand(["--db", db, "--turn", "c1-t2", "--json"], io), 0);
  // The CLI adds the turn and the conversations it names (issue 12) to the forest.
  const { turnId, conversations, ...forest } = JSON.parse(out.pop() ?? "");
  assert.equal(turnId, "c1-t2");
  assert.deepEqual(conversations, ["c1"]);
  assert.deepEqual(forest, JSON.parse(JSON.stringify(queryTurn(store, "c1-t2"))));
  assert.equal(await queryCommand(["--db", db, "--open", "--json"], io), 0);
  const open = JSON.parse(out.pop() ?? "");
  assert.deepEqual(
    open.map((s: TraceSpan) => s.spanId),
    queryOpenSpans(store).map((s) => s.spanId),
  );
  assert.equal(await queryCommand(["--db", db, "--errors"], io), 0);
  assert.match(out.pop() ?? "", /\[error\]/);
  assert.equal(await queryCommand(["--db", db, "--slowest", "3"], io), 0);
  assert.match(out.pop() ?? "", /3 spans\n$/);
  assert.equal(await queryCommand(["--db", db, "--turn", "c2-t3"], io), 0);
  assert.match(out.pop() ?? "", /OPEN since/);
  assert.equal(await queryCommand(["--db", db, "--open", "--errors"], io), 2);
  store.close();
  (await import("node:fs")).rmSync(dir, { recursive: true, force: true });
});

test("the slowest spans stay exact across batches, a reopened store and retention", async () => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const dir = mkdtempSync(`${(await import("node:os")).tmpdir()}/slowest-`);
  try {
    const db = `${dir}/traces.db`;
    let seed = 3;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const closes = (from: number, count: number): LogRecord[] =>
      Array.from({ length: count }, (_, i) => ({
        kind: "span-close",
        spanId: `s${from + i}`,
        name: "work",
        timestamp: T0 + (from + i) * 1000,
        durationMs: Math.floor(rand() * 5000),
        status: "ok",
        extensionId: "host",
        turnId: `t${from + i}`,
      }));
    let store = await openTraceStore(db);
    for (let b = 0; b < 3; b++) store.ingest(closes(b * 1000, 1000));
    store.close();
    store = await openTraceStore(db); // the longest durations are reloaded from the store
    store.ingest(closes(3000, 1500));
    const { pruneTraceStore } = await import("../collector.ts");
    pruneTraceStore(store, { retainMs: 2000 * 1000, now: T0 + 4500 * 1000 }); // keeps 2500..4499
    const exact = (n: number) =>
      store.db.prepare("SELECT span_id FROM spans ORDER BY duration_ms DESC, id LIMIT ?").all(n)
        .map((row) => row.span_id);
    for (const n of [1, 10, 1000, 1500]) {
      assert.deepEqual(querySlowestSpans(store, n).map((s) => s.spanId), exact(n), `top ${n}`);
    }
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a store opened read-only is never created, migrated nor written, and still answers", async () => {
  const dir = mkdtempSync(join(tmpdir(), "query-readonly-"));
  try {
    const missing = join(dir, "missing.db");
    await assert.rejects(
      openTraceStore(missing, { readOnly: true }),
      /no trace store at .*missing\.db/,
    );
    assert.equal(existsSync(missing), false, "opening read-only created no file");
    const path = join(dir, "v2.db");
    const db = await openSqlite(path);
    db.exec(readFileSync(new URL("./fixtures/trace_store_v2.sql", import.meta.url), "utf8"));
    db.exec(`INSERT INTO turns (turn_id, first_ms, last_ms) VALUES ('t', 1, 5)`);
    db.exec(`INSERT INTO spans (span_id, name, start_ms, end_ms, duration_ms, status, extension_id,
        turn_id, attributes, links, input_tokens, turn_key) VALUES
      ('a', 'chat', 1, 5, 4, 'ok', 'host', 't', '{"gen_ai.usage.input_tokens":3}', '[]', 3, 1)`);
    db.close();
    const store = await openTraceStore(path, { readOnly: true });
    assert.equal(store.readOnly, true);
    assert.equal(queryTurn(store, "t").spanCount, 1);
    assert.deepEqual(queryUsage(store, { by: "turn" }).map((r) => [r.key, r.inputTokens]), [[
      "t",
      3,
    ]]);
    assert.throws(() =>
      store.ingest([{
        kind: "span-open",
        spanId: "b",
        name: "x",
        timestamp: 2,
        extensionId: "host",
      }])
    );
    store.close();
    const check = await openSqlite(path);
    assert.equal(check.prepare("PRAGMA user_version").get()?.user_version, 2, "not migrated");
    assert.equal(check.prepare("SELECT count(*) AS n FROM spans").get()?.n, 1, "not written");
    check.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
