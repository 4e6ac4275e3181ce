// GenAI vocabulary and helpers: spans named and attributed as the OpenTelemetry GenAI
// conventions say, content only on opt-in and always through the logger's redaction.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger, type LogRecord } from "../mod.ts";
import {
  GEN_AI,
  GEN_AI_OPERATION,
  readUsage,
  startAgent,
  startChat,
  startToolCall,
  TurnUsageTally,
} from "../genai.ts";

function recorder(redact?: string[]) {
  const records: LogRecord[] = [];
  const log = createLogger({
    sink: { emit: (record) => void records.push(record) },
    extensionId: "host",
    redact,
  }).child({ conversationId: "c1", turnId: "t1" });
  return { records, log };
}

test("the attribute names are those of the semantic-conventions registry", () => {
  assert.equal(GEN_AI.OPERATION_NAME, "gen_ai.operation.name");
  assert.equal(GEN_AI.PROVIDER_NAME, "gen_ai.provider.name");
  assert.equal(GEN_AI.SYSTEM, "gen_ai.system");
  assert.equal(GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS, "gen_ai.usage.cache_read.input_tokens");
  assert.equal(GEN_AI.USAGE_REASONING_OUTPUT_TOKENS, "gen_ai.usage.reasoning.output_tokens");
  assert.equal(GEN_AI.TOOL_CALL_ID, "gen_ai.tool.call.id");
  assert.equal(GEN_AI.RESPONSE_FINISH_REASONS, "gen_ai.response.finish_reasons");
  assert.deepEqual(
    Object.values(GEN_AI_OPERATION).sort(),
    [
      "chat",
      "create_agent",
      "embeddings",
      "execute_tool",
      "generate_content",
      "invoke_agent",
      "invoke_workflow",
      "plan",
      "retrieval",
      "text_completion",
    ],
  );
});

test("a model call opens 'chat {model}' with the request and closes with usage and reasons", () => {
  const { records, log } = recorder();
  const chat = startChat(log, {
    model: "gpt-4o",
    provider: "openai",
    maxTokens: 512,
    temperature: 0.2,
    conversationId: "conv_1",
  });
  chat.end({
    responseModel: "gpt-4o-2024-08-06",
    responseId: "chatcmpl-1",
    inputTokens: 812,
    outputTokens: 64,
    cacheReadInputTokens: 512,
    reasoningOutputTokens: 10,
    finishReasons: ["tool_calls"],
    costUsd: 0.0027,
  });
  chat.end({ inputTokens: 1 }); // a second end writes nothing
  assert.equal(records.length, 2);
  const [opened, closed] = records;
  assert.equal(opened.kind, "span-open");
  assert.equal(opened.kind === "span-open" && opened.name, "chat gpt-4o");
  assert.equal(opened.turnId, "t1");
  assert.deepEqual(opened.attributes, {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.conversation.id": "conv_1",
    "gen_ai.request.max_tokens": 512,
    "gen_ai.request.temperature": 0.2,
  });
  assert.equal("body" in opened, false, "no content without captureContent");
  assert.equal(closed.kind, "span-close");
  assert.equal(closed.kind === "span-close" && closed.status, "ok");
  assert.deepEqual(closed.attributes, {
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.usage.input_tokens": 812,
    "gen_ai.usage.output_tokens": 64,
    "gen_ai.usage.cache_read.input_tokens": 512,
    "gen_ai.usage.reasoning.output_tokens": 10,
    "gen_ai.response.finish_reasons": ["tool_calls"],
    "gen_ai.usage.cost": 0.0027,
  });
});

test("legacySystem also writes the provider as gen_ai.system; operation names the span", () => {
  const { records, log } = recorder();
  startChat(log, { model: "text-embedding-3-small", provider: "openai", operation: "embeddings" }, {
    legacySystem: true,
  }).end();
  const opened = records[0];
  assert.equal(opened.kind === "span-open" && opened.name, "embeddings text-embedding-3-small");
  assert.equal(opened.attributes?.["gen_ai.system"], "openai");
  assert.equal(opened.attributes?.["gen_ai.provider.name"], "openai");
});

test("content is written only with captureContent: input in the open body, output in a log entry", () => {
  const plain = recorder();
  startChat(plain.log, { model: "m", input: [{ role: "user", content: "hi" }] }).end({
    output: [{ role: "assistant", content: "hello" }],
  });
  assert.equal(plain.records.length, 2);
  assert.ok(plain.records.every((r) => !("body" in r)));

  const opted = recorder();
  const chat = startChat(
    opted.log,
    { model: "m", systemInstructions: "be brief", input: [{ role: "user", content: "hi" }] },
    { captureContent: true },
  );
  chat.end({ output: [{ role: "assistant", content: "hello" }], outputTokens: 2 });
  const [opened, output, closed] = opted.records;
  assert.deepEqual(opened.kind === "span-open" && opened.body, {
    systemInstructions: "be brief",
    input: [{ role: "user", content: "hi" }],
  });
  assert.equal(output.kind, "log");
  assert.equal(
    output.kind === "log" && output.spanId,
    opened.kind === "span-open" && opened.spanId,
  );
  assert.deepEqual(output.kind === "log" && output.body, {
    output: [{ role: "assistant", content: "hello" }],
  });
  assert.equal(closed.kind, "span-close");
});

