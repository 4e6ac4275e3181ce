// captureFetch's promises beyond a successful call: chunks reach the caller as the server sends
// them, errors and aborts close the span as errors, the content policy, long bodies cut and
// marked, and a capture that fails part way is counted without touching the call.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { createJournalSink, createLogger, type LogRecord } from "../mod.ts";
import { captureFetch, capturePrompt, type FetchFunction } from "../genai.ts";
import { type FakeProvider, startFakeProvider } from "./fixtures/fake_provider.ts";

const KEY = "sk-test-SECRET-behaviour";

let server: FakeProvider;
let dir: string;
before(async () => {
  server = await startFakeProvider();
  dir = mkdtempSync(join(tmpdir(), "capture-fetch-"));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function memory() {
  const records: LogRecord[] = [];
  const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "host" });
  return { records, log };
}

function openai(fetch: FetchFunction) {
  return new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, fetch, maxRetries: 0 });
}

function chatBody(stream: boolean) {
  return JSON.stringify({ model: "gpt-4o", stream, messages: [{ role: "user", content: "hi" }] });
}

function bodyOf(record: LogRecord | undefined): unknown[] {
  return ((record as { body?: unknown } | undefined)?.body ?? []) as unknown[];
}

function hasBody(record: LogRecord): boolean {
  return (record as { body?: unknown }).body !== undefined;
}

function closeOf(records: LogRecord[]) {
  const close = records.find((r) => r.kind === "span-close");
  assert.ok(close?.kind === "span-close", "the span is closed");
  return close;
}

describe("captureFetch: streams", () => {
  test("the first chunk reaches the caller while the server still holds the rest", async () => {
    const { records, log } = memory();
    server.plan({ pauseAfter: 2, deltas: 5 });
    const stream = await openai(captureFetch(log)).chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    await server.paused();
    assert.equal(first.done, false);
    assert.ok(server.pending() > 0, "the server has not sent the last event yet");
    assert.ok(
      !records.some((r) => r.kind === "span-close"),
      "the span stays open until the stream ends",
    );
    server.release();
    let chunks = 1;
    while (!(await iterator.next()).done) chunks++;
    assert.equal(chunks, 8);
    const close = closeOf(records);
    assert.equal(close.status, "ok");
    assert.equal(close.attributes?.["gen_ai.usage.output_tokens"], 40);
    const response = records.find((r) => r.kind === "log" && r.msg === "provider.response");
    const a = response?.attributes ?? {};
    assert.ok(
      (a["provider.time_to_first_chunk_ms"] as number) >=
        (a["provider.time_to_headers_ms"] as number),
    );
  });

  test("a caller that stops reading closes the span ok, marked cancelled", async () => {
    const { records, log } = memory();
    const response = await captureFetch(log)(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chatBody(true),
    });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    const close = closeOf(records);
    assert.equal(close.status, "ok");
    assert.equal(close.attributes?.["provider.response.cancelled"], true);
  });
});

