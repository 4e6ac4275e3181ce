// The GenAI conventions' content attributes of a model call, from bodies in each provider's
// shapes (src/genai/genai_messages.ts), and the export's rules for them (records_to_otlp.ts):
// only for a conversation, only from bodies the policy kept, never over a span's own
// attributes, and marked so a journal-sink receiver drops them.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { LogRecord } from "../mod.ts";
import {
  callContentAttributes,
  type GenAiMessage,
  outputMessages,
  requestContent,
} from "../src/genai/genai_messages.ts";
import { toOtlpTraces } from "../src/otlp/records_to_otlp.ts";
import { tracesToRecords } from "../src/otlp/otlp_to_records.ts";

/** The conventions' JSON schemas, as far as a message's shape goes. */
function assertConventions(messages: GenAiMessage[] | null, output: boolean): void {
  assert.ok(Array.isArray(messages));
  for (const m of messages) {
    assert.equal(typeof m.role, "string");
    assert.ok(Array.isArray(m.parts));
    for (const part of m.parts) {
      assert.equal(typeof part.type, "string");
      if (part.type === "text" || part.type === "reasoning") {
        assert.equal(typeof part.content, "string");
      }
      if (part.type === "tool_call") assert.equal(typeof part.name, "string");
      if (part.type === "tool_call_response") assert.ok("response" in part);
      if (part.type === "blob") assert.equal(typeof part.content, "string");
    }
    if (output) assert.equal(typeof (m as { finish_reason?: unknown }).finish_reason, "string");
  }
}