test("the logger's redaction applies to captured content, input and output", () => {
  const { records, log } = recorder(["api_key", "input.*.content"]);
  const tool = startToolCall(
    log,
    { name: "fetch", callId: "call_9", arguments: { url: "https://x", api_key: "sk-secret" } },
    { captureContent: true },
  );
  tool.end({ output: { status: 200, api_key: "sk-echoed" } });
  const chat = startChat(log, { model: "m", input: [{ role: "user", content: "my password" }] }, {
    captureContent: true,
  });
  chat.end();
  const text = JSON.stringify(records);
  assert.equal(text.includes("sk-secret"), false);
  assert.equal(text.includes("sk-echoed"), false);
  assert.equal(text.includes("my password"), false);
  assert.deepEqual(records[0].kind === "span-open" && records[0].body, {
    arguments: { url: "https://x", api_key: "[REDACTED]" },
  });
  assert.deepEqual(records[1].kind === "log" && records[1].body, {
    output: { status: 200, api_key: "[REDACTED]" },
  });
  assert.deepEqual(records[3].kind === "span-open" && records[3].body, {
    input: [{ role: "user", content: "[REDACTED]" }],
  });
});

test("tool and agent spans nest, and fail closes with status error and error.type", () => {
  const { records, log } = recorder();
  const agent = startAgent(log, { name: "planner", id: "a1", model: "m" });
  const tool = startToolCall(agent.span, {
    name: "get_weather",
    callId: "call_1",
    type: "function",
  });
  tool.fail(new RangeError("no such city"));
  agent.end();
  const [root, toolOpen, toolClose, rootClose] = records;
  assert.equal(root.kind === "span-open" && root.name, "invoke_agent planner");
  assert.equal(root.attributes?.["gen_ai.agent.name"], "planner");
  assert.equal(root.attributes?.["gen_ai.agent.id"], "a1");
  assert.equal(toolOpen.kind === "span-open" && toolOpen.name, "execute_tool get_weather");
  assert.equal(
    toolOpen.kind === "span-open" && toolOpen.parentSpanId,
    root.kind === "span-open" && root.spanId,
  );
  assert.deepEqual(
    [toolOpen.attributes?.["gen_ai.tool.call.id"], toolOpen.attributes?.["gen_ai.tool.type"]],
    ["call_1", "function"],
  );
  assert.equal(toolClose.kind === "span-close" && toolClose.status, "error");
  assert.equal(toolClose.attributes?.["error.type"], "RangeError");
  assert.equal((toolClose.attributes?.error as { message: string }).message, "no such city");
  assert.equal(rootClose.kind === "span-close" && rootClose.status, "ok");
  const unnamed = recorder();
  startAgent(unnamed.log, {}).end();
  assert.equal(unnamed.records[0].kind === "span-open" && unnamed.records[0].name, "invoke_agent");
});

test("readUsage prefers the response model and ignores what is not a token count", () => {
  assert.deepEqual(
    readUsage({
      "gen_ai.request.model": "a",
      "gen_ai.response.model": "a-1",
      "gen_ai.usage.input_tokens": -1,
      "gen_ai.usage.output_tokens": "12",
      "gen_ai.usage.cost": 0.5,
    }),
    {
      model: "a-1",
      inputTokens: null,
      outputTokens: null,
      cacheReadTokens: null,
      cacheWriteTokens: null,
      costUsd: 0.5,
      provider: null,
      style: null,
    },
  );
  assert.deepEqual(readUsage(undefined), {
    model: null,
    inputTokens: null,
    outputTokens: null,
    cacheReadTokens: null,
    cacheWriteTokens: null,
    costUsd: null,
    provider: null,
    style: null,
  });
});

test("TurnUsageTally totals each turn once per span, usage on open, close or both", () => {
  const tally = new TurnUsageTally();
  const { records, log } = recorder();
  startChat(log, { model: "m", attributes: { "gen_ai.usage.input_tokens": 100 } }).end({
    outputTokens: 7,
  });
  startChat(log, { model: "m" }).end({ inputTokens: 50, outputTokens: 3, costUsd: 0.01 });
  startToolCall(log, { name: "t" }).end();
  const other = log.child({ turnId: "t2" });
  startChat(other, { model: "m", attributes: { "gen_ai.usage.input_tokens": 9 } }); // still open
  for (const record of records) tally.add(record);
  const totals = tally.totals();
  assert.deepEqual(totals.get("t1"), {
    spans: 2,
    inputTokens: 150,
    outputTokens: 10,
    costUsd: 0.01,
  });
  assert.deepEqual(totals.get("t2"), { spans: 1, inputTokens: 9, outputTokens: 0, costUsd: null });
  assert.deepEqual(tally.totals().get("t1"), totals.get("t1"), "asking twice changes nothing");
});