describe("captureFetch: failures close the span as errors", () => {
  test("an error status: the SDK throws as it would, the span is an error with the provider's type", async () => {
    const { records, log } = memory();
    server.plan({ status: 429 }, { status: 429 });
    const plain = await openai((i, o) => fetch(i, o)).chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    const captured = await openai(captureFetch(log)).chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    assert.ok(captured instanceof OpenAI.RateLimitError);
    assert.equal((captured as Error).message, (plain as Error).message);
    const close = closeOf(records);
    assert.equal(close.status, "error");
    assert.equal(close.attributes?.["error.type"], "rate_limit_error");
    assert.equal(close.attributes?.["http.response.status_code"], 429);
    const response = records.find((r) => r.kind === "log" && r.msg === "provider.response");
    assert.equal(response?.kind === "log" && response.level, "warn");
  });

  test("an Anthropic error status without a typed body still names the status", async () => {
    const { records, log } = memory();
    server.plan({ status: 529 });
    const anthropic = new Anthropic({
      apiKey: KEY,
      baseURL: server.url,
      fetch: captureFetch(log),
      maxRetries: 0,
    });
    await assert.rejects(
      anthropic.messages.create({
        model: "claude-test-1",
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    const close = closeOf(records);
    assert.equal(close.status, "error");
    assert.equal(close.attributes?.["error.type"], "overloaded_error");
  });

  test("a connection dropped before the response rejects as fetch does, the span an error", async () => {
    const { records, log } = memory();
    // Deno's fetch retries a request whose pooled connection closed: drop every attempt.
    server.plan(...Array.from({ length: 8 }, () => ({ dropBeforeResponse: true })));
    const url = `${server.url}/v1/chat/completions`;
    const init = { method: "POST", body: chatBody(false) };
    const plain = await fetch(url, init).catch((e: unknown) => e);
    const captured = await captureFetch(log)(url, init).catch((e: unknown) => e);
    server.clearPlans();
    assert.ok(plain instanceof Error && captured instanceof Error);
    assert.equal((captured as Error).name, (plain as Error).name);
    const close = closeOf(records);
    assert.equal(close.status, "error");
    assert.equal(close.attributes?.["error.type"], (plain as Error).name);
  });

  test("a connection dropped mid-stream: the caller's read fails, the span is an error", async () => {
    const { records, log } = memory();
    server.plan({ dropAfter: 3 });
    const stream = await openai(captureFetch(log)).chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let seen = 0;
    await assert.rejects(async () => {
      for await (const _ of stream) seen++;
    });
    const close = closeOf(records);
    assert.equal(close.status, "error");
    assert.equal(typeof close.attributes?.["error.type"], "string");
    const response = records.find((r) => r.kind === "log" && r.msg === "provider.response");
    // What reached the caller before the drop (Bun's fetch may lose what was in flight).
    assert.equal(bodyOf(response).length, seen, "the events that came are kept");
  });

  test("an abort during the stream closes the span as an AbortError", async () => {
    const { records, log } = memory();
    server.plan({ pauseAfter: 1 });
    const controller = new AbortController();
    const response = await captureFetch(log)(`${server.url}/v1/chat/completions`, {
      method: "POST",
      body: chatBody(true),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    await server.paused();
    controller.abort();
    await assert.rejects(async () => {
      while (!(await reader.read()).done) { /* until the abort */ }
    });
    server.release();
    const close = closeOf(records);
    assert.equal(close.status, "error");
    assert.equal(close.attributes?.["error.type"], "AbortError");
  });

  test("an abort before the request closes the span as an AbortError", async () => {
    const { records, log } = memory();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      captureFetch(log)(`${server.url}/v1/chat/completions`, {
        method: "POST",
        body: chatBody(false),
        signal: controller.signal,
      }),
    );
    assert.equal(closeOf(records).attributes?.["error.type"], "AbortError");
  });

  test("a capture that fails is counted; the caller gets what fetch gave", async () => {
    const errors: unknown[] = [];
    const { log } = memory();
    const odd = { status: 200, note: "not a Response" } as unknown as Response;
    const captured = captureFetch(log, {
      fetch: () => Promise.resolve(odd),
      onError: (e) => void errors.push(e),
    });
    const got = await captured("https://api.openai.com/v1/chat/completions", {
      method: "POST",
      body: chatBody(false),
    });
    assert.equal(got, odd);
    assert.deepEqual(captured.stats, { calls: 1, dropped: 1 });
    assert.equal(errors.length, 1);
  });
});

describe("captureFetch: what is written", () => {
  test("credentials in headers and the URL are redacted under every policy", async () => {
    for (const content of ["full", "metadata"] as const) {
      const { records, log } = memory();
      const response = await captureFetch(log, { content })(
        `${server.url}/v1/chat/completions?api_key=${KEY}&alt=1`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${KEY}`,
            "x-api-key": KEY,
            "api-key": KEY,
            cookie: `s=${KEY}`,
            "x-custom-token": KEY,
            "content-type": "application/json",
          },
          body: chatBody(false),
        },
      );
      await response.text();
      const text = JSON.stringify(records);
      assert.ok(!text.includes(KEY), content);
      assert.ok(!text.includes("secret-cookie"), "set-cookie redacted");
      const request = records.find((r) => r.kind === "log" && r.msg === "provider.request");
      const a = request?.attributes ?? {};
      assert.deepEqual(a["http.request.header.authorization"], ["[REDACTED]"]);
      assert.deepEqual(a["http.request.header.content-type"], ["application/json"]);
      assert.equal(a["url.full"], `${server.url}/v1/chat/completions?api_key=REDACTED&alt=1`);
    }
  });

  test("metadata writes the records without bodies; none writes only the span", async () => {
    const meta = memory();
    await (await captureFetch(meta.log, { content: "metadata" })(
      `${server.url}/v1/chat/completions`,
      { method: "POST", body: chatBody(false) },
    )).json();
    const kinds = meta.records.map((r) => r.kind === "log" ? r.msg : r.kind);
    assert.deepEqual(kinds, ["span-open", "provider.request", "provider.response", "span-close"]);
    assert.ok(!meta.records.some(hasBody));
    assert.equal(closeOf(meta.records).attributes?.["gen_ai.usage.input_tokens"], 1200);
    const streamed = memory();
    const stream = await captureFetch(streamed.log, { content: "metadata" })(
      `${server.url}/v1/chat/completions`,
      { method: "POST", body: chatBody(true) },
    );
    await stream.text();
    const close = closeOf(streamed.records).attributes ?? {};
    assert.equal(close["gen_ai.usage.input_tokens"], 1200, "usage read from a stream unkept");
    assert.deepEqual(close["gen_ai.response.finish_reasons"], ["stop"]);
    assert.equal(close["gen_ai.response.id"], "chatcmpl-fake");
    const none = memory();
    await (await captureFetch(none.log, { content: "none" })(
      `${server.url}/v1/chat/completions`,
      { method: "POST", body: chatBody(false) },
    )).json();
    assert.deepEqual(none.records.map((r) => r.kind), ["span-open", "span-close"]);
    assert.equal(closeOf(none.records).attributes?.["gen_ai.usage.input_tokens"], 1200);
  });

  test("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false turns bodies off by default", async () => {
    const name = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
    const saved = process.env[name];
    process.env[name] = "false";
    try {
      const { records, log } = memory();
      capturePrompt(log, [{ role: "user", content: "private" }]);
      await (await captureFetch(log)(`${server.url}/v1/chat/completions`, {
        method: "POST",
        body: chatBody(false),
      })).json();
      assert.ok(!JSON.stringify(records).includes("private"));
      assert.ok(!records.some(hasBody));
      assert.equal(records[0].kind === "log" && records[0].attributes?.["prompt.messages"], 1);
      const forced = memory();
      capturePrompt(forced.log, ["kept"], { content: "full" });
      assert.deepEqual(bodyOf(forced.records[0]), ["kept"], "the option in code wins");
    } finally {
      if (saved === undefined) delete process.env[name];
      else process.env[name] = saved;
    }
  });

  test("a body longer than maxRecordBytes is cut as records are, the cut marked", async () => {
    const path = join(dir, "cut.jsonl");
    const sink = createJournalSink({ path, fsync: "none", maxRecordBytes: 8192 });
    const log = createLogger({ sink, extensionId: "host" });
    const long = JSON.stringify({
      model: "gpt-4o",
      messages: [{ role: "user", content: "x".repeat(50_000) }],
    });
    await (await captureFetch(log)(`${server.url}/v1/chat/completions`, {
      method: "POST",
      body: long,
    })).json();
    capturePrompt(log, [{ role: "user", content: "y".repeat(50_000) }]);
    sink.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    const request = lines.find((l) => l.msg === "provider.request");
    assert.match(String(request.body), /…\[cut \d+ bytes\]$/);
    const prompt = lines.find((l) => l.msg === "prompt:before");
    assert.match(String(prompt.body), /…\[cut \d+ bytes\]$/);
    assert.equal(sink.stats.truncated, 2);
    assert.equal(lines.at(-2).kind, "span-close", "the span still closes");
  });

  test("capturePrompt writes the messages as given on the span, through redaction", () => {
    const records: LogRecord[] = [];
    const log = createLogger({
      sink: { emit: (r) => void records.push(r) },
      extensionId: "host",
      redact: ["apiKey"],
    });
    const messages = [{ role: "user", content: "hi", apiKey: "k" }];
    log.withSpan("step", (step) => capturePrompt(step, messages));
    const entry = records[1];
    assert.equal(entry.kind === "log" && entry.msg, "prompt:before");
    assert.equal(entry.spanId, records[0].spanId);
    assert.deepEqual(bodyOf(entry), [{ role: "user", content: "hi", apiKey: "[REDACTED]" }]);
    assert.equal(messages[0].apiKey, "k", "the caller's messages are untouched");
  });
});
