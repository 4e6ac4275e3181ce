// captureFetch with the real SDKs (openai, @anthropic-ai/sdk, ai with @ai-sdk/openai and
// @ai-sdk/anthropic) against a loopback fake provider: what the journal holds is what went over
// the wire, no key is written, usage is what the server said, and the SDK sees no difference.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { generateText, streamText } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { createAnthropic } from "@ai-sdk/anthropic";
import { createJournalSink, createLogger } from "../mod.ts";
import { captureFetch, type FetchFunction } from "../genai.ts";
import {
  ANTHROPIC_USAGE,
  type FakeProvider,
  OPENAI_CHAT_USAGE,
  OPENAI_RESPONSES_USAGE,
  startFakeProvider,
} from "./fixtures/fake_provider.ts";

const KEY = "sk-test-SECRET-0123456789abcdef";
// The AI SDK warns on the console about model names it does not know.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
type Line = Record<string, unknown> & { attributes?: Record<string, unknown> };

let server: FakeProvider;
let dir: string;
before(async () => {
  server = await startFakeProvider();
  dir = mkdtempSync(join(tmpdir(), "capture-sdk-"));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

let journals = 0;

/** Runs `call` with plain fetch, then with a captured one; returns both results and the journal. */
async function twice<T>(call: (fetch: FetchFunction) => Promise<T>) {
  const plainFrom = server.received.length;
  const plain = await call((input, init) => fetch(input, init));
  const plainSent = server.received.slice(plainFrom);
  const path = join(dir, `journal-${journals++}.jsonl`);
  const sink = createJournalSink({ path, fsync: "none" });
  const log = createLogger({ sink, extensionId: "host" }).child({ turnId: "t1" });
  const capturedFrom = server.received.length;
  const captured = captureFetch(log);
  const result = await log.withSpan("step", () => call(captured));
  sink.close();
  const text = readFileSync(path, "utf8");
  const lines: Line[] = text.trimEnd().split("\n").map((line) => JSON.parse(line));
  return {
    plain,
    result,
    plainSent,
    sent: server.received.slice(capturedFrom),
    text,
    lines,
    stats: captured.stats,
  };
}

function model(lines: Line[]) {
  const open = lines.find((l) => l.kind === "span-open" && l.name !== "step")!;
  const close = lines.find((l) => l.kind === "span-close" && l.spanId === open.spanId)!;
  const request = lines.find((l) => l.msg === "provider.request")!;
  const response = lines.find((l) => l.msg === "provider.response");
  return { open, close, request, response };
}

/** The promises every capture keeps, whatever the SDK. */
function assertFaithful(run: Awaited<ReturnType<typeof twice>>, name: string) {
  const { open, close, request } = model(run.lines);
  assert.equal(open.name, name);
  assert.equal(run.sent.length, 1);
  const sent = run.sent[0].text;
  assert.equal(request.attributes?.["body.encoding"], "json");
  assert.equal(JSON.stringify(request.body), sent, "the body as the server received it");
  assert.ok(run.text.includes(sent), "the journal's bytes hold the request's bytes");
  assert.equal(run.plainSent[0].text, sent, "the SDK sent the same body without capture");
  assert.ok(!run.text.includes(KEY), "no API key in the journal");
  assert.ok(!run.text.includes("secret-cookie"), "no cookie in the journal");
  assert.equal(close.status, "ok");
  assert.equal(request.spanId, open.spanId);
  assert.equal(open.parentSpanId, run.lines[0].spanId, "under the current span");
  assert.deepEqual(run.stats, { calls: 1, dropped: 0 });
  return { open, close, request };
}

function openai(fetch: FetchFunction) {
  return new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, fetch, maxRetries: 0 });
}

function anthropic(fetch: FetchFunction) {
  return new Anthropic({ apiKey: KEY, baseURL: server.url, fetch, maxRetries: 0 });
}

