// The CLI over the trace store and GenAI usage: `query --usage`, `query --turn
// --conversation`, `collect --retain`, token totals in `stats` and `spans`, `--trace`.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { runCli as run } from "./fixtures/run_cli.ts";

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "cli-store-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

const DAY = 86_400_000;

/** A chat span of `turn` in `conversation` with its usage on the close. */
function chat(
  spanId: string,
  conversationId: string,
  turnId: string,
  model: string,
  input: number,
  output: number,
  timestamp: number,
): LogRecord[] {
  const scope = { spanId, name: `chat ${model}`, extensionId: "host", conversationId, turnId };
  return [
    {
      kind: "span-open",
      ...scope,
      timestamp,
      attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": model },
    },
    {
      kind: "span-close",
      ...scope,
      timestamp: timestamp + 5,
      durationMs: 5,
      status: "ok",
      attributes: { "gen_ai.usage.input_tokens": input, "gen_ai.usage.output_tokens": output },
    },
  ];
}

function writeJournal(path: string, records: LogRecord[]): void {
  const sink = createJournalSink({ path });
  for (const record of records) sink.emit(record);
  sink.close();
}

const NOW = Date.now();
const RECORDS: LogRecord[] = [
  ...chat("a1", "c1", "t1", "gpt-4o", 1000, 100, NOW - 3 * DAY),
  ...chat("a2", "c1", "t2", "gpt-4o", 3000, 300, NOW - 1000),
  ...chat("b1", "c2", "t1", "claude", 500, 50, NOW - 500),
];

async function collected(dir: string, records = RECORDS): Promise<string> {
  const journal = join(dir, "app.jsonl");
  const db = join(dir, "traces.db");
  writeJournal(journal, records);
  const result = await run(["collect", "--db", db, "--once", journal]);
  assert.equal(result.code, 0, result.err);
  return db;
}

describe("journal-sink query --usage", () => {
  test("--json prints one row per model with its tokens, and the cost from --prices", async () => {
    using tmp = tempDir();
    const db = await collected(tmp.dir);
    const prices = join(tmp.dir, "prices.json");
    writeFileSync(prices, JSON.stringify({ "gpt-4o": { input: 2.5, output: 10 } }));
    const result = await run(["query", "--db", db, "--usage", "--prices", prices, "--json"]);
    assert.equal(result.code, 0, result.err);
    const rows = JSON.parse(result.out) as {
      key: string;
      spans: number;
      inputTokens: number;
      outputTokens: number;
      costUsd: number | null;
    }[];
    const byKey = Object.fromEntries(rows.map((row) => [row.key, row]));
    assert.equal(byKey["gpt-4o"].spans, 2);
    assert.equal(byKey["gpt-4o"].inputTokens, 4000);
    assert.equal(byKey["gpt-4o"].outputTokens, 400);
    assert.ok(Math.abs(byKey["gpt-4o"].costUsd! - (4000 * 2.5 + 400 * 10) / 1e6) < 1e-12);
    assert.equal(byKey.claude.inputTokens, 500);
    assert.equal(byKey.claude.costUsd, null);
  });

  test("--by conversation --since 1d groups and leaves out older spans; text is a table", async () => {
    using tmp = tempDir();
    const db = await collected(tmp.dir);
    const json = await run([
      "query",
      "--db",
      db,
      "--usage",
      "--by",
      "conversation",
      "--since",
      "1d",
      "--json",
    ]);
    assert.equal(json.code, 0, json.err);
    const rows = JSON.parse(json.out) as { key: string; inputTokens: number }[];
    assert.deepEqual(
      rows.map((row) => [row.key, row.inputTokens]).sort(),
      [["c1", 3000], ["c2", 500]],
    );
    const text = await run(["query", "--db", db, "--usage", "--by", "conversation"]);
    assert.match(text.out, /^conversation\s+spans\s+input tokens/);
    assert.match(text.out, /\btotal\s+3\s+4,500\b/);
  });

  test("a bad prices file is exit 2 naming the entry; --by without --usage is exit 2", async () => {
    using tmp = tempDir();
    const db = await collected(tmp.dir);
    const prices = join(tmp.dir, "prices.json");
    writeFileSync(prices, JSON.stringify({ "gpt-4o": { input: "cheap", output: 10 } }));
    const bad = await run(["query", "--db", db, "--usage", "--prices", prices]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /prices\["gpt-4o"\]\.input/);
    writeFileSync(prices, "{ not json");
    const broken = await run(["query", "--db", db, "--usage", "--prices", prices]);
    assert.equal(broken.code, 2);
    assert.match(broken.err, /prices\.json/);
    const stray = await run(["query", "--db", db, "--open", "--by", "model"]);
    assert.equal(stray.code, 2);
    assert.match(stray.err, /--by goes with --usage/);
    const key = await run(["query", "--db", db, "--usage", "--by", "colour"]);
    assert.equal(key.code, 2);
    assert.match(key.err, /--by takes model, turn, conversation, extension/);
  });
});

