// createJournalTelemetry with the real AI SDK 7 (ai, @ai-sdk/openai, @ai-sdk/anthropic) against a
// loopback provider that answers from a script: the span trees the SDK's calls leave in the
// journal, usage counted once so the store's totals are what the provider billed, bodies only
// when the call records them, failures as error spans, and a process killed with SIGKILL inside a
// tool leaves its spans open for the `spans` command, the store and the viewer.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateText, jsonSchema, registerTelemetry, stepCountIs, streamText, tool } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { createAnthropic } from "@ai-sdk/anthropic";
import { createJournalSink, createLogger, type Logger } from "../mod.ts";
import { createJournalTelemetry } from "../ai-sdk.ts";
import { type ScriptedProvider, startScriptedProvider } from "./fixtures/scripted_provider.ts";
import {
  allSpans,
  openEverywhere,
  readRecords,
  runAndKill,
  shapes,
  storeUsage,
} from "./fixtures/bridge_journal.ts";

// The AI SDK warns on the console about model names it does not know.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let server: ScriptedProvider;
let dir: string;
before(async () => {
  server = await startScriptedProvider();
  dir = mkdtempSync(join(tmpdir(), "ai-sdk-"));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const openai = () => createOpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-test" });
const anthropic = () => createAnthropic({ baseURL: `${server.url}/v1`, apiKey: "sk-test" });

const weather = tool({
  description: "The weather in a city",
  inputSchema: jsonSchema<{ city: string }>({
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
  }),
  execute: ({ city }) => Promise.resolve({ city, celsius: -3 }),
});

const WEATHER_CALL = {
  toolCall: { name: "weather", arguments: { city: "Oslo" }, id: "call_oslo" },
};

let journals = 0;

/** Runs `fn` with a fresh journal and logger; returns the journal's path and what was billed. */
async function journaled(fn: (log: Logger, path: string) => Promise<unknown>) {
  const path = join(dir, `journal-${journals++}.jsonl`);
  const sink = createJournalSink({ path, fsync: "none" });
  const log = createLogger({ sink, extensionId: "host" }).child({ turnId: `t${journals}` });
  const before = server.billed();
  await fn(log, path);
  sink.close();
  const after = server.billed();
  return {
    path,
    records: readRecords(path),
    billed: { input: after.input - before.input, output: after.output - before.output },
  };
}

describe("the span trees of AI SDK calls", () => {
  test("one generateText call is invoke_agent, one step and one model call, with usage on the model call only", async () => {
    server.script({ text: "Hello there.", usage: { input: 41, output: 7, cacheRead: 30 } });
    const run = await journaled((log) =>
      generateText({
        model: openai()("gpt-4o"),
        prompt: "Say hello.",
        telemetry: { integrations: [createJournalTelemetry(log)] },
      })
    );
    assert.deepEqual(shapes(run.records), [
      ["invoke_agent gpt-4o", "ok", ["step 1", "ok", ["chat gpt-4o", "ok"]]],
    ]);
    const spans = allSpans(run.records);
    const chat = spans.find((s) => s.name === "chat gpt-4o")!;
    assert.equal(chat.attributes["gen_ai.operation.name"], "chat");
    assert.equal(chat.attributes["gen_ai.provider.name"], "openai");
    assert.equal(chat.attributes["gen_ai.request.model"], "gpt-4o");
    assert.equal(chat.attributes["gen_ai.response.id"], "resp_1");
    assert.deepEqual(chat.attributes["gen_ai.response.finish_reasons"], ["stop"]);
    assert.equal(chat.attributes["gen_ai.usage.input_tokens"], 41);
    assert.equal(chat.attributes["gen_ai.usage.output_tokens"], 7);
    assert.equal(chat.attributes["gen_ai.usage.cache_read.input_tokens"], 30);
    const counted = spans.filter((s) => s.attributes["gen_ai.usage.input_tokens"] !== undefined);
    assert.deepEqual(counted.map((s) => s.name), ["chat gpt-4o"]);
    const root = spans[0];
    assert.equal(root.attributes["gen_ai.operation.name"], "invoke_agent");
    assert.deepEqual(root.attributes["gen_ai.response.finish_reasons"], ["stop"]);
    assert.equal(root.turnId, chat.turnId);
    assert.deepEqual(await storeUsage(run.path), run.billed);
    assert.deepEqual(run.billed, { input: 41, output: 7 });
  });

  test("a tool loop over Anthropic is two steps: a model call and the tool, then a model call", async () => {
    server.script(
      { ...WEATHER_CALL, usage: { input: 900, output: 25, cacheRead: 700, cacheWrite: 100 } },
      { text: "It is -3 °C in Oslo.", usage: { input: 960, output: 12, cacheRead: 800 } },
    );
    const run = await journaled((log) =>
      generateText({
        model: anthropic()("claude-sonnet-4-5"),
        prompt: "Weather in Oslo?",
        tools: { weather },
        stopWhen: stepCountIs(5),
        telemetry: { integrations: [createJournalTelemetry(log)], functionId: "forecaster" },
      })
    );
    assert.deepEqual(shapes(run.records), [
      ["invoke_agent forecaster", "ok", [
        "step 1",
        "ok",
        ["chat claude-sonnet-4-5", "ok"],
        ["execute_tool weather", "ok"],
      ], ["step 2", "ok", ["chat claude-sonnet-4-5", "ok"]]],
    ]);
    const spans = allSpans(run.records);
    assert.equal(spans[0].attributes["gen_ai.agent.name"], "forecaster");
    const toolSpan = spans.find((s) => s.name === "execute_tool weather")!;
    assert.equal(toolSpan.attributes["gen_ai.tool.name"], "weather");
    assert.equal(toolSpan.attributes["gen_ai.tool.call.id"], "call_oslo");
    assert.deepEqual(toolSpan.body, { arguments: { city: "Oslo" } });
    assert.deepEqual(toolSpan.logs.map((l) => [l.msg, l.body]), [
      ["gen_ai.output", { output: { city: "Oslo", celsius: -3 } }],
    ]);
    const chats = spans.filter((s) => s.name.startsWith("chat "));
    assert.deepEqual(
      chats.map((s) => [
        s.attributes["gen_ai.usage.input_tokens"],
        s.attributes["gen_ai.usage.cache_read.input_tokens"],
        s.attributes["gen_ai.usage.cache_creation.input_tokens"],
        s.attributes["gen_ai.response.finish_reasons"],
      ]),
      [[900, 700, 100, ["tool-calls"]], [960, 800, 0, ["stop"]]],
    );
    assert.deepEqual(await storeUsage(run.path), run.billed);
    assert.deepEqual(run.billed, { input: 1860, output: 37 });
  });

  test("streamText over OpenAI chat completions with two tool steps: three steps, usage once each", async () => {
    server.script(
      { ...WEATHER_CALL, usage: { input: 120, output: 9 } },
      {
        toolCall: { name: "weather", arguments: { city: "Bergen" } },
        usage: { input: 150, output: 9 },
      },
      { text: "Cold in both.", usage: { input: 180, output: 4, cacheRead: 100 } },
    );
    let text = "";
    const run = await journaled(async (log) => {
      const result = streamText({
        model: openai().chat("gpt-4o-mini"),
        prompt: "Weather in Oslo and Bergen?",
        tools: { weather },
        stopWhen: stepCountIs(5),
        telemetry: { integrations: [createJournalTelemetry(log)] },
      });
      for await (const part of result.textStream) text += part;
      await result.usage;
    });
    assert.equal(text, "Cold in both.");
    const step = (n: number, withTool: boolean) =>
      withTool
        ? [`step ${n}`, "ok", ["chat gpt-4o-mini", "ok"], ["execute_tool weather", "ok"]]
        : [`step ${n}`, "ok", ["chat gpt-4o-mini", "ok"]];
    assert.deepEqual(shapes(run.records), [
      ["invoke_agent gpt-4o-mini", "ok", step(1, true), step(2, true), step(3, false)],
    ]);
    const root = allSpans(run.records)[0];
    assert.equal(root.attributes["ai.operationId"], "ai.streamText");
    // OpenAI chat reports the endpoint it called (the Responses model does not, yet).
    const chat = root.children[0].children[0];
    assert.equal(chat.attributes["server.address"], "127.0.0.1");
    assert.equal(chat.attributes["server.port"], Number(new URL(server.url).port));
    assert.deepEqual(root.logs.map((l) => [l.msg, l.body]), [
      ["gen_ai.output", { output: "Cold in both." }],
    ]);
    assert.deepEqual(await storeUsage(run.path), run.billed);
    assert.deepEqual(run.billed, { input: 450, output: 22 });
  });

  test("a stream over the OpenAI Responses API counts what the stream's last event reported", async () => {
    server.script({ text: "Streaming works.", usage: { input: 77, output: 5, cacheRead: 64 } });
    const run = await journaled(async (log) => {
      const result = streamText({
        model: openai()("gpt-4o"),
        prompt: "Stream something.",
        telemetry: { integrations: [createJournalTelemetry(log)] },
      });
      await result.consumeStream();
    });
    assert.deepEqual(shapes(run.records), [
      ["invoke_agent gpt-4o", "ok", ["step 1", "ok", ["chat gpt-4o", "ok"]]],
    ]);
    assert.deepEqual(await storeUsage(run.path), { input: 77, output: 5 });
  });

  test("registerTelemetry makes the integration apply to every call", async () => {
    server.script({ text: "Global.", usage: { input: 11, output: 2 } });
    const run = await journaled(async (log) => {
      registerTelemetry(createJournalTelemetry(log));
      try {
        await generateText({ model: openai()("gpt-4o"), prompt: "Hi" });
      } finally {
        (globalThis as { AI_SDK_TELEMETRY_INTEGRATIONS?: unknown[] })
          .AI_SDK_TELEMETRY_INTEGRATIONS = [];
      }
    });
    assert.deepEqual(shapes(run.records), [
      ["invoke_agent gpt-4o", "ok", ["step 1", "ok", ["chat gpt-4o", "ok"]]],
    ]);
  });

  test("a call made inside a tool nests under that tool's span, in the same trace", async () => {
    server.script(
      {
        toolCall: { name: "ask", arguments: { question: "2+2" } },
        usage: { input: 10, output: 3 },
      },
      { text: "4", usage: { input: 5, output: 1 } },
      { text: "The answer is 4.", usage: { input: 20, output: 6 } },
    );
    const run = await journaled((log) => {
      const telemetry = createJournalTelemetry(log);
      const ask = tool({
        inputSchema: jsonSchema<{ question: string }>({
          type: "object",
          properties: { question: { type: "string" } },
        }),
        execute: async ({ question }) =>
          (await generateText({
            model: openai()("gpt-4o-mini"),
            prompt: question,
            telemetry: { integrations: [telemetry] },
          })).text,
      });
      return generateText({
        model: openai()("gpt-4o"),
        prompt: "Ask the helper.",
        tools: { ask },
        stopWhen: stepCountIs(3),
        telemetry: { integrations: [telemetry] },
      });
    });
    assert.deepEqual(shapes(run.records), [
      ["invoke_agent gpt-4o", "ok", [
        "step 1",
        "ok",
        ["chat gpt-4o", "ok"],
        ["execute_tool ask", "ok", [
          "invoke_agent gpt-4o-mini",
          "ok",
          ["step 1", "ok", ["chat gpt-4o-mini", "ok"]],
        ]],
      ], ["step 2", "ok", ["chat gpt-4o", "ok"]]],
    ]);
    assert.equal(new Set(allSpans(run.records).map((s) => s.traceId)).size, 1);
    assert.deepEqual(await storeUsage(run.path), run.billed);
  });
});

describe("content, failures and options", () => {
  test("recordInputs and recordOutputs false keep every prompt, argument and result out", async () => {
    server.script(
      { ...WEATHER_CALL, usage: { input: 50, output: 5 } },
      { text: "Private answer.", usage: { input: 60, output: 3 } },
    );
    const run = await journaled((log) =>
      generateText({
        model: openai()("gpt-4o"),
        system: "Secret system prompt.",
        prompt: "Private question about Oslo.",
        tools: { weather },
        stopWhen: stepCountIs(3),
        telemetry: {
          integrations: [createJournalTelemetry(log)],
          recordInputs: false,
          recordOutputs: false,
        },
      })
    );
    const text = JSON.stringify(run.records);
    for (const secret of ["Secret system", "Private question", "Oslo", "Private answer", "-3"]) {
      assert.equal(text.includes(secret), false, secret);
    }
    assert.equal(allSpans(run.records).length, 6);
    assert.deepEqual(await storeUsage(run.path), run.billed);
  });

  test("with the SDK's defaults the prompt is the model call's body and the reply its output", async () => {
    server.script({ text: "Recorded reply.", usage: { input: 8, output: 2 } });
    const run = await journaled((log) =>
      generateText({
        model: openai()("gpt-4o"),
        system: "Be terse.",
        prompt: "Recorded prompt.",
        telemetry: { integrations: [createJournalTelemetry(log)] },
      })
    );
    const chat = allSpans(run.records).find((s) => s.name === "chat gpt-4o")!;
    assert.deepEqual(chat.body, {
      systemInstructions: "Be terse.",
      input: [{ role: "user", content: "Recorded prompt." }],
    });
    assert.match(JSON.stringify(chat.logs[0].body), /Recorded reply\./);
  });

  test("captureContent: false writes no body even when the call records them", async () => {
    server.script({ text: "Kept out.", usage: { input: 8, output: 2 } });
    const run = await journaled((log) =>
      generateText({
        model: openai()("gpt-4o"),
        prompt: "Kept out too.",
        telemetry: { integrations: [createJournalTelemetry(log, { captureContent: false })] },
      })
    );
    assert.equal(JSON.stringify(run.records).includes("Kept out"), false);
  });

  test("a tool that throws closes its span with status error and the loop goes on", async () => {
    server.script(
      { toolCall: { name: "broken", arguments: {} }, usage: { input: 30, output: 4 } },
      { text: "The tool failed.", usage: { input: 40, output: 5 } },
    );
    const broken = tool({
      inputSchema: jsonSchema<{ city?: string }>({ type: "object", properties: {} }),
      execute: (): Promise<string> => Promise.reject(new TypeError("no such city")),
    });
    const run = await journaled((log) =>
      generateText({
        model: openai()("gpt-4o"),
        prompt: "Use the broken tool.",
        tools: { broken },
        stopWhen: stepCountIs(3),
        telemetry: { integrations: [createJournalTelemetry(log)] },
      })
    );
    assert.deepEqual(shapes(run.records), [
      ["invoke_agent gpt-4o", "ok", [
        "step 1",
        "ok",
        ["chat gpt-4o", "ok"],
        ["execute_tool broken", "error"],
      ], ["step 2", "ok", ["chat gpt-4o", "ok"]]],
    ]);
    const failed = allSpans(run.records).find((s) => s.name === "execute_tool broken")!;
    assert.equal(failed.attributes["error.type"], "TypeError");
  });

  test("a provider error closes the model call, the step and the call with status error", async () => {
    // No scripted reply: the provider answers 500.
    const run = await journaled(async (log) => {
      await assert.rejects(
        generateText({
          model: openai()("gpt-4o"),
          prompt: "Fail.",
          maxRetries: 0,
          telemetry: { integrations: [createJournalTelemetry(log)] },
        }),
      );
    });
    assert.deepEqual(shapes(run.records), [
      ["invoke_agent gpt-4o", "error", ["step 1", "error", ["chat gpt-4o", "error"]]],
    ]);
    assert.deepEqual(await storeUsage(run.path), { input: 0, output: 0 });
  });
});

const CRASH_WRITER = fileURLToPath(new URL("./fixtures/ai_sdk_crash_writer.ts", import.meta.url));

describe("an AI SDK host killed with SIGKILL inside a tool", () => {
  test("the spans command, the store and the viewer show the call, the step and the tool open", async () => {
    const path = join(dir, "crash.jsonl");
    assert.equal(await runAndKill(CRASH_WRITER, path), "SIGKILL");
    const records = readRecords(path);
    assert.deepEqual(shapes(records), [
      ["invoke_agent gpt-4o", "open", [
        "step 1",
        "open",
        ["chat gpt-4o", "ok"],
        ["execute_tool shell", "open"],
      ]],
    ]);
    const seen = await openEverywhere(path);
    assert.deepEqual(seen.cliOpen, ["invoke_agent gpt-4o", "step 1", "execute_tool shell"]);
    assert.match(seen.cli, /3 open/);
    assert.deepEqual(seen.storeOpen.sort(), [
      "execute_tool shell",
      "invoke_agent gpt-4o",
      "step 1",
    ]);
    assert.deepEqual(seen.turns.map((t) => [t.name, t.status, t.open]), [
      ["invoke_agent gpt-4o", "open", 3],
    ]);
    assert.deepEqual(await storeUsage(path), { input: 300, output: 12 });
  });
});