describe("output messages", () => {
  test("OpenAI chat: one message per choice in index order, tool calls with parsed arguments", () => {
    const messages = outputMessages({
      id: "c",
      choices: [
        {
          index: 1,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{
              id: "call_9",
              type: "function",
              function: { name: "weather", arguments: '{"city":"Oslo"}' },
            }],
          },
          finish_reason: "tool_calls",
        },
        { index: 0, message: { role: "assistant", content: "Rain." }, finish_reason: "stop" },
      ],
    });
    assertConventions(messages, true);
    assert.deepEqual(messages, [
      { role: "assistant", parts: [{ type: "text", content: "Rain." }], finish_reason: "stop" },
      {
        role: "assistant",
        parts: [{ type: "tool_call", id: "call_9", name: "weather", arguments: { city: "Oslo" } }],
        finish_reason: "tool_calls",
      },
    ]);
  });

  test("OpenAI text completions: a choice's text", () => {
    assert.deepEqual(
      outputMessages({ choices: [{ index: 0, text: "42", finish_reason: "length" }] }),
      [
        { role: "assistant", parts: [{ type: "text", content: "42" }], finish_reason: "length" },
      ],
    );
  });

  test("OpenAI Responses: the output items are one answer's parts; the reason as the capture reads it", () => {
    const messages = outputMessages({
      object: "response",
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
      output: [
        { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Look it up." }] },
        { type: "function_call", call_id: "call_2", name: "weather", arguments: '{"city":"Oslo"}' },
        {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "Checking." }, { type: "refusal", refusal: "no" }],
        },
      ],
    });
    assertConventions(messages, true);
    assert.deepEqual(messages, [{
      role: "assistant",
      parts: [
        { type: "reasoning", content: "Look it up." },
        { type: "tool_call", id: "call_2", name: "weather", arguments: { city: "Oslo" } },
        { type: "text", content: "Checking." },
        { type: "refusal", refusal: "no" },
      ],
      finish_reason: "max_output_tokens",
    }]);
  });

  test("Anthropic: tool_use and thinking blocks, stop_reason", () => {
    const messages = outputMessages({
      type: "message",
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Need the weather.", signature: "s" },
        { type: "tool_use", id: "toolu_2", name: "weather", input: { city: "Oslo" } },
      ],
      stop_reason: "tool_use",
    });
    assertConventions(messages, true);
    assert.deepEqual(messages, [{
      role: "assistant",
      parts: [
        { type: "reasoning", content: "Need the weather." },
        { type: "tool_call", id: "toolu_2", name: "weather", arguments: { city: "Oslo" } },
      ],
      finish_reason: "tool_use",
    }]);
  });

  const anthropicStream = [
    {
      event: "message_start",
      data: { type: "message_start", message: { role: "assistant", content: [], usage: {} } },
    },
    {
      event: "content_block_start",
      data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    },
    {
      event: "content_block_delta",
      data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Let " } },
    },
    {
      event: "content_block_delta",
      data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "me." } },
    },
    {
      event: "content_block_start",
      data: {
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: "toolu_3", name: "weather", input: {} },
      },
    },
    {
      event: "content_block_delta",
      data: {
        type: "content_block_delta",
        index: 1,
        delta: { type: "input_json_delta", partial_json: '{"city":' },
      },
    },
    {
      event: "content_block_delta",
      data: {
        type: "content_block_delta",
        index: 1,
        delta: { type: "input_json_delta", partial_json: '"Oslo"}' },
      },
    },
    {
      event: "message_delta",
      data: { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: {} },
    },
    { event: "message_stop", data: { type: "message_stop" } },
  ];
  const anthropicAnswer = [{
    role: "assistant",
    parts: [
      { type: "text", content: "Let me." },
      { type: "tool_call", id: "toolu_3", name: "weather", arguments: { city: "Oslo" } },
    ],
    finish_reason: "tool_use",
  }];

  test("an Anthropic stream: text and tool input put back together from their deltas", () => {
    const messages = outputMessages(anthropicStream);
    assertConventions(messages, true);
    assert.deepEqual(messages, anthropicAnswer);
  });

  test("a stream given as { format: 'sse', events } reads the same", () => {
    assert.deepEqual(outputMessages({ format: "sse", events: anthropicStream }), anthropicAnswer);
  });

  test("a stream cut before its finish reason says error, and keeps the text that came", () => {
    const messages = outputMessages([
      { data: { choices: [{ index: 0, delta: { role: "assistant", content: "Hel" } }] } },
      { data: { choices: [{ index: 0, delta: { content: "lo" } }] } },
    ]);
    assert.deepEqual(messages, [
      { role: "assistant", parts: [{ type: "text", content: "Hello" }], finish_reason: "error" },
    ]);
  });

  test("a Responses stream cut before response.completed: the items done", () => {
    const item = {
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "Hi" }],
    };
    const messages = outputMessages([
      {
        event: "response.created",
        data: { type: "response.created", response: { status: "in_progress", output: [] } },
      },
      {
        event: "response.output_item.done",
        data: { type: "response.output_item.done", output_index: 0, item },
      },
    ]);
    assert.deepEqual(messages, [
      { role: "assistant", parts: [{ type: "text", content: "Hi" }], finish_reason: "error" },
    ]);
  });

  test("a body that is no answer (an embedding, text, an error) gives nothing", () => {
    assert.equal(outputMessages({ data: [{ embedding: [0.1] }] }), null);
    assert.equal(outputMessages("upstream timed out"), null);
    assert.equal(outputMessages({ type: "error", error: { type: "overloaded_error" } }), null);
  });
});

