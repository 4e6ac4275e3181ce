// Cost, conversation totals and the chat view over a journal and over its store, on a fixture
// with known tokens, prices, durations and one failing tool (tests/fixtures/viewer_insight.ts).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { parsePrices } from "../src/collector/prices.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import type { TraceViewPage, TurnListAnswer } from "../src/viewer/view_model.ts";
import type { ConversationView } from "../src/viewer/conversation_view.ts";
import {
  INSIGHT_CONVERSATION,
  INSIGHT_PRICES,
  INSIGHT_TURNS,
  insightRecords,
} from "./fixtures/viewer_insight.ts";

let dir: string;
let journal: string;
let db: string;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "viewer-insight-"));
  journal = join(dir, "agent.jsonl");
  const sink = createJournalSink({ path: journal, fsync: "none" });
  for (const record of insightRecords(T0)) sink.emit(record);
  sink.close();
  db = join(dir, "traces.db");
  await collectJournal(journal, { db, once: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function json<T>(viewer: ViewerServer, path: string): Promise<T> {
  const response = await fetch(viewer.url + path);
  assert.equal(
    response.status,
    200,
    `${path}: ${response.status} ${await response.clone().text()}`,
  );
  return await response.json() as T;
}

/** The list once the server has indexed every turn of the fixture. */
async function list(viewer: ViewerServer, query = ""): Promise<TurnListAnswer> {
  for (let i = 0; i < 100; i++) {
    const answer = await json<TurnListAnswer>(viewer, `/api/turns?${query}`);
    if (answer.turns.length === 3 && answer.turns.every((t) => t.status !== "open")) return answer;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  throw new Error("the fixture's turns were never all listed");
}

for (const from of ["journal", "store"] as const) {
  describe(`over a ${from}`, () => {
    let viewer: ViewerServer;
    before(async () => {
      const prices = parsePrices(INSIGHT_PRICES);
      viewer = await serve(
        from === "journal" ? { journal, port: 0, pollMs: 20, prices } : { db, port: 0, prices },
      );
    });
    after(() => viewer.close());

    test("each turn in the list costs its tokens at the prices file's rates, cache reads at theirs, or its own cost", async () => {
      const answer = await list(viewer);
      const byId = new Map(answer.turns.map((t) => [t.turnId, t]));
      for (const turn of INSIGHT_TURNS) {
        const line = byId.get(turn.turnId)!;
        assert.equal(line.costUsd, turn.cost, turn.turnId);
        assert.equal(line.inputTokens, turn.input, turn.turnId);
        assert.equal(line.outputTokens, turn.output, turn.turnId);
        assert.equal(line.status, turn.status, turn.turnId);
      }
    });

    test("the list gives its conversations' totals: turns, errors, tokens and cost", async () => {
      const answer = await list(viewer);
      assert.deepEqual(answer.conversations, [{
        conversationId: INSIGHT_CONVERSATION,
        turns: 3,
        start: T0,
        end: T0 + 20_000 + 3000,
        errors: 1,
        inputTokens: 6000,
        outputTokens: 600,
        costUsd: 0.5072,
      }]);
    });

    test("a turn's answer carries its cost beside its tokens", async () => {
      await list(viewer);
      const page = await json<TraceViewPage>(viewer, "/api/turn?id=t-2");
      assert.equal(page.costUsd, 0.0042);
      assert.equal(page.inputTokens, 2000);
    });

    test("the conversation's turns come in order with prompt, tools, answer, tokens, cost and duration", async () => {
      await list(viewer);
      const chat = await json<ConversationView>(
        viewer,
        `/api/conversation?id=${INSIGHT_CONVERSATION}`,
      );
      assert.deepEqual(chat.turns.map((t) => t.turnId), ["t-1", "t-2", "t-3"]);
      assert.deepEqual(
        chat.turns.map((t) => [t.prompt?.text, t.promptFrom]),
        [
          ["Question 1: weather in Oslo?", "prompt:before"],
          ["Question 2: weather in Oslo?", "model call"],
          ["Question 3: weather in Oslo?", "prompt:before"],
        ],
      );
      assert.deepEqual(
        chat.turns.map((t) => t.tools.map((tool) => [tool.name, tool.status, tool.durationMs])),
        [[["weather", "ok", 50]], [["weather", "ok", 100]], [["weather", "error", 150]]],
      );
      assert.deepEqual(chat.turns.map((t) => t.answer?.text), [
        "Answer 1: rain.",
        "Answer 2: rain.",
        "Answer 3: rain.",
      ]);
      assert.deepEqual(chat.turns.map((t) => t.end - t.start), [1000, 2000, 3000]);
      assert.deepEqual(chat.turns.map((t) => t.costUsd), [0.003, 0.0042, 0.5]);
      assert.deepEqual(chat.turns.map((t) => t.status), ["ok", "ok", "error"]);
      assert.equal(chat.totals.costUsd, 0.5072);
      assert.equal(chat.totals.turns, 3);
    });

    test("a conversation no record names is 404", async () => {
      await list(viewer);
      const response = await fetch(`${viewer.url}/api/conversation?id=nope`);
      await response.body?.cancel();
      assert.equal(response.status, 404);
    });
  });
}

test("without prices only the spans' own costs count", async () => {
  const viewer = await serve({ journal, port: 0, pollMs: 20 });
  try {
    const answer = await list(viewer);
    const byId = new Map(answer.turns.map((t) => [t.turnId, t.costUsd]));
    assert.deepEqual([byId.get("t-1"), byId.get("t-2"), byId.get("t-3")], [
      undefined,
      undefined,
      0.5,
    ]);
  } finally {
    await viewer.close();
  }
});

for (const from of ["journal", "store"] as const) {
  test(`over a ${from}, the list filters by model, attribute, duration, time and log text`, async () => {
    const viewer = await serve(
      from === "journal" ? { journal, port: 0, pollMs: 20 } : { db, port: 0 },
    );
    try {
      await list(viewer);
      const ids = async (query: string) =>
        (await json<TurnListAnswer>(viewer, `/api/turns?${query}`)).turns.map((t) => t.turnId);
      assert.deepEqual(await ids("model=claude-test"), ["t-3"]);
      assert.deepEqual(await ids("model=gpt-test"), ["t-2", "t-1"]);
      assert.deepEqual(await ids("attr=gen_ai.tool.name%3Dweather"), ["t-3", "t-2", "t-1"]);
      assert.deepEqual(await ids("attr=gen_ai.request.model%3Dclaude-test"), ["t-3"]);
      assert.deepEqual(await ids("minMs=1500"), ["t-3", "t-2"]);
      assert.deepEqual(await ids("minMs=1500&maxMs=2500"), ["t-2"]);
      assert.deepEqual(await ids(`from=${T0 + 5000}&to=${T0 + 15_000}`), ["t-2"]);
      assert.deepEqual(await ids("q=unreachable"), ["t-3"]);
      assert.deepEqual(await ids("q=unreachable&status=ok"), []);
      assert.deepEqual(await ids("status=error&extension=ext-b"), ["t-3"]);
    } finally {
      await viewer.close();
    }
  });
}
