// /api/stats over a journal and over its store, on the fixture with known durations, tokens,
// prices and one failing tool (tests/fixtures/viewer_insight.ts): calls, errors, error rate,
// percentiles (exact from the store, within the stated bound from the journal), tokens, cost,
// the chart and the slowest and costliest turns; and the journal's bounded buckets.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { parsePrices } from "../src/collector/prices.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import type { StatsAnswer, StatsRow } from "../src/viewer/stats_view.ts";
import type { TurnListAnswer } from "../src/viewer/view_model.ts";
import { DurationHistogram, HISTOGRAM_ERROR } from "../src/viewer/duration_histogram.ts";
import {
  type FinishedSpan,
  JournalStats,
  MAX_KEYS_PER_KIND,
  OTHER,
} from "../src/viewer/journal_stats.ts";
import { INSIGHT_PRICES, insightRecords } from "./fixtures/viewer_insight.ts";

let dir: string;
let journal: string;
let db: string;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "viewer-stats-"));
  journal = join(dir, "agent.jsonl");
  const sink = createJournalSink({ path: journal, fsync: "none" });
  for (const record of insightRecords(T0)) sink.emit(record);
  sink.close();
  db = join(dir, "traces.db");
  await collectJournal(journal, { db, once: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function stats(viewer: ViewerServer, query = ""): Promise<StatsAnswer> {
  // A journal's server indexes as it follows: wait for the fixture's last close.
  for (let i = 0; i < 100; i++) {
    const list = await (await fetch(`${viewer.url}/api/turns`)).json() as TurnListAnswer;
    if (list.turns.length === 3 && list.turns.every((t) => t.status !== "open")) break;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  const response = await fetch(`${viewer.url}/api/stats${query}`);
  assert.equal(response.status, 200, await response.clone().text());
  return await response.json() as StatsAnswer;
}

/** What each row must say: calls, errors, p50/p95/p99 (ms), tokens in/out, cost. */
const EXPECTED: [string, number, number, [number, number, number], [number, number], number?][] = [
  ["name turn", 3, 0, [2000, 3000, 3000], [0, 0]],
  ["name chat gpt-test", 2, 0, [200, 400, 400], [3000, 300], 0.0072],
  ["name chat claude-test", 1, 0, [600, 600, 600], [3000, 300], 0.5],
  ["name execute_tool weather", 3, 1, [100, 150, 150], [0, 0]],
  ["model gpt-test", 2, 0, [200, 400, 400], [3000, 300], 0.0072],
  ["model claude-test", 1, 0, [600, 600, 600], [3000, 300], 0.5],
  ["tool weather", 3, 1, [100, 150, 150], [0, 0]],
];

function assertRows(rows: StatsRow[], expected: typeof EXPECTED, bound: number): void {
  const byKey = new Map(rows.map((r) => [`${r.kind} ${r.key}`, r]));
  assert.deepEqual([...byKey.keys()].sort(), expected.map((e) => e[0]).sort());
  for (const [key, calls, errors, [p50, p95, p99], [input, output], cost] of expected) {
    const row = byKey.get(key)!;
    assert.equal(row.calls, calls, key);
    assert.equal(row.errors, errors, key);
    assert.equal(row.errorRate, errors / calls, key);
    for (
      const [got, want, p] of [[row.p50Ms, p50, 50], [row.p95Ms, p95, 95], [row.p99Ms, p99, 99]]
    ) {
      assert.ok(
        Math.abs(got - want) <= want * bound,
        `${key} p${p}: ${got}, not ${want} ±${bound}`,
      );
    }
    assert.equal(row.inputTokens, input, key);
    assert.equal(row.outputTokens, output, key);
    assert.equal(row.costUsd, cost, key);
  }
}

for (const from of ["journal", "store"] as const) {
  describe(`/api/stats over a ${from}`, () => {
    let viewer: ViewerServer;
    before(async () => {
      const prices = parsePrices(INSIGHT_PRICES);
      viewer = await serve(
        from === "journal" ? { journal, port: 0, pollMs: 20, prices } : { db, port: 0, prices },
      );
    });
    after(() => viewer.close());

    test("each span name, model and tool has its calls, errors, error rate, percentiles, tokens and cost", async () => {
      const answer = await stats(viewer);
      assert.equal(answer.percentileError, from === "store" ? 0 : HISTOGRAM_ERROR);
      assertRows(answer.rows, EXPECTED, answer.percentileError);
      assert.equal(answer.rows[0].calls, 3, "most calls first");
      assert.equal(answer.from, null);
      assert.equal(answer.to, null);
    });

    test("the chart counts calls and errors in one-second buckets from the first start", async () => {
      const { chart } = await stats(viewer);
      assert.equal(chart.start, T0);
      assert.equal(chart.bucketMs, 1000);
      const calls = new Array(21).fill(0);
      calls[0] = calls[10] = calls[20] = 3; // each turn's root, chat and tool start in its first second
      const errors = new Array(21).fill(0);
      errors[20] = 1; // the third turn's tool, started at +20.62 s
      assert.deepEqual(chart.calls, calls);
      assert.deepEqual(chart.errors, errors);
    });

    test("the slowest and the costliest turns are listed with their duration and cost", async () => {
      const answer = await stats(viewer);
      assert.deepEqual(answer.slowest.map((t) => [t.turnId, t.durationMs, t.costUsd]), [
        ["t-3", 3000, 0.5],
        ["t-2", 2000, 0.0042],
        ["t-1", 1000, 0.003],
      ]);
      assert.deepEqual(answer.costliest.map((t) => [t.turnId, t.costUsd]), [
        ["t-3", 0.5],
        ["t-2", 0.0042],
        ["t-1", 0.003],
      ]);
      assert.equal(answer.turnsSeen, 3);
    });

    test("a time range counts only the spans and turns that started in it", async () => {
      const answer = await stats(viewer, `?from=${T0 + 10_000}&to=${T0 + 20_000}`);
      assert.equal(answer.from, T0 + 10_000);
      assert.equal(answer.to, T0 + 20_000);
      assertRows(answer.rows, [
        ["name turn", 1, 0, [2000, 2000, 2000], [0, 0]],
        ["name chat gpt-test", 1, 0, [400, 400, 400], [2000, 200], 0.0042],
        ["name execute_tool weather", 1, 0, [100, 100, 100], [0, 0]],
        ["model gpt-test", 1, 0, [400, 400, 400], [2000, 200], 0.0042],
        ["tool weather", 1, 0, [100, 100, 100], [0, 0]],
      ], answer.percentileError);
      assert.deepEqual(answer.slowest.map((t) => t.turnId), ["t-2"]);
      assert.deepEqual(answer.costliest.map((t) => t.turnId), ["t-2"]);
      assert.equal(answer.chart.calls.reduce((a, b) => a + b, 0), 3);
    });

    test("a range that holds nothing answers no rows and an empty chart", async () => {
      const answer = await stats(viewer, `?from=${T0 + 100_000}`);
      assert.deepEqual(answer.rows, []);
      assert.deepEqual(answer.chart.calls, []);
      assert.deepEqual(answer.slowest, []);
    });

    test("the route refuses a bad range, a foreign Host, another site and a write", async () => {
      assert.equal((await fetch(`${viewer.url}/api/stats?from=soon`)).status, 400);
      const port = viewer.port;
      const rawStatus = (head: string) =>
        new Promise<number>((resolve, reject) => {
          const socket = connect(port, "127.0.0.1");
          let text = "";
          socket.setEncoding("utf8");
          socket.on("data", (chunk) => (text += chunk));
          socket.on("error", reject);
          socket.on("end", () => resolve(Number(text.split(" ")[1])));
          socket.on("connect", () => socket.write(`${head}\r\nConnection: close\r\n\r\n`));
        });
      assert.equal(await rawStatus(`GET /api/stats HTTP/1.1\r\nHost: evil.example:${port}`), 421);
      assert.equal(
        await rawStatus(
          `GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nSec-Fetch-Site: cross-site`,
        ),
        403,
      );
      assert.equal(
        await rawStatus(`POST /api/stats HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0`),
        405,
      );
      const page = await fetch(`${viewer.url}/stats`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      assert.doesNotMatch(await page.text(), /weather|gpt-test/);
    });
  });
}

const span = (over: Partial<FinishedSpan>): FinishedSpan => ({
  name: "s",
  model: null,
  tool: null,
  start: T0,
  durationMs: 1,
  failed: false,
  inputTokens: 0,
  outputTokens: 0,
  cost: null,
  ...over,
});

test("a histogram's percentiles are within its stated error of the exact ones", () => {
  const values: number[] = [];
  let seed = 7;
  for (let i = 0; i < 10_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    values.push(0.5 + (seed / 2 ** 31) ** 3 * 60_000); // 0.5 ms to a minute, skewed short
  }
  const histogram = new DurationHistogram();
  for (const v of values) histogram.add(v);
  const sorted = [...values].sort((a, b) => a - b);
  for (const p of [1, 10, 50, 90, 95, 99, 100]) {
    const exact = sorted[Math.max(1, Math.ceil(p * sorted.length / 100)) - 1];
    const got = histogram.percentile(p);
    assert.ok(Math.abs(got - exact) <= exact * HISTOGRAM_ERROR, `p${p}: ${got} vs ${exact}`);
  }
  assert.ok(HISTOGRAM_ERROR < 0.022);
});

test("the journal's buckets stay at most 128, merged in pairs, and keep every count", () => {
  const stats = new JournalStats();
  // A span a second for 1000 s: 1 s buckets would be 1000; they merge to 8 s (125 buckets).
  for (let i = 0; i < 1000; i++) {
    stats.add(span({ start: T0 + i * 1000, durationMs: i + 1, failed: i % 10 === 0 }));
  }
  const answer = stats.answer({}, []);
  assert.equal(answer.chart.bucketMs, 8000);
  assert.ok(answer.chart.calls.length <= 128);
  assert.equal(answer.chart.calls.reduce((a, b) => a + b, 0), 1000);
  assert.equal(answer.chart.errors.reduce((a, b) => a + b, 0), 100);
  assert.equal(answer.rows[0].calls, 1000);
  assert.equal(answer.rows[0].errors, 100);
  assert.ok(Math.abs(answer.rows[0].p50Ms - 500) <= 500 * HISTOGRAM_ERROR);
  // A range is answered in whole buckets: it widens to their edges, and says so.
  const part = stats.answer({ from: T0 + 10_000, to: T0 + 20_000 }, []);
  assert.equal(part.from, T0 + 8000);
  assert.equal(part.to, T0 + 24_000);
  assert.equal(part.rows[0].calls, 16);
});

test("past 64 names in a bucket, the rest are counted under (other)", () => {
  const stats = new JournalStats();
  for (let i = 0; i < MAX_KEYS_PER_KIND + 10; i++) stats.add(span({ name: `n${i}` }));
  const rows = stats.answer({}, []).rows;
  assert.equal(rows.length, MAX_KEYS_PER_KIND + 1);
  assert.equal(rows.find((r) => r.key === OTHER)?.calls, 10);
});
