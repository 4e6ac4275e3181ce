// Every naming style in, one accounting out: a fixture per style (OpenInference, OpenLLMetry,
// deprecated GenAI names, the AI SDK's spans, Claude Code's log events) sent as a real OTLP/JSON
// request to the receiver, collected by `journal-sink collect`, and asked of with
// `journal-sink query --usage --json --prices`: exact totals, cache counts and cost.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";
import { runCli } from "./fixtures/run_cli.ts";

const fixture = (name: string) => new URL(`./fixtures/naming/${name}`, import.meta.url);
const PRICES = fixture("prices.json").pathname;

/** Posts the fixture to the receiver, collects the journal, and runs `query --usage` with `args`. */
async function usageOf(
  name: string,
  signal: "traces" | "logs",
  args: string[],
): Promise<{ rows: Record<string, unknown>[]; journal: Record<string, unknown>[] }> {
  const dir = mkdtempSync(join(tmpdir(), "naming-"));
  try {
    const journal = join(dir, "otlp.jsonl");
    const db = join(dir, "traces.db");
    const receiver = await receiveOtlp({ journal: { path: journal }, port: 0 });
    try {
      const response = await fetch(`${receiver.url}/v1/${signal}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: readFileSync(fixture(name)),
      });
      assert.equal(response.status, 200, await response.text());
    } finally {
      await receiver.close();
    }
    const collected = await runCli(["collect", "--db", db, "--once", journal]);
    assert.equal(collected.code, 0, collected.err);
    const query = await runCli([
      "query",
      "--db",
      db,
      "--usage",
      "--json",
      "--prices",
      PRICES,
      ...args,
    ]);
    assert.equal(query.code, 0, query.err);
    const records = readFileSync(journal, "utf8").split("\n").filter(Boolean).map((line) =>
      JSON.parse(line)
    );
    return { rows: JSON.parse(query.out), journal: records };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A cost as the report gives it: summed, rid of float noise below a pico-dollar. */
const usd = (value: number) => Math.round(value * 1e12) / 1e12;

const row = (
  key: string,
  spans: number,
  inputTokens: number,
  outputTokens: number,
  cacheReadTokens: number,
  cacheWriteTokens: number,
  costUsd: number | null,
  extra: Record<string, unknown> = {},
) => ({
  key,
  spans,
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
  costUsd: costUsd === null ? null : usd(costUsd),
  unpricedSpans: 0,
  ...extra,
});

test("OpenInference: LLM spans count, the chain span repeating them does not; llm.cost.total wins", async () => {
  const { rows } = await usageOf("openinference.json", "traces", ["--by", "model"]);
  assert.deepEqual(
    rows,
    [
      // 1200 in (1000 read from the cache, priced at the input rate: the entry has no cacheRead).
      row("gpt-4o", 1, 1200, 300, 1000, 0, (1200 * 2.5 + 300 * 10) / 1e6, {
        assumedRates: { cacheRead: "input" },
      }),
      row("claude-sonnet-4-5", 1, 2000, 100, 0, 500, 0.05),
    ].sort((a, b) => b.inputTokens + b.outputTokens - a.inputTokens - a.outputTokens),
  );
  const [conversation] = (await usageOf("openinference.json", "traces", ["--by", "conversation"]))
    .rows;
  assert.deepEqual([conversation.key, conversation.spans, conversation.inputTokens], [
    "oi-session",
    2,
    3200,
  ]);
});

test("OpenLLMetry: prompt_tokens with the cache inside, each cache count priced at its own rate", async () => {
  const { rows } = await usageOf("openllmetry.json", "traces", ["--by", "conversation"]);
  // 100 new input tokens at 3, 10,000 cache reads at 0.3, 200 cache writes at 3.75, 400 out at 15.
  const cost = (100 * 3 + 10_000 * 0.3 + 200 * 3.75 + 400 * 15) / 1e6;
  assert.deepEqual(rows, [row("ol-conv", 1, 10_300, 400, 10_000, 200, cost)]);
  const byModel = await usageOf("openllmetry.json", "traces", ["--by", "model"]);
  assert.equal(byModel.rows[0].key, "claude-sonnet-4-5-20250929");
  assert.equal(byModel.rows[0].costUsd, usd(cost));
});

test("deprecated GenAI names count, and a span with the deprecated and the current names counts once", async () => {
  const { rows } = await usageOf("deprecated_genai.json", "traces", ["--by", "conversation"]);
  assert.deepEqual(rows, [row("dep-conv", 2, 1300, 130, 0, 0, (1300 * 2.5 + 130 * 10) / 1e6)]);
});

test("AI SDK spans: the model calls count, the call span that repeats their usage does not", async () => {
  const { rows } = await usageOf("ai_sdk.json", "traces", ["--by", "model"]);
  assert.deepEqual(rows, [
    row("gpt-4o-2024-08-06", 2, 3000, 200, 1500, 0, (3000 * 2.5 + 200 * 10) / 1e6, {
      assumedRates: { cacheRead: "input" },
    }),
  ]);
});

test("Claude Code's api_request log events become model calls, summed per session", async () => {
  const { rows, journal } = await usageOf("claude_code_logs.json", "logs", [
    "--by",
    "conversation",
  ]);
  assert.deepEqual(rows, [
    // Claude Code's own cost_usd wins; its input_tokens leaves the cache out, the count adds it.
    row("sess-1", 2, 100 + 20_000 + 1000 + 50, 500 + 20, 20_000, 1000, 0.02415 + 0.001),
    // No cost_usd: priced from the file.
    row("sess-2", 1, 10, 5, 0, 0, (10 * 3 + 5 * 15) / 1e6),
  ]);
  const kinds = journal.map((r) => `${r.kind} ${r.kind === "log" ? r.msg : r.name}`);
  assert.deepEqual(kinds, [
    "log claude_code.user_prompt",
    "span-open chat claude-sonnet-4-5-20250929",
    "span-close chat claude-sonnet-4-5-20250929",
    "span-open chat claude-haiku-4-5-20251001",
    "span-close chat claude-haiku-4-5-20251001",
    "span-open chat claude-sonnet-4-5-20250929",
    "span-close chat claude-sonnet-4-5-20250929",
  ]);
  const [, open, close] = journal;
  // Opened when the request started (the event's time less duration_ms), closed at the event.
  assert.equal((close.timestamp as number) - (open.timestamp as number), 2500);
  assert.deepEqual(
    [open.extensionId, open.conversationId, open.turnId, close.status],
    ["claude-code", "sess-1", "p-1", "ok"],
  );
  const turns = await usageOf("claude_code_logs.json", "logs", ["--by", "turn"]);
  assert.deepEqual(turns.rows.map((r) => [r.key, r.spans]), [["p-1", 1], ["p-2", 1], ["p-9", 1]]);
});