describe("request content", () => {
  test("OpenAI chat content parts: text, an image by URL, an image inline, audio, a named user", () => {
    const { inputMessages } = requestContent({
      model: "gpt-4o",
      messages: [{
        role: "user",
        name: "ada",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "https://example.com/a.png" } },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0K" } },
          { type: "input_audio", input_audio: { data: "UklGR", format: "wav" } },
        ],
      }],
    });
    assertConventions(inputMessages, false);
    assert.deepEqual(inputMessages, [{
      role: "user",
      name: "ada",
      parts: [
        { type: "text", content: "What is this?" },
        { type: "uri", modality: "image", uri: "https://example.com/a.png" },
        { type: "blob", modality: "image", content: "iVBORw0K", mime_type: "image/png" },
        { type: "blob", modality: "audio", content: "UklGR", mime_type: "audio/wav" },
      ],
    }]);
  });

  test("OpenAI Responses items: a function call and its output are a tool call and its response", () => {
    const content = requestContent({
      model: "gpt-4.1",
      instructions: "be brief",
      input: [
        { role: "user", content: [{ type: "input_text", text: "Oslo?" }] },
        { type: "function_call", call_id: "call_3", name: "weather", arguments: "{}" },
        { type: "function_call_output", call_id: "call_3", output: "rain" },
      ],
      tools: [
        { type: "function", name: "weather", parameters: { type: "object" } },
        { type: "web_search" },
      ],
    });
    assertConventions(content.inputMessages, false);
    assert.deepEqual(content.inputMessages, [
      { role: "user", parts: [{ type: "text", content: "Oslo?" }] },
      {
        role: "assistant",
        parts: [{ type: "tool_call", id: "call_3", name: "weather", arguments: {} }],
      },
      { role: "tool", parts: [{ type: "tool_call_response", id: "call_3", response: "rain" }] },
    ]);
    assert.deepEqual(content.systemInstructions, [{ type: "text", content: "be brief" }]);
    assert.deepEqual(content.toolDefinitions, [
      { type: "function", name: "weather", parameters: { type: "object" } },
      { type: "web_search", name: "web_search" },
    ]);
  });

  test("Anthropic: an image block, a tool result given as text blocks, a server tool", () => {
    const content = requestContent({
      system: [{ type: "text", text: "A", cache_control: { type: "ephemeral" } }, {
        type: "text",
        text: "B",
      }],
      messages: [{
        role: "user",
        content: [
          { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/" } },
          {
            type: "tool_result",
            tool_use_id: "toolu_1",
            content: [{ type: "text", text: "rain" }, { type: "text", text: "7 °C" }],
          },
        ],
      }],
      tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 2 }],
    });
    assert.deepEqual(content.systemInstructions, [
      { type: "text", content: "A" },
      { type: "text", content: "B" },
    ]);
    assert.deepEqual(content.inputMessages, [{
      role: "user",
      parts: [
        { type: "blob", modality: "image", content: "/9j/", mime_type: "image/jpeg" },
        { type: "tool_call_response", id: "toolu_1", response: "rain\n7 °C" },
      ],
    }]);
    assert.deepEqual(content.toolDefinitions, [
      { type: "web_search_20250305", name: "web_search", max_uses: 2 },
    ]);
  });

  test("a body kept as text (not byte-identical JSON) is read; a body that is no JSON gives nothing", () => {
    const content = requestContent('{ "messages": [ { "role": "user", "content": "hi" } ] }');
    assert.deepEqual(content.inputMessages, [
      { role: "user", parts: [{ type: "text", content: "hi" }] },
    ]);
    assert.deepEqual(requestContent("aGVsbG8="), {
      systemInstructions: null,
      inputMessages: null,
      toolDefinitions: null,
    });
  });

  test("a text completion's prompt is one user message", () => {
    const a = callContentAttributes("text_completion", { prompt: "2+2=" }, undefined);
    assert.deepEqual(JSON.parse(a["gen_ai.input.messages"]), [
      { role: "user", parts: [{ type: "text", content: "2+2=" }] },
    ]);
  });
});

const at = { extensionId: "host", turnId: "t1" };
const CHAT_OPEN: LogRecord = {
  kind: "span-open",
  spanId: "call",
  name: "chat m",
  timestamp: 1,
  ...at,
  attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": "m" },
};
const REQUEST: LogRecord = {
  kind: "log",
  level: "info",
  msg: "provider.request",
  timestamp: 2,
  spanId: "call",
  ...at,
  attributes: { "body.encoding": "json" },
  body: { model: "m", messages: [{ role: "user", content: "hi" }] },
};
const RESPONSE: LogRecord = {
  kind: "log",
  level: "info",
  msg: "provider.response",
  timestamp: 3,
  spanId: "call",
  ...at,
  attributes: { "body.format": "json" },
  body: {
    choices: [{ index: 0, message: { role: "assistant", content: "yo" }, finish_reason: "stop" }],
  },
};
const CHAT_CLOSE: LogRecord = {
  kind: "span-close",
  spanId: "call",
  name: "chat m",
  timestamp: 4,
  durationMs: 3,
  status: "ok",
  ...at,
};

