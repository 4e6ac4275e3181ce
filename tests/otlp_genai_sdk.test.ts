// An OTLP export of model calls captured by the real captureFetch (openai and
// @anthropic-ai/sdk against the loopback fake provider, JSON and streamed) carries the bodies
// as the OpenTelemetry GenAI conventions' content attributes (gen_ai.input.messages,
// gen_ai.output.messages, gen_ai.system_instructions, gen_ai.tool.definitions: JSON text on
// the model call's span) when the content policy kept the bodies, and nothing of them when it
// did not; journal-sink's own receiver drops them again, so export → receive still gives back
// the records the journal holds.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { createJournalSink, createLogger, type LogRecord } from "../mod.ts";
import { captureFetch, type FetchFunction } from "../genai.ts";
import type { ContentPolicy } from "../src/genai/content_policy.ts";
import { toOtlpTraces } from "../src/otlp/records_to_otlp.ts";
import { exportOtlp } from "../src/otlp/otlp_export.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";
import { type FakeProvider, startFakeProvider } from "./fixtures/fake_provider.ts";

const KEY = "sk-test-SECRET-0123456789abcdef";
const CONTENT_KEYS = [
  "gen_ai.input.messages",
  "gen_ai.output.messages",
  "gen_ai.system_instructions",
  "gen_ai.tool.definitions",
];

let server: FakeProvider;
let dir: string;
before(async () => {
  server = await startFakeProvider();
  dir = mkdtempSync(join(tmpdir(), "otlp-genai-"));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

let journals = 0;

/** Runs `call` through a captured fetch under a step span; returns the journal's path and records. */
async function captured<T>(call: (fetch: FetchFunction) => Promise<T>, content?: ContentPolicy) {
  const path = join(dir, `journal-${journals++}.jsonl`);
  const sink = createJournalSink({ path, fsync: "none" });
  const log = createLogger({ sink, extensionId: "host" }).child({ turnId: "t1" });
  const fetch = captureFetch(log, content === undefined ? {} : { content });
  await log.withSpan("step", () => call(fetch));
  sink.close();
  const records: LogRecord[] = readFileSync(path, "utf8").trimEnd().split("\n")
    .map((line) => JSON.parse(line));
  return { path, records };
}

type Attribute = { key: string; value: Record<string, unknown> };

/** The exported model-call span's attributes, as plain values (content attributes parsed). */
function modelSpan(records: LogRecord[]) {
  const spans = toOtlpTraces(records).resourceSpans[0].scopeSpans[0].spans;
  const span = spans.find((s) => s.name !== "step")!;
  const attributes = new Map<string, unknown>();
  for (const a of span.attributes as Attribute[]) {
    const v = a.value;
    attributes.set(a.key, "stringValue" in v ? v.stringValue : v);
  }
  const json = (key: string) => {
    const text = attributes.get(key);
    if (text === undefined) return undefined;
    assert.equal(typeof text, "string", `${key} is a JSON string on the span`);
    return JSON.parse(text as string);
  };
  return { span, attributes, json };
}

function openai(fetch: FetchFunction) {
  return new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, fetch, maxRetries: 0 });
}

function anthropic(fetch: FetchFunction) {
  return new Anthropic({ apiKey: KEY, baseURL: server.url, fetch, maxRetries: 0 });
}

const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } } },
  },
};

/** A chat history with a system message, a tool call and its result. */
const CHAT_MESSAGES = [
  { role: "system" as const, content: "You are terse." },
  { role: "user" as const, content: "Weather in Oslo?" },
  {
    role: "assistant" as const,
    content: null,
    tool_calls: [{
      id: "call_1",
      type: "function" as const,
      function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
    }],
  },
  { role: "tool" as const, tool_call_id: "call_1", content: "rain, 7 °C" },
];

