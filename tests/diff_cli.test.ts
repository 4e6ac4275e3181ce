// `journal-sink diff`: a turn's prompt:before against what its model calls really sent, from a
// journal written by capturePrompt and captureFetch with the OpenAI SDK (an "extension" adds a
// system prompt and a message on the way), and from the trace store.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { createJournalSink, createLogger } from "../mod.ts";
import { captureFetch, capturePrompt, diffPrompts } from "../genai.ts";
import { type FakeProvider, startFakeProvider } from "./fixtures/fake_provider.ts";
import { runCli } from "./fixtures/run_cli.ts";

let server: FakeProvider;
let dir: string;
let journal: string;
before(async () => {
  server = await startFakeProvider();
  dir = mkdtempSync(join(tmpdir(), "diff-cli-"));
  journal = join(dir, "agent.jsonl");
  const sink = createJournalSink({ path: journal, fsync: "none" });
  const log = createLogger({ sink, extensionId: "host" }).child({
    conversationId: "c1",
    turnId: "t1",
  });
  const client = new OpenAI({
    apiKey: "sk-x",
    baseURL: `${server.url}/v1`,
    fetch: captureFetch(log),
    maxRetries: 0,
  });
  const built = [
    { role: "system" as const, content: "You are terse." },
    { role: "user" as const, content: "Weather in Oslo?" },
  ];
  await log.withSpan("step 1", async (step) => {
    capturePrompt(step, built);
    // What extensions did: a new system prompt, a retrieved context message, a reworded question.
    await client.chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "You are terse. Answer in French.\x1b[2J" },
        { role: "user", content: "Context: it rains in Oslo." },
        { role: "user", content: "Weather in Oslo today?" },
      ],
      tools: [{ type: "function", function: { name: "get_weather", parameters: {} } }],
    });
  });
  // A second call in the turn, sent as built.
  await log.withSpan("step 2", async (step) => {
    capturePrompt(step, built);
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: built });
  });
  sink.close();
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("journal-sink diff", () => {
  test("prints each model call's system prompt, messages and tools as changed", async () => {
    const { code, out, err } = await runCli(["diff", journal, "--turn", "t1"]);
    assert.equal(err, "");
    assert.equal(code, 0);
    assert.match(out, /^turn t1: 2 model calls$/m);
    assert.match(out, /^chat gpt-4o \[[0-9a-f]{16}\] ok .* tokens in 1200 out 40$/m);
    assert.match(
      out,
      /^ {2}system: changed\n {4}- You are terse\.\n {4}\+ You are terse\. Answer in French\.\\x1b\[2J$/m,
    );
    assert.match(out, /^ {2}messages: 0 same, 1 added, 0 removed, 1 changed$/m);
    assert.match(out, /^ {4}\+ user: Context: it rains in Oslo\.$/m);
    assert.match(out, /^ {4}~ user: Weather in Oslo\?\n {6}→ user: Weather in Oslo today\?$/m);
    assert.match(out, /^ {2}tools: 1 in the request \(get_weather\); the before did not list/m);
    assert.match(
      out,
      /^chat gpt-4o-mini .*\n {2}system: unchanged\n {2}messages: 1 same, 0 added/m,
    );
    assert.ok(!out.includes("\x1b"), "control characters are escaped");
  });

  test("--json gives the calls with their before, after and difference", async () => {
    const { code, out } = await runCli(["diff", journal, "--turn", "t1", "--json"]);
    assert.equal(code, 0);
    const doc = JSON.parse(out);
    assert.equal(doc.calls.length, 2);
    const [first, second] = doc.calls;
    assert.equal(first.name, "chat gpt-4o");
    assert.deepEqual(first.diff.counts, { same: 0, added: 1, removed: 0, changed: 1 });
    assert.equal(first.diff.system.changed, true);
    assert.equal(JSON.stringify(first.after), server.received[0].text, "the after as sent");
    assert.equal(first.before.body[1].content, "Weather in Oslo?");
    assert.deepEqual(second.diff.counts, { same: 1, added: 0, removed: 0, changed: 0 });
  });

  test("reads the same from the trace store", async () => {
    const db = join(dir, "store.db");
    assert.equal((await runCli(["collect", "--db", db, "--once", journal])).code, 0);
    const fromStore = await runCli(["diff", "--db", db, "--turn", "t1", "--conversation", "c1"]);
    const fromJournal = await runCli(["diff", journal, "--turn", "t1"]);
    assert.equal(fromStore.code, 0, fromStore.err);
    assert.equal(fromStore.out, fromJournal.out);
  });

  test("a turn without model calls, and a command line without --turn, fail plainly", async () => {
    const missing = await runCli(["diff", journal, "--turn", "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no turn nope/);
    const usage = await runCli(["diff", journal]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--turn/);
  });
});

describe("diffPrompts", () => {
  test("an added system message is shown as added, whatever the shapes of the two sides", () => {
    const before = { messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] };
    const after = {
      system: [{ type: "text", text: "Be safe." }],
      messages: [{ role: "user", content: "hi" }],
    };
    const diff = diffPrompts(before, after);
    assert.deepEqual(diff.system, { before: null, after: "Be safe.", changed: true });
    assert.deepEqual(diff.counts, { same: 1, added: 0, removed: 0, changed: 0 });
  });

  test("a removed message, a reordered pair and tools are told apart", () => {
    const before = {
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: "b" },
        { role: "user", content: "c" },
      ],
      tools: [{ name: "x", input_schema: {} }, { name: "y", input_schema: {} }],
    };
    const after = {
      messages: [{ role: "user", content: "a" }, { role: "user", content: "c" }],
      tools: [
        { type: "function", function: { name: "x", parameters: {} } },
        { type: "function", function: { name: "z", parameters: {} } },
      ],
    };
    const diff = diffPrompts(before, after);
    assert.deepEqual(diff.messages.map((m) => m.change), ["same", "removed", "same"]);
    assert.deepEqual(diff.tools, { added: ["z"], removed: ["y"], changed: [] });
  });
});