function spanAttributes(records: LogRecord[]): Map<string, unknown> {
  const [span] = toOtlpTraces(records).resourceSpans[0].scopeSpans[0].spans;
  const out = new Map<string, unknown>();
  for (const a of span.attributes as { key: string; value: Record<string, unknown> }[]) {
    out.set(a.key, "stringValue" in a.value ? a.value.stringValue : a.value);
  }
  return out;
}

describe("the export's rules", () => {
  test("the content attributes are JSON text on the span, after a journal.derived naming them", () => {
    const a = spanAttributes([CHAT_OPEN, REQUEST, RESPONSE, CHAT_CLOSE]);
    assert.deepEqual(JSON.parse(a.get("gen_ai.input.messages") as string), [
      { role: "user", parts: [{ type: "text", content: "hi" }] },
    ]);
    assert.deepEqual(JSON.parse(a.get("gen_ai.output.messages") as string), [
      { role: "assistant", parts: [{ type: "text", content: "yo" }], finish_reason: "stop" },
    ]);
    assert.deepEqual(a.get("journal.derived"), {
      arrayValue: {
        values: [
          { stringValue: "gen_ai.input.messages" },
          { stringValue: "gen_ai.output.messages" },
        ],
      },
    });
    const keys = [...a.keys()];
    assert.equal(keys.indexOf("journal.derived") + 1, keys.indexOf("gen_ai.input.messages"));
  });

  test("a span that sets an attribute itself keeps its own value", () => {
    const own = JSON.stringify([{ role: "user", parts: [{ type: "text", content: "mine" }] }]);
    const open = {
      ...CHAT_OPEN,
      attributes: { ...CHAT_OPEN.attributes, "gen_ai.input.messages": own },
    } as LogRecord;
    const a = spanAttributes([open, REQUEST, RESPONSE, CHAT_CLOSE]);
    assert.equal(a.get("gen_ai.input.messages"), own);
    assert.deepEqual(a.get("journal.derived"), {
      arrayValue: { values: [{ stringValue: "gen_ai.output.messages" }] },
    });
  });

  test("records without bodies (content metadata) and an embeddings call give no content", () => {
    const { body: _r, ...request } = REQUEST as LogRecord & { body?: unknown };
    const { body: _s, ...response } = RESPONSE as LogRecord & { body?: unknown };
    const bare = spanAttributes([
      CHAT_OPEN,
      request as LogRecord,
      response as LogRecord,
      CHAT_CLOSE,
    ]);
    assert.equal(bare.has("gen_ai.input.messages") || bare.has("journal.derived"), false);
    const embeddings = {
      ...CHAT_OPEN,
      name: "embeddings m",
      attributes: { "gen_ai.operation.name": "embeddings" },
    } as LogRecord;
    const e = spanAttributes([
      embeddings,
      { ...REQUEST, body: { model: "m", input: "hi" } } as LogRecord,
      CHAT_CLOSE,
    ]);
    assert.equal(e.has("gen_ai.input.messages") || e.has("journal.derived"), false);
  });

  test("a receiver drops the derived attributes of our own export only", () => {
    const request = toOtlpTraces([CHAT_OPEN, REQUEST, RESPONSE, CHAT_CLOSE]);
    const ours = tracesToRecords(request, "json");
    const open = ours.records.find((r) => r.kind === "span-open")!;
    assert.equal(open.attributes?.["gen_ai.input.messages"], undefined);
    assert.equal(open.attributes?.["journal.derived"], undefined);
    assert.equal(open.attributes?.["gen_ai.request.model"], "m");
    // Another sender's span keeps what it sent.
    const scope = request.resourceSpans[0].scopeSpans[0].scope;
    scope.name = "someone-else";
    const theirs = tracesToRecords(request, "json").records.find((r) => r.kind === "span-open")!;
    assert.equal(typeof theirs.attributes?.["gen_ai.input.messages"], "string");
  });
});