const MESSAGES = [
  { role: "system" as const, content: "You are terse." },
  { role: "user" as const, content: "Say hello \u2028 — ünïcödé" },
];

describe("captureFetch with the OpenAI SDK", () => {
  test("chat.completions.create: the body as sent, usage with cached tokens counted once", async () => {
    const run = await twice((fetch) =>
      openai(fetch).chat.completions.create({ model: "gpt-4o", messages: MESSAGES, temperature: 0 })
    );
    assert.deepEqual(run.result, run.plain);
    const { open, close } = assertFaithful(run, "chat gpt-4o");
    assert.equal(open.attributes?.["gen_ai.provider.name"], server.url);
    assert.equal(open.attributes?.["gen_ai.request.temperature"], 0);
    assert.equal(close.attributes?.["gen_ai.usage.input_tokens"], OPENAI_CHAT_USAGE.prompt_tokens);
    assert.equal(
      close.attributes?.["gen_ai.usage.output_tokens"],
      OPENAI_CHAT_USAGE.completion_tokens,
    );
    assert.equal(close.attributes?.["gen_ai.usage.cache_read.input_tokens"], 1000);
    assert.equal(close.attributes?.["gen_ai.usage.reasoning.output_tokens"], 8);
    assert.deepEqual(close.attributes?.["gen_ai.response.finish_reasons"], ["stop"]);
    assert.equal(close.attributes?.["gen_ai.response.id"], "chatcmpl-fake");
  });

  test("chat.completions.create with stream: every chunk, and usage from the last", async () => {
    const run = await twice(async (fetch) => {
      const stream = await openai(fetch).chat.completions.create({
        model: "gpt-4o",
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      return chunks;
    });
    assert.deepEqual(run.result, run.plain);
    const { close } = assertFaithful(run, "chat gpt-4o");
    const { response } = model(run.lines);
    assert.equal(response?.attributes?.["body.format"], "sse");
    assert.equal((response?.body as unknown[]).length, run.result.length + 1, "chunks and [DONE]");
    assert.equal(close.attributes?.["gen_ai.usage.input_tokens"], 1200);
    assert.equal(close.attributes?.["gen_ai.usage.output_tokens"], 40);
  });

  test("responses.create, whole and streamed", async () => {
    const whole = await twice((fetch) =>
      openai(fetch).responses.create({ model: "gpt-4.1", input: "hi", instructions: "be brief" })
    );
    assert.deepEqual(whole.result, whole.plain);
    const { close } = assertFaithful(whole, "chat gpt-4.1");
    assert.equal(
      close.attributes?.["gen_ai.usage.input_tokens"],
      OPENAI_RESPONSES_USAGE.input_tokens,
    );
    assert.equal(close.attributes?.["gen_ai.usage.cache_read.input_tokens"], 600);
    assert.equal(close.attributes?.["gen_ai.usage.reasoning.output_tokens"], 5);
    const streamed = await twice(async (fetch) => {
      const stream = await openai(fetch).responses.create({
        model: "gpt-4.1",
        input: "hi",
        stream: true,
      });
      const events = [];
      for await (const event of stream) events.push(event);
      return events;
    });
    assert.deepEqual(streamed.result, streamed.plain);
    const s = assertFaithful(streamed, "chat gpt-4.1");
    assert.equal(s.close.attributes?.["gen_ai.usage.input_tokens"], 900);
    assert.equal(s.close.attributes?.["gen_ai.usage.output_tokens"], 30);
    assert.equal(s.close.attributes?.["gen_ai.response.id"], "resp_fake");
  });
});

describe("captureFetch with the Anthropic SDK", () => {
  const input = {
    model: "claude-test-1",
    max_tokens: 256,
    system: "You are terse.",
    messages: [{ role: "user" as const, content: "Say hello" }],
  };
  const anthropicInput = ANTHROPIC_USAGE.input_tokens + ANTHROPIC_USAGE.cache_read_input_tokens +
    ANTHROPIC_USAGE.cache_creation_input_tokens;

  test("messages.create: input tokens are Anthropic's input plus cache reads and writes", async () => {
    const run = await twice((fetch) => anthropic(fetch).messages.create(input));
    assert.deepEqual(run.result, run.plain);
    const { open, close } = assertFaithful(run, "chat claude-test-1");
    assert.equal(open.attributes?.["gen_ai.request.max_tokens"], 256);
    assert.equal(close.attributes?.["gen_ai.usage.input_tokens"], anthropicInput);
    assert.equal(close.attributes?.["gen_ai.usage.output_tokens"], ANTHROPIC_USAGE.output_tokens);
    assert.equal(close.attributes?.["gen_ai.usage.cache_read.input_tokens"], 700);
    assert.equal(close.attributes?.["gen_ai.usage.cache_creation.input_tokens"], 100);
    assert.deepEqual(close.attributes?.["gen_ai.response.finish_reasons"], ["end_turn"]);
  });

  test("messages.stream: usage from message_start and message_delta", async () => {
    const run = await twice(async (fetch) => {
      const stream = anthropic(fetch).messages.stream(input);
      const events = [];
      for await (const event of stream) events.push(event);
      return { events, final: await stream.finalMessage() };
    });
    assert.deepEqual(run.result, run.plain);
    const { close } = assertFaithful(run, "chat claude-test-1");
    assert.equal(close.attributes?.["gen_ai.usage.input_tokens"], anthropicInput);
    assert.equal(close.attributes?.["gen_ai.usage.output_tokens"], ANTHROPIC_USAGE.output_tokens);
  });
});

describe("captureFetch with the AI SDK", () => {
  // The AI SDK stamps results with the time it received them and echoes request and response
  // headers; compare what the model said and what it cost.
  const same = (result: { text: string; usage: unknown; finishReason: unknown }) => ({
    text: result.text,
    usage: result.usage,
    finishReason: result.finishReason,
  });

  test("createOpenAI: generateText over chat and streamText over Responses", async () => {
    const chat = await twice(async (fetch) => {
      const provider = createOpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, fetch });
      return same(await generateText({ model: provider.chat("gpt-4o"), prompt: "hi" }));
    });
    assert.deepEqual(chat.result, chat.plain);
    const c = assertFaithful(chat, "chat gpt-4o");
    assert.equal(c.close.attributes?.["gen_ai.usage.input_tokens"], 1200);
    const responses = await twice(async (fetch) => {
      const provider = createOpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, fetch });
      const result = streamText({ model: provider.responses("gpt-4.1"), prompt: "hi" });
      return {
        text: await result.text,
        usage: await result.usage,
        finishReason: await result.finishReason,
      };
    });
    assert.deepEqual(responses.result, responses.plain);
    const r = assertFaithful(responses, "chat gpt-4.1");
    assert.equal(r.close.attributes?.["gen_ai.usage.input_tokens"], 900);
  });

  test("createAnthropic: generateText and streamText", async () => {
    const whole = await twice(async (fetch) => {
      const provider = createAnthropic({ apiKey: KEY, baseURL: `${server.url}/v1`, fetch });
      return same(
        await generateText({ model: provider("claude-test-1"), prompt: "hi", maxOutputTokens: 64 }),
      );
    });
    assert.deepEqual(whole.result, whole.plain);
    assertFaithful(whole, "chat claude-test-1");
    const streamed = await twice(async (fetch) => {
      const provider = createAnthropic({ apiKey: KEY, baseURL: `${server.url}/v1`, fetch });
      const result = streamText({
        model: provider("claude-test-1"),
        prompt: "hi",
        maxOutputTokens: 64,
      });
      return {
        text: await result.text,
        usage: await result.usage,
        finishReason: await result.finishReason,
      };
    });
    assert.deepEqual(streamed.result, streamed.plain);
    const s = assertFaithful(streamed, "chat claude-test-1");
    assert.equal(s.close.attributes?.["gen_ai.usage.input_tokens"], 820);
  });
});