describe("journal-sink query --turn", () => {
  test("--conversation scopes a turn id that two conversations share, and is shown", async () => {
    using tmp = tempDir();
    const db = await collected(tmp.dir);
    const both = await run(["query", "--db", db, "--turn", "t1"]);
    assert.equal(both.code, 0, both.err);
    assert.match(both.out, /^turn t1 in conversations c1, c2 \(give --conversation/);
    const scoped = await run(["query", "--db", db, "--turn", "t1", "--conversation", "c2"]);
    assert.equal(scoped.code, 0, scoped.err);
    assert.match(scoped.out, /^turn t1 in conversation c2\n/);
    assert.match(scoped.out, /chat claude/);
    assert.doesNotMatch(scoped.out, /gpt-4o/);
    const json = await run(["query", "--db", db, "--turn", "t1", "--conversation", "c1", "--json"]);
    const forest = JSON.parse(json.out);
    assert.equal(forest.turnId, "t1");
    assert.deepEqual(forest.conversations, ["c1"]);
    assert.deepEqual(forest.roots.map((span: { spanId: string }) => span.spanId), ["a1"]);
  });
});

describe("journal-sink collect --retain", () => {
  test("prunes turns older than the age before collecting, and says so on stderr", async () => {
    using tmp = tempDir();
    const db = await collected(tmp.dir);
    const journal = join(tmp.dir, "app.jsonl");
    const result = await run(["collect", "--db", db, "--once", "--retain", "2d", journal]);
    assert.equal(result.code, 0, result.err);
    assert.match(result.err, /pruned 1 turns .*: 1 spans, 0 log entries/);
    const left = await run(["query", "--db", db, "--usage", "--by", "turn", "--json"]);
    const rows = JSON.parse(left.out) as { key: string }[];
    assert.deepEqual(rows.map((row) => row.key).sort(), ["t1", "t2"]);
    const turn = await run(["query", "--db", db, "--turn", "t1", "--conversation", "c1", "--json"]);
    assert.equal(turn.code, 1, "the pruned turn is gone");
    assert.match(turn.err, /no turn t1 in conversation c1 in /);
    const again = await run(["collect", "--db", db, "--once", "--retain", "2d", journal]);
    assert.equal(again.err, "", "nothing left to prune: nothing said");
  });

  test("--max-conversations keeps the most recent; a bad age is exit 2", async () => {
    using tmp = tempDir();
    const db = await collected(tmp.dir);
    const journal = join(tmp.dir, "app.jsonl");
    const result = await run([
      "collect",
      "--db",
      db,
      "--once",
      "--max-conversations",
      "1",
      journal,
    ]);
    assert.equal(result.code, 0, result.err);
    assert.match(result.err, /pruned \d+ turns \(1 conversations\)/);
    const bad = await run(["collect", "--db", db, "--retain", "7 days", journal]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /not an age: 7 days/);
  });
});

describe("token totals per turn in stats and spans", () => {
  function fakeJournal(records: LogRecord[]) {
    const fs = createFakeFs();
    const sink = createJournalSink({ path: "j.jsonl", fs });
    for (const record of records) sink.emit(record);
    sink.close();
    return fs;
  }

  test("stats and spans show them, as text and as tokensByTurn in JSON", async () => {
    const fs = fakeJournal(RECORDS);
    const stats = await run(["stats", "--json", "j.jsonl"], { fs });
    assert.deepEqual(JSON.parse(stats.out).tokensByTurn, {
      t1: { spans: 2, inputTokens: 1500, outputTokens: 150, costUsd: null },
      t2: { spans: 1, inputTokens: 3000, outputTokens: 300, costUsd: null },
    });
    const statsText = await run(["stats", "j.jsonl"], { fs });
    assert.match(statsText.out, /^tokens\s+t1 {2}input 1,500 · output 150 tokens \(2 spans\)$/m);
    assert.match(statsText.out, /^\s+t2 {2}input 3,000 · output 300 tokens \(1 span\)$/m);
    const spans = await run(["spans", "--json", "--conversation", "c2", "j.jsonl"], { fs });
    assert.deepEqual(JSON.parse(spans.out).tokensByTurn, {
      t1: { spans: 1, inputTokens: 500, outputTokens: 50, costUsd: null },
    });
    const spansText = await run(["spans", "j.jsonl"], { fs });
    assert.match(spansText.out, /^tokens by turn\n {2}t1 {2}input 1,500/m);
  });

  test("without gen_ai.usage.* they are left out", async () => {
    const fs = fakeJournal([
      { kind: "span-open", spanId: "s", name: "tool", timestamp: 1, extensionId: "h", turnId: "t" },
    ]);
    const stats = await run(["stats", "--json", "j.jsonl"], { fs });
    assert.equal("tokensByTurn" in JSON.parse(stats.out), false);
    const spans = await run(["spans", "j.jsonl"], { fs });
    assert.doesNotMatch(spans.out, /tokens/);
    assert.doesNotMatch((await run(["stats", "j.jsonl"], { fs })).out, /^tokens/m);
  });
});

describe("--trace", () => {
  test("keeps the records of one trace id, any case; a malformed id is exit 2", async () => {
    const id = "5b8efff798038103d269b633813fc60c";
    const fs = createFakeFs();
    const sink = createJournalSink({ path: "j.jsonl", fs });
    sink.emit({
      kind: "log",
      level: "info",
      msg: "in",
      timestamp: 1,
      extensionId: "h",
      traceId: id,
    });
    sink.emit({ kind: "log", level: "info", msg: "out", timestamp: 2, extensionId: "h" });
    sink.close();
    const result = await run(["tail", "--json", "--trace", id.toUpperCase(), "j.jsonl"], { fs });
    assert.equal(result.code, 0, result.err);
    assert.deepEqual(result.out.trim().split("\n").map((line) => JSON.parse(line).msg), ["in"]);
    const bad = await run(["tail", "--trace", "abc", "j.jsonl"], { fs });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--trace needs a trace id of 32 hex digits/);
  });
});
