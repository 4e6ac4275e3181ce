// One token rule: `readUsage` (src/genai/usage.ts) decides what a `gen_ai.usage.*_tokens`
// value counts for. The viewer over a journal, the viewer over a store and the CLI give the
// same totals for the same odd values (`stats` over the journal, `query --usage` over the
// store), and the page gets them from the API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import { runCli } from "./fixtures/run_cli.ts";

const T0 = 1_700_000_000_000;
const IN = "gen_ai.usage.input_tokens";
const OUT = "gen_ai.usage.output_tokens";

function span(
  turnId: string,
  spanId: string,
  at: number,
  open: Record<string, unknown>,
  close?: Record<string, unknown>,
): LogRecord[] {
  const scope = { spanId, name: "chat", extensionId: "host", conversationId: "c", turnId };
  return [
    { kind: "span-open", ...scope, timestamp: T0 + at, attributes: open } as LogRecord,
    {
      kind: "span-close",
      ...scope,
      timestamp: T0 + at + 1,
      durationMs: 1,
      status: "ok",
      ...(close ? { attributes: close } : {}),
    } as LogRecord,
  ];
}

/**
 * Numeric strings, negatives, NaN (written as null), a close that replaces a good count with
 * a bad one, counts past 2^53 whose sum passes SQLite's 64-bit integers, and a literal 1e999
 * (Infinity once parsed). Only non-negative finite numbers count: 7 + 3, 2^62 + 2^62, 1e300 + 1e300.
 */
const RECORDS: LogRecord[] = [
  ...span("t-odd", "a1", 0, { [IN]: "12", [OUT]: "4" }),
  ...span("t-odd", "a2", 2, { [IN]: -5, [OUT]: -6 }),
  ...span("t-odd", "a3", 4, { [IN]: Number.NaN, [OUT]: Number.NaN }),
  ...span("t-odd", "a4", 6, { [IN]: 7 }, { [OUT]: 2 }),
  ...span("t-odd", "a5", 8, { [IN]: 100, [OUT]: 100 }, { [IN]: "abc", [OUT]: -3 }),
  ...span("t-odd", "a6", 10, {}, { [IN]: 3 }),
  ...span("t-huge", "b1", 20, { [IN]: 2 ** 62, [OUT]: 1 }),
  ...span("t-huge", "b2", 22, { [IN]: 2 ** 62, [OUT]: 1 }),
  ...span("t-far", "c1", 30, { [IN]: 1e300, [OUT]: 5 }),
  ...span("t-far", "c2", 32, {}, { [IN]: 1e300 }),
];
/** Written by hand: JSON.stringify cannot write a number JSON.parse reads as Infinity. */
const INFINITE = [
  `{"kind":"span-open","spanId":"c3","name":"chat","timestamp":${T0 + 34},"extensionId":"host",` +
  `"conversationId":"c","turnId":"t-far","attributes":{"${IN}":1e999,"${OUT}":1e999}}`,
  `{"kind":"span-close","spanId":"c3","name":"chat","timestamp":${T0 + 35},"durationMs":1,` +
  `"status":"ok","extensionId":"host","conversationId":"c","turnId":"t-far"}`,
].join("\n") + "\n";

const EXPECTED: Record<string, { inputTokens: number; outputTokens: number }> = {
  "t-odd": { inputTokens: 10, outputTokens: 2 },
  "t-huge": { inputTokens: 2 ** 63, outputTokens: 2 },
  "t-far": { inputTokens: 2e300, outputTokens: 5 },
};
const SPANS = 11;

type Totals = Record<string, { inputTokens: number; outputTokens: number }>;

async function listTotals(viewer: ViewerServer): Promise<Totals> {
  let turns: { turnId: string; spans: number; inputTokens: number; outputTokens: number }[] = [];
  for (let i = 0; i < 200; i++) {
    turns = (await (await fetch(`${viewer.url}/api/turns`)).json()).turns;
    if (turns.reduce((n, turn) => n + turn.spans, 0) === SPANS) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Object.fromEntries(
    turns.map((turn) => [turn.turnId, {
      inputTokens: turn.inputTokens,
      outputTokens: turn.outputTokens,
    }]),
  );
}

/** What `/api/turn` sends as each turn's totals: the page displays these, it sums nothing. */
async function viewTotals(viewer: ViewerServer): Promise<Totals> {
  const totals: Totals = {};
  for (const turnId of Object.keys(EXPECTED)) {
    const page = await (await fetch(`${viewer.url}/api/turn?id=${turnId}`)).json();
    totals[turnId] = { inputTokens: page.inputTokens, outputTokens: page.outputTokens };
  }
  return totals;
}

test(
  "odd token values give the same totals from the journal source, the store source and the CLI",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "viewer-tokens-"));
    try {
      const journal = join(dir, "agent.jsonl");
      const sink = createJournalSink({ path: journal, fsync: "none" });
      for (const record of RECORDS) sink.emit(record);
      sink.close();
      appendFileSync(journal, INFINITE);
      const db = join(dir, "traces.db");
      await collectJournal(journal, { db, once: true });

      const overJournal = await serve({ journal, port: 0, pollMs: 20 });
      try {
        assert.deepEqual(await listTotals(overJournal), EXPECTED, "journal source, list");
        assert.deepEqual(await viewTotals(overJournal), EXPECTED, "journal source, turn");
      } finally {
        await overJournal.close();
      }
      const overStore = await serve({ db, port: 0 });
      try {
        assert.deepEqual(await listTotals(overStore), EXPECTED, "store source, list");
        assert.deepEqual(await viewTotals(overStore), EXPECTED, "store source, turn");
      } finally {
        await overStore.close();
      }

      const stats = await runCli(["stats", journal, "--json"]);
      assert.equal(stats.code, 0, stats.err);
      const byTurn = JSON.parse(stats.out).tokensByTurn as Totals;
      assert.deepEqual(
        Object.fromEntries(
          Object.entries(byTurn).map(([turnId, usage]) => [turnId, {
            inputTokens: usage.inputTokens,
            outputTokens: usage.outputTokens,
          }]),
        ),
        EXPECTED,
        "stats --json",
      );
      const query = await runCli(["query", "--db", db, "--usage", "--by", "turn", "--json"]);
      assert.equal(query.code, 0, query.err);
      const groups = JSON.parse(query.out) as {
        key: string;
        inputTokens: number;
        outputTokens: number;
      }[];
      assert.deepEqual(
        Object.fromEntries(groups.map((group) => [group.key, {
          inputTokens: group.inputTokens,
          outputTokens: group.outputTokens,
        }])),
        EXPECTED,
        "query --usage --by turn --json",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
