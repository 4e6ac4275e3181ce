// readUsage over the naming styles table: every name in the table is read, precedence between
// styles, the spans that repeat a model call's usage, the cached tokens inside the input count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readUsage } from "../src/genai/usage.ts";
import { COST_ATTRIBUTES, NAMING_STYLES } from "../src/genai/naming_styles.ts";
import { claudeCodeModelCall } from "../src/genai/claude_code_events.ts";

test("every token, model, provider and cost name of the table is read by readUsage", () => {
  for (const style of NAMING_STYLES) {
    const fields = [
      ["inputTokens", style.inputTokens],
      ["outputTokens", style.outputTokens],
      ["cacheReadTokens", style.cacheReadTokens],
      ["cacheWriteTokens", style.cacheWriteTokens],
    ] as const;
    for (const [field, names] of fields) {
      for (const name of names) {
        // A cache count beside an input count at least as large, so it stays inside it.
        const cache = field === "cacheReadTokens" || field === "cacheWriteTokens";
        const usage = readUsage(
          cache ? { [style.inputTokens[0]]: 1000, [name]: 7 } : { [name]: 7 },
        );
        assert.equal(usage[field], 7, `${style.style} ${name}`);
        assert.equal(usage.style, style.style, name);
      }
    }
    for (const name of style.model) assert.equal(readUsage({ [name]: "m" }).model, "m", name);
    for (const name of style.provider) assert.equal(readUsage({ [name]: "p" }).provider, "p", name);
  }
  for (const name of COST_ATTRIBUTES) assert.equal(readUsage({ [name]: 0.5 }).costUsd, 0.5, name);
});

test("two styles on one span count once, by precedence: current, deprecated, OpenInference, AI SDK", () => {
  const usage = readUsage({
    "ai.usage.inputTokens": 9,
    "llm.token_count.prompt": 8,
    "gen_ai.usage.prompt_tokens": 7,
    "gen_ai.usage.input_tokens": 6,
    "gen_ai.usage.output_tokens": 1,
  });
  assert.deepEqual([usage.style, usage.inputTokens, usage.outputTokens], ["gen_ai", 6, 1]);
  const noCurrent = readUsage({ "llm.token_count.prompt": 8, "gen_ai.usage.prompt_tokens": 7 });
  assert.deepEqual([noCurrent.style, noCurrent.inputTokens], ["gen_ai_deprecated", 7]);
  // Model: the one that ran first, then the one asked for; cost: gen_ai.usage.cost first.
  const both = readUsage({
    "ai.model.id": "c",
    "gen_ai.request.model": "b",
    "llm.model_name": "d",
    "gen_ai.response.model": "a",
    cost_usd: 2,
    "gen_ai.usage.cost": 1,
  });
  assert.deepEqual([both.model, both.costUsd], ["a", 1]);
});

test("the AI SDK's call span and OpenInference's chain spans, which repeat the model call's usage, count nothing", () => {
  const call = readUsage({ "ai.operationId": "ai.streamText", "ai.usage.inputTokens": 100 });
  const model = readUsage({
    "ai.operationId": "ai.streamText.doStream",
    "ai.usage.inputTokens": 100,
  });
  const chain = readUsage({ "openinference.span.kind": "CHAIN", "llm.token_count.prompt": 100 });
  const llm = readUsage({ "openinference.span.kind": "LLM", "llm.token_count.prompt": 100 });
  assert.deepEqual([call.inputTokens, model.inputTokens], [null, 100]);
  assert.deepEqual([chain.inputTokens, llm.inputTokens], [null, 100]);
});

test("cache counts are inside the input count; larger than it, they were left out and are added", () => {
  const inside = readUsage({
    "gen_ai.usage.input_tokens": 2000,
    "gen_ai.usage.cache_read.input_tokens": 1500,
  });
  assert.deepEqual([inside.inputTokens, inside.cacheReadTokens], [2000, 1500]);
  // The AI SDK's Anthropic provider before version 6 reported Anthropic's own input count.
  const native = readUsage({
    "ai.operationId": "ai.generateText.doGenerate",
    "gen_ai.usage.input_tokens": 10,
    "ai.usage.cachedInputTokens": 900,
    "ai.usage.inputTokenDetails.cacheWriteTokens": 90,
  });
  assert.deepEqual(
    [native.inputTokens, native.cacheReadTokens, native.cacheWriteTokens],
    [1000, 900, 90],
  );
});

test("a Claude Code api_request event reads as a chat span in the conventions' names", () => {
  const call = claudeCodeModelCall({
    "session.id": "s",
    "prompt.id": "p",
    model: "claude-opus-4-1",
    input_tokens: 3,
    output_tokens: "4",
    cache_read_tokens: "100",
    cache_creation_tokens: "nope",
    cost_usd: "-1",
  }, 1000);
  const usage = readUsage(call.attributes);
  assert.deepEqual(
    [usage.inputTokens, usage.outputTokens, usage.cacheReadTokens, usage.cacheWriteTokens],
    [103, 4, 100, null],
  );
  assert.deepEqual([usage.costUsd, usage.model, usage.provider], [
    null,
    "claude-opus-4-1",
    "anthropic",
  ]);
  assert.deepEqual([call.conversationId, call.turnId, call.start, call.end], [
    "s",
    "p",
    1000,
    1000,
  ]);
});
