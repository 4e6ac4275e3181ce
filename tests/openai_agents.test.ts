// createJournalTraceProcessor with the real OpenAI Agents SDK (@openai/agents, the openai client)
// against a loopback provider that answers from a script: the span trees of runs as the SDK
// traces them, group_id as the conversation, usage counted once whatever the SDK kept (the
// response, or only the turn and task sums), failures as error spans, and a run killed with
// SIGKILL inside a function tool leaves its spans open for `spans`, the store and the viewer.
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Agent,
  Runner,
  setDefaultOpenAIClient,
  setOpenAIAPI,
  setTraceProcessors,
  setTracingDisabled,
  tool,
} from "@openai/agents";
import OpenAI from "openai";
import { createJournalSink, createLogger } from "../mod.ts";
import {
  createJournalTraceProcessor,
  type JournalTraceProcessorOptions,
} from "../openai-agents.ts";
import { type ScriptedProvider, startScriptedProvider } from "./fixtures/scripted_provider.ts";
import {
  allSpans,
  openEverywhere,
  readRecords,
  runAndKill,
  shapes,
  storeUsage,
} from "./fixtures/bridge_journal.ts";

let server: ScriptedProvider;
let dir: string;
before(async () => {
  server = await startScriptedProvider();
  dir = mkdtempSync(join(tmpdir(), "openai-agents-"));
  // The SDK turns tracing off under NODE_ENV=test; this suite is about its traces.
  setTracingDisabled(false);
  setDefaultOpenAIClient(new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-test" }));
});
afterEach(() => {
  setTraceProcessors([]);
  setOpenAIAPI("responses");
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const weather = tool({
  name: "weather",
  description: "The weather in a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  },
  strict: true,
  execute: (input) => Promise.resolve(`-3 °C in ${(input as { city: string }).city}`),
});

const forecaster = () =>
  new Agent({ name: "Forecaster", instructions: "Be brief.", model: "gpt-4o", tools: [weather] });

const OSLO = { toolCall: { name: "weather", arguments: { city: "Oslo" }, id: "call_oslo" } };

let journals = 0;

/** Runs `fn` with the processor writing to a fresh journal; returns it and what was billed. */
async function journaled(
  fn: () => Promise<unknown>,
  options: Omit<JournalTraceProcessorOptions, "sink" | "logger"> = {},
) {
  const path = join(dir, `journal-${journals++}.jsonl`);
  const sink = createJournalSink({ path, fsync: "none" });
  const logger = createLogger({ sink, extensionId: "agents-host" })
    .child({ turnId: `t${journals}` });
  setTraceProcessors([createJournalTraceProcessor({ logger, ...options })]);
  const before = server.billed();
  await fn();
  sink.close();
  const after = server.billed();
  return {
    path,
    records: readRecords(path),
    billed: { input: after.input - before.input, output: after.output - before.output },
  };
}

const RUN_TREE = (model: string) => [
  ["Agent workflow", "ok", ["task Agent workflow", "ok", ["invoke_agent Forecaster", "ok", [
    "turn 1",
    "ok",
    [model, "ok"],
    ["execute_tool weather", "ok"],
  ], ["turn 2", "ok", [model, "ok"]]]]],
];

describe("the span trees of Agents SDK runs", () => {
  test("a tool loop over the Responses API: group_id is the conversation, usage is on the model calls", async () => {
    server.script(
      { ...OSLO, usage: { input: 100, output: 10, cacheRead: 20 } },
      { text: "It is -3 °C.", usage: { input: 150, output: 5 } },
    );
    const run = await journaled(() =>
      new Runner({ groupId: "thread-42" }).run(forecaster(), "Weather in Oslo?")
    );
    assert.deepEqual(shapes(run.records), RUN_TREE("chat"));
    const spans = allSpans(run.records);
    assert.ok(spans.every((s) => s.conversationId === "thread-42" && s.turnId === `t${journals}`));
    assert.equal(spans[0].attributes["gen_ai.conversation.id"], "thread-42");
    const agent = spans.find((s) => s.name === "invoke_agent Forecaster")!;
    assert.equal(agent.attributes["gen_ai.agent.name"], "Forecaster");
    assert.deepEqual(agent.attributes["openai_agents.agent.tools"], ["weather"]);
    const chats = spans.filter((s) => s.name === "chat");
    assert.deepEqual(
      chats.map((s) => [
        s.attributes["gen_ai.response.model"],
        s.attributes["gen_ai.response.id"],
        s.attributes["gen_ai.usage.input_tokens"],
        s.attributes["gen_ai.usage.output_tokens"],
        s.attributes["gen_ai.usage.cache_read.input_tokens"],
      ]),
      [["gpt-4o", "resp_1", 100, 10, 20], ["gpt-4o", "resp_2", 150, 5, 0]],
    );
    const counted = spans.filter((s) => s.attributes["gen_ai.usage.input_tokens"] !== undefined);
    assert.deepEqual(counted.map((s) => s.name), ["chat", "chat"]);
    const turn = spans.find((s) => s.name === "turn 1")!;
    assert.equal(turn.attributes["gen_ai.agent.name"], "Forecaster");
    assert.deepEqual(turn.attributes["openai_agents.usage"], {
      input_tokens: 100,
      output_tokens: 10,
      cached_input_tokens: 20,
      cache_write_input_tokens: 0,
    });
    const call = spans.find((s) => s.name === "execute_tool weather")!;
    assert.equal(call.attributes["gen_ai.tool.name"], "weather");
    assert.deepEqual(call.logs.map((l) => [l.msg, l.body]), [
      ["gen_ai.input", { arguments: { city: "Oslo" } }],
      ["gen_ai.output", { output: "-3 °C in Oslo" }],
    ]);
    assert.deepEqual(await storeUsage(run.path), run.billed);
    assert.deepEqual(run.billed, { input: 250, output: 15 });
  });

  test("a streamed run over chat completions counts each model call once", async () => {
    setOpenAIAPI("chat_completions");
    server.script(
      { ...OSLO, usage: { input: 300, output: 12, cacheRead: 200 } },
      { text: "Cold.", usage: { input: 340, output: 3 } },
    );
    const run = await journaled(async () => {
      const result = await new Runner().run(forecaster(), "Weather in Oslo?", { stream: true });
      for await (const _event of result) { /* drain */ }
      await result.completed;
      assert.equal(result.finalOutput, "Cold.");
    });
    assert.deepEqual(shapes(run.records), RUN_TREE("chat"));
    const counted = allSpans(run.records).filter((s) =>
      s.attributes["gen_ai.usage.input_tokens"] !== undefined
    );
    assert.equal(counted.length, 2);
    assert.deepEqual(await storeUsage(run.path), run.billed);
    assert.deepEqual(run.billed, { input: 640, output: 15 });
  });

  test("without sensitive data the model calls carry no usage, so the turns count it, once", async () => {
    server.script(
      { ...OSLO, usage: { input: 70, output: 6 } },
      { text: "Private answer.", usage: { input: 90, output: 4 } },
    );
    const run = await journaled(() =>
      new Runner({ traceIncludeSensitiveData: false }).run(forecaster(), "Private question?")
    );
    assert.deepEqual(shapes(run.records), RUN_TREE("chat"));
    const counted = allSpans(run.records).filter((s) =>
      s.attributes["gen_ai.usage.input_tokens"] !== undefined
    );
    assert.deepEqual(counted.map((s) => s.name), ["turn 1", "turn 2"]);
    const text = JSON.stringify(run.records);
    for (const secret of ["Private question", "Private answer", "Oslo"]) {
      assert.equal(text.includes(secret), false, secret);
    }
    assert.deepEqual(await storeUsage(run.path), run.billed);
    assert.deepEqual(run.billed, { input: 160, output: 10 });
  });

  test("a handoff is a span, and the second agent's turn follows under its own agent span", async () => {
    server.script(
      {
        toolCall: { name: "transfer_to_Helper", arguments: {}, id: "call_handoff" },
        usage: { input: 40, output: 4 },
      },
      { text: "Helper here.", usage: { input: 60, output: 3 } },
    );
    const helper = new Agent({ name: "Helper", instructions: "Help.", model: "gpt-4o" });
    const triage = new Agent({
      name: "Triage",
      instructions: "Hand off.",
      model: "gpt-4o",
      handoffs: [helper],
    });
    const run = await journaled(() => new Runner().run(triage, "I need help."));
    assert.deepEqual(shapes(run.records), [
      ["Agent workflow", "ok", ["task Agent workflow", "ok", [
        "invoke_agent Triage",
        "ok",
        ["turn 1", "ok", ["chat", "ok"], ["handoff", "ok"]],
      ], ["invoke_agent Helper", "ok", ["turn 2", "ok", ["chat", "ok"]]]]],
    ]);
    const handoff = allSpans(run.records).find((s) => s.name === "handoff")!;
    assert.equal(handoff.attributes["openai_agents.handoff.from"], "Triage");
    assert.equal(handoff.attributes["openai_agents.handoff.to"], "Helper");
    assert.deepEqual(await storeUsage(run.path), run.billed);
  });

  test("a function tool that throws closes its span with status error", async () => {
    server.script(
      {
        toolCall: { name: "broken", arguments: {}, id: "call_broken" },
        usage: { input: 20, output: 2 },
      },
      { text: "The tool failed.", usage: { input: 30, output: 4 } },
    );
    const broken = tool({
      name: "broken",
      description: "Always fails",
      parameters: { type: "object", properties: {}, required: [], additionalProperties: false },
      strict: true,
      execute: () => Promise.reject(new TypeError("no such city")),
    });
    const agent = new Agent({ name: "Fragile", model: "gpt-4o", tools: [broken] });
    const run = await journaled(() => new Runner().run(agent, "Use it."));
    const failed = allSpans(run.records).find((s) => s.name === "execute_tool broken")!;
    assert.equal(failed.status, "error");
    assert.equal(failed.attributes["error.type"], "_OTHER");
    assert.deepEqual(await storeUsage(run.path), run.billed);
  });

  test("with a sink and no logger the processor writes as extension openai-agents", async () => {
    server.script({ text: "Hi.", usage: { input: 5, output: 1 } });
    const path = join(dir, `journal-${journals++}.jsonl`);
    const sink = createJournalSink({ path, fsync: "none" });
    const processor = createJournalTraceProcessor({ sink });
    setTraceProcessors([processor]);
    await new Runner().run(new Agent({ name: "Greeter", model: "gpt-4o" }), "Hello");
    await processor.shutdown();
    sink.close();
    const records = readRecords(path);
    assert.ok(records.length > 0 && records.every((r) => r.extensionId === "openai-agents"));
    assert.throws(() => createJournalTraceProcessor({}), TypeError);
  });
});

const CRASH_WRITER = fileURLToPath(
  new URL("./fixtures/openai_agents_crash_writer.ts", import.meta.url),
);

describe("an Agents SDK host killed with SIGKILL inside a function tool", () => {
  test("the spans command, the store and the viewer show the run, the agent, the turn and the tool open", async () => {
    const path = join(dir, "crash.jsonl");
    assert.equal(await runAndKill(CRASH_WRITER, path), "SIGKILL");
    const open = ["Agent workflow", "task Agent workflow", "invoke_agent Operator", "turn 1"];
    assert.deepEqual(shapes(readRecords(path)), [
      [open[0], "open", [open[1], "open", [open[2], "open", [
        open[3],
        "open",
        ["chat", "ok"],
        ["execute_tool shell", "open"],
      ]]]],
    ]);
    const seen = await openEverywhere(path);
    assert.deepEqual(seen.cliOpen, [...open, "execute_tool shell"]);
    assert.deepEqual(seen.storeOpen.sort(), [...open, "execute_tool shell"].sort());
    assert.deepEqual(seen.turns.map((t) => [t.name, t.status, t.open]), [
      ["Agent workflow", "open", 5],
    ]);
    assert.deepEqual(await storeUsage(path), { input: 400, output: 20 });
  });
});
