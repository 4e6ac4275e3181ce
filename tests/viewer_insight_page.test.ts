// The page's pure steps for cost and conversations, without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatCost, usageText } from "../src/viewer/page/cost_format.js";
import {
  chatTurnFacts,
  conversationTotalsText,
  toolText,
} from "../src/viewer/page/conversation_model.js";

test("a cost is written with four decimals below a dollar, cents above, a dash when unknown", () => {
  assert.equal(formatCost(0.0042), "$0.0042");
  assert.equal(formatCost(0.5072), "$0.5072");
  assert.equal(formatCost(1234.567), "$1,234.57");
  assert.equal(formatCost(1.999), "$2.00");
  assert.equal(formatCost(0.00001), "<$0.0001");
  assert.equal(formatCost(0), "$0");
  assert.equal(formatCost(undefined), "–");
  assert.equal(formatCost(Number.NaN), "–");
});

test("tokens and cost go together, each left out when absent", () => {
  assert.equal(
    usageText({ inputTokens: 1200, outputTokens: 300, costUsd: 0.0123 }),
    "1,200 / 300 tokens · $0.0123",
  );
  assert.equal(usageText({ inputTokens: 0, outputTokens: 0, costUsd: 0.5 }), "$0.5000");
  assert.equal(usageText({ inputTokens: 5, outputTokens: 0 }), "5 / 0 tokens");
});

test("a chat turn's header says its duration (an open one's until now), usage and errors", () => {
  const turn = {
    turnId: "t",
    name: "turn",
    start: 1000,
    end: 4000,
    status: "error" as const,
    spans: 3,
    errors: 1,
    inputTokens: 3000,
    outputTokens: 300,
    costUsd: 0.5,
    prompt: null,
    promptFrom: null,
    tools: [],
    answer: null,
  };
  assert.equal(chatTurnFacts(turn, 99_999), "3.00 s · 3,000 / 300 tokens · $0.5000 · 1 error");
  assert.equal(
    chatTurnFacts({ ...turn, status: "open", errors: 0 }, 11_000),
    "10.0 s · 3,000 / 300 tokens · $0.5000",
  );
  assert.equal(
    toolText({ name: "weather", spanId: "s", status: "error", durationMs: 150 }),
    "weather · 150 ms",
  );
  assert.equal(toolText({ name: "weather", spanId: "s", status: "open" }), "weather");
});

test("a conversation's totals read as one line", () => {
  assert.equal(
    conversationTotalsText({
      conversationId: "c",
      turns: 3,
      start: 0,
      end: 1,
      errors: 1,
      inputTokens: 6000,
      outputTokens: 600,
      costUsd: 0.5072,
    }),
    "3 turns · 1 failed · 6,000 / 600 tokens · $0.5072",
  );
  assert.equal(
    conversationTotalsText({
      conversationId: "c",
      turns: 1,
      start: 0,
      end: 1,
      errors: 0,
      inputTokens: 0,
      outputTokens: 0,
    }),
    "1 turn",
  );
});

test("the list's filters live in the address (shareable, reloadable); the API gets times in ms", async () => {
  const { apiQuery, listFilters, listQuery } = await import("../src/viewer/page/list_model.js");
  const address = "model=gpt-test&attr=gen_ai.tool.name%3Dweather&minMs=1500&maxMs=2500" +
    "&from=2026-01-05T12%3A00&status=error";
  const filters = listFilters(new URLSearchParams(address));
  assert.equal(filters.model, "gpt-test");
  assert.equal(filters.attr, "gen_ai.tool.name=weather");
  assert.equal(
    listQuery(filters).toString(),
    "status=error&model=gpt-test&attr=gen_ai.tool.name%3Dweather&minMs=1500&maxMs=2500" +
      "&from=2026-01-05T12%3A00",
  );
  assert.equal(
    apiQuery(filters).get("from"),
    String(new Date("2026-01-05T12:00").getTime()),
  );
  assert.equal(listQuery({ ...filters, conversation: "c" }).get("view"), "list");
  assert.equal(apiQuery({ ...filters, conversation: "c" }).get("view"), null);
});