const CHAT_INPUT = [
  { role: "system", parts: [{ type: "text", content: "You are terse." }] },
  { role: "user", parts: [{ type: "text", content: "Weather in Oslo?" }] },
  {
    role: "assistant",
    parts: [{ type: "tool_call", id: "call_1", name: "get_weather", arguments: { city: "Oslo" } }],
  },
  { role: "tool", parts: [{ type: "tool_call_response", id: "call_1", response: "rain, 7 °C" }] },
];

const WEATHER_DEFINITION = [{
  type: "function",
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } } },
}];

describe("an OTLP export of OpenAI calls", () => {
  test("chat.completions.create: the history with its system message, tool call and result, the tools, and the answer", async () => {
    const { records } = await captured((fetch) =>
      openai(fetch).chat.completions.create({
        model: "gpt-4o",
        messages: CHAT_MESSAGES,
        tools: [WEATHER_TOOL],
      })
    );
    const { json, attributes } = modelSpan(records);
    assert.deepEqual(json("gen_ai.input.messages"), CHAT_INPUT);
    assert.deepEqual(json("gen_ai.tool.definitions"), WEATHER_DEFINITION);
    assert.equal(
      attributes.has("gen_ai.system_instructions"),
      false,
      "chat has no separate system",
    );
    assert.deepEqual(json("gen_ai.output.messages"), [
      { role: "assistant", parts: [{ type: "text", content: "Hello!" }], finish_reason: "stop" },
    ]);
  });

  test("chat.completions.create with stream: the deltas put back together as one answer", async () => {
    const { records } = await captured(async (fetch) => {
      const stream = await openai(fetch).chat.completions.create({
        model: "gpt-4o",
        messages: CHAT_MESSAGES.slice(0, 2),
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const _ of stream) { /* read to the end */ }
    });
    const { json } = modelSpan(records);
    assert.deepEqual(json("gen_ai.input.messages"), CHAT_INPUT.slice(0, 2));
    assert.deepEqual(json("gen_ai.output.messages"), [
      {
        role: "assistant",
        parts: [{ type: "text", content: "HelloHelloHello" }],
        finish_reason: "stop",
      },
    ]);
  });

  test("responses.create: instructions are the system instructions, a string input one user message", async () => {
    const { records } = await captured((fetch) =>
      openai(fetch).responses.create({ model: "gpt-4.1", input: "hi", instructions: "be brief" })
    );
    const { json } = modelSpan(records);
    assert.deepEqual(json("gen_ai.system_instructions"), [{ type: "text", content: "be brief" }]);
    assert.deepEqual(json("gen_ai.input.messages"), [
      { role: "user", parts: [{ type: "text", content: "hi" }] },
    ]);
    assert.deepEqual(json("gen_ai.output.messages"), [
      {
        role: "assistant",
        parts: [{ type: "text", content: "Hello!" }],
        finish_reason: "completed",
      },
    ]);
  });

  test("responses.create with stream: the answer is response.completed's output", async () => {
    const { records } = await captured(async (fetch) => {
      const stream = await openai(fetch).responses.create({
        model: "gpt-4.1",
        input: [
          { role: "developer", content: "Answer in French." },
          { role: "user", content: [{ type: "input_text", text: "hi" }] },
        ],
        stream: true,
      });
      for await (const _ of stream) { /* read to the end */ }
    });
    const { json, attributes } = modelSpan(records);
    assert.deepEqual(json("gen_ai.input.messages"), [
      { role: "developer", parts: [{ type: "text", content: "Answer in French." }] },
      { role: "user", parts: [{ type: "text", content: "hi" }] },
    ]);
    assert.equal(attributes.has("gen_ai.system_instructions"), false);
    assert.deepEqual(json("gen_ai.output.messages"), [
      {
        role: "assistant",
        parts: [{ type: "text", content: "HelloHelloHello" }],
        finish_reason: "completed",
      },
    ]);
  });
});

describe("an OTLP export of Anthropic calls", () => {
  const input = {
    model: "claude-test-1",
    max_tokens: 256,
    system: [{ type: "text" as const, text: "You are terse." }],
    tools: [{
      name: "get_weather",
      description: "The weather in a city",
      input_schema: { type: "object" as const, properties: { city: { type: "string" } } },
    }],
    messages: [
      { role: "user" as const, content: "Weather in Oslo?" },
      {
        role: "assistant" as const,
        content: [{
          type: "tool_use" as const,
          id: "toolu_1",
          name: "get_weather",
          input: { city: "Oslo" },
        }],
      },
      {
        role: "user" as const,
        content: [{ type: "tool_result" as const, tool_use_id: "toolu_1", content: "rain" }],
      },
    ],
  };
  const expectedInput = [
    { role: "user", parts: [{ type: "text", content: "Weather in Oslo?" }] },
    {
      role: "assistant",
      parts: [{
        type: "tool_call",
        id: "toolu_1",
        name: "get_weather",
        arguments: { city: "Oslo" },
      }],
    },
    { role: "user", parts: [{ type: "tool_call_response", id: "toolu_1", response: "rain" }] },
  ];

  test("messages.create: system is the system instructions, tool_use and tool_result are tool parts", async () => {
    const { records } = await captured((fetch) => anthropic(fetch).messages.create(input));
    const { json } = modelSpan(records);
    assert.deepEqual(json("gen_ai.system_instructions"), [
      { type: "text", content: "You are terse." },
    ]);
    assert.deepEqual(json("gen_ai.input.messages"), expectedInput);
    assert.deepEqual(json("gen_ai.tool.definitions"), [{
      type: "function",
      name: "get_weather",
      description: "The weather in a city",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    }]);
    assert.deepEqual(json("gen_ai.output.messages"), [
      {
        role: "assistant",
        parts: [{ type: "text", content: "Hello!" }],
        finish_reason: "end_turn",
      },
    ]);
  });

  test("messages.stream: the content blocks put back together, the stop reason from message_delta", async () => {
    const { records } = await captured(async (fetch) => {
      const stream = anthropic(fetch).messages.stream(input);
      await stream.finalMessage();
    });
    const { json } = modelSpan(records);
    assert.deepEqual(json("gen_ai.input.messages"), expectedInput);
    assert.deepEqual(json("gen_ai.output.messages"), [
      {
        role: "assistant",
        parts: [{ type: "text", content: "HelloHelloHello" }],
        finish_reason: "end_turn",
      },
    ]);
  });
});

describe("the content policy decides", () => {
  for (const content of ["metadata", "none"] as const) {
    test(`under content "${content}" the export carries no message content`, async () => {
      const { records } = await captured(async (fetch) => {
        await openai(fetch).chat.completions.create({ model: "gpt-4o", messages: CHAT_MESSAGES });
        const stream = anthropic(fetch).messages.stream({
          model: "claude-test-1",
          max_tokens: 64,
          system: "You are terse.",
          messages: [{ role: "user", content: "hi" }],
        });
        await stream.finalMessage();
      }, content);
      const spans = toOtlpTraces(records).resourceSpans[0].scopeSpans[0].spans;
      const calls = spans.filter((s) => s.name !== "step");
      assert.equal(calls.length, 2);
      for (const span of calls) {
        const keys = (span.attributes as Attribute[]).map((a) => a.key);
        assert.ok(keys.includes("gen_ai.usage.input_tokens"), "the call itself is exported");
        for (const key of [...CONTENT_KEYS, "journal.derived"]) {
          assert.ok(!keys.includes(key), `${key} under ${content}`);
        }
      }
      const text = JSON.stringify(toOtlpTraces(records));
      assert.ok(!text.includes("Hello!") && !text.includes("You are terse."));
    });
  }
});

/** A record as sorted JSON, so two sets compare whatever their order. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

/** What the receiver writes back (tests/otlp_roundtrip.test.ts's rules): a close's attributes merged on its open. */
function expected(records: LogRecord[]): LogRecord[] {
  const closes = new Map<string, LogRecord>();
  for (const record of records) if (record.kind === "span-close") closes.set(record.spanId, record);
  return records.map((record) => {
    if (record.kind === "span-open") {
      const merged = { ...record.attributes, ...closes.get(record.spanId)?.attributes };
      const { attributes: _, ...rest } = record;
      return Object.keys(merged).length > 0 ? { ...rest, attributes: merged } : rest;
    }
    if (record.kind === "span-close") {
      const { attributes: _, ...rest } = record;
      return rest;
    }
    return record;
  });
}

for (const protocol of ["http/json", "http/protobuf"] as const) {
  test(`captured calls exported over ${protocol} and received again are the same records, without the content attributes`, async () => {
    const { path, records } = await captured(async (fetch) => {
      await openai(fetch).chat.completions.create({
        model: "gpt-4o",
        messages: CHAT_MESSAGES,
        tools: [WEATHER_TOOL],
      });
      const stream = anthropic(fetch).messages.stream({
        model: "claude-test-1",
        max_tokens: 64,
        system: "You are terse.",
        messages: [{ role: "user", content: "hi" }],
      });
      await stream.finalMessage();
    });
    // The export does carry them: the round trip below is not empty-handed.
    const sent = JSON.stringify(toOtlpTraces(records));
    for (const key of CONTENT_KEYS) assert.ok(sent.includes(key), key);
    const received: LogRecord[] = [];
    const receiver = await receiveOtlp({ sink: { emit: (r) => void received.push(r) }, port: 0 });
    try {
      await exportOtlp(path, {
        url: receiver.url,
        once: true,
        env: {},
        protocol,
        statePath: join(dir, `state-${journals++}.json`),
      });
    } finally {
      await receiver.close();
    }
    const back = JSON.stringify(received);
    for (const key of [...CONTENT_KEYS, "journal.derived"]) assert.ok(!back.includes(key), key);
    assert.deepEqual(received.map(canonical).sort(), expected(records).map(canonical).sort());
  });
}

test("exportOtlp sends the content attributes on the model call's span, after journal.derived", async () => {
  const { path } = await captured((fetch) =>
    anthropic(fetch).messages.create({
      model: "claude-test-1",
      max_tokens: 64,
      system: "You are terse.",
      messages: [{ role: "user", content: "hi" }],
    })
  );
  const posted: string[] = [];
  const collector = createServer((req, res) => {
    const decoder = new TextDecoder();
    let text = "";
    req.on("data", (chunk: Uint8Array) => (text += decoder.decode(chunk, { stream: true })));
    req.on("end", () => {
      if (req.url === "/v1/traces") posted.push(text + decoder.decode());
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  try {
    const port = (collector.address() as AddressInfo).port;
    await exportOtlp(path, {
      url: `http://127.0.0.1:${port}`,
      once: true,
      env: {},
      protocol: "http/json",
      statePath: join(dir, `state-${journals++}.json`),
    });
  } finally {
    await new Promise<void>((resolve) => collector.close(() => resolve()));
  }
  const spans = posted.flatMap((body) =>
    JSON.parse(body).resourceSpans.flatMap((r: { scopeSpans: { spans: unknown[] }[] }) =>
      r.scopeSpans.flatMap((s) => s.spans)
    )
  ) as { name: string; attributes: Attribute[] }[];
  const call = spans.find((s) => s.name === "chat claude-test-1")!;
  const keys = call.attributes.map((a) => a.key);
  assert.deepEqual(keys.slice(keys.indexOf("journal.derived")).slice(0, 4), [
    "journal.derived",
    "gen_ai.system_instructions",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
  ]);
  const output = call.attributes.find((a) => a.key === "gen_ai.output.messages")!;
  assert.deepEqual(JSON.parse(output.value.stringValue as string), [
    { role: "assistant", parts: [{ type: "text", content: "Hello!" }], finish_reason: "end_turn" },
  ]);
});
