// The viewer's model-call pane, server side: `/api/diff` answers one model call's before, after,
// difference and response, from a followed journal and from the store alike, cuts long bodies
// (and answers them whole on demand), and keeps the viewer's refusals.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectJournal } from "../src/collector/collect.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import {
  BODY_CUT_CHARS,
  cutText,
  MESSAGE_CUT_CHARS,
  viewForest,
  viewModelCalls,
} from "../src/viewer/model_call_view.ts";
import { flattenForest } from "../src/viewer/view_model.ts";
import { reconstructTraces } from "../src/traces/traces.ts";
import { modelCallDiffs } from "../src/genai/model_call_diffs.ts";
import { readJournal } from "../src/reader/read_journal.ts";
import type {
  ModelCallPartAnswer,
  ModelCallView,
  TraceViewPage,
} from "../src/viewer/view_model.ts";
import { type FakeProvider, startFakeProvider } from "./fixtures/fake_provider.ts";
import {
  ADDED_CONTEXT,
  ADDED_SYSTEM,
  QUESTION,
  REMOVED_GREETING,
  REWORDED,
  writeDiffTurn,
} from "./fixtures/viewer_diff_turn.ts";

let provider: FakeProvider;
let dir: string;
let journal: string;
let db: string;
const LONG = "Retrieved document: " + "the fjord is deep and cold. ".repeat(3_000);

before(async () => {
  provider = await startFakeProvider();
  dir = mkdtempSync(join(tmpdir(), "viewer-diff-"));
  journal = join(dir, "agent.jsonl");
  await writeDiffTurn(journal, provider, "t-diff");
  await writeDiffTurn(join(dir, "long.jsonl"), provider, "t-long", LONG);
  db = join(dir, "traces.db");
  await collectJournal(journal, { db, once: true });
});
after(async () => {
  await provider.close();
  rmSync(dir, { recursive: true, force: true });
});

async function json<T>(viewer: ViewerServer, path: string): Promise<T> {
  const response = await fetch(viewer.url + path);
  assert.equal(
    response.status,
    200,
    `${path}: ${response.status} ${await response.clone().text()}`,
  );
  return await response.json() as T;
}

/** The turn's spans once the server has indexed them. */
async function spans(viewer: ViewerServer, turn: string): Promise<TraceViewPage["spans"]> {
  for (let i = 0; i < 100; i++) {
    const response = await fetch(`${viewer.url}/api/turn?id=${turn}`);
    if (response.status === 200) {
      const page = await response.json() as TraceViewPage;
      if (page.spans.length === 4) return page.spans;
    } else await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`turn ${turn} never showed its four spans`);
}

async function callSpan(viewer: ViewerServer, turn: string): Promise<string> {
  const call = (await spans(viewer, turn)).find((span) => span.name === "chat gpt-4o");
  assert.ok(call, "the model call's span is in the turn");
  return call.spanId;
}

function assertTripDiff(call: ModelCallView): void {
  assert.equal(call.name, "chat gpt-4o");
  assert.equal(call.status, "ok");
  const diff = call.diff;
  assert.ok(diff, "a before and an after: a difference");
  assert.deepEqual(diff.system, {
    before: null,
    after: { text: ADDED_SYSTEM, chars: ADDED_SYSTEM.length, lines: 1, cut: false },
    changed: true,
  });
  assert.deepEqual(diff.counts, { same: 2, added: 1, removed: 2, changed: 1 });
  assert.deepEqual(
    diff.messages.map((m) => [m.change, m.role, m.before?.text, m.after?.text]),
    [
      ["removed", "user", REMOVED_GREETING, undefined],
      ["removed", "assistant", "Of course. Where are you going?", undefined],
      ["same", "user", undefined, "Oslo, for the weekend."],
      ["same", "assistant", undefined, "Lovely. What do you enjoy when you travel?"],
      ["added", "user", undefined, ADDED_CONTEXT],
      ["changed", "user", QUESTION, REWORDED],
    ],
  );
  assert.deepEqual(diff.tools, { added: ["search_places"], removed: [], changed: [] });
  assert.deepEqual(diff.afterTools, ["get_weather", "search_places"]);
  assert.ok(call.beforeAt?.spanId, "where the before was written");
  assert.match(call.before!.text, /"content": "Museums and good coffee/);
  assert.match(call.after!.text, /"role": "system"/);
  assert.match(call.response!.text, /"content": "Hello!"/);
}

describe("/api/diff", () => {
  test("from a journal: the added system prompt, removed, same, added and changed messages, tools", async () => {
    await using viewer = await serve({ journal, port: 0, pollMs: 50 });
    const span = await callSpan(viewer, "t-diff");
    assertTripDiff(await json<ModelCallView>(viewer, `/api/diff?turn=t-diff&span=${span}`));
  });

  test("from the store, the same answer", async () => {
    await using viewer = await serve({ db, port: 0 });
    const span = await callSpan(viewer, "t-diff");
    assertTripDiff(await json<ModelCallView>(viewer, `/api/diff?turn=t-diff&span=${span}`));
  });

  test("a trace's page asks by trace id: the same answer", async () => {
    await using viewer = await serve({ journal, port: 0, pollMs: 50 });
    const call = (await spans(viewer, "t-diff")).find((span) => span.name === "chat gpt-4o")!;
    assert.ok(call.traceId, "captureFetch's span carries its trace id");
    assertTripDiff(
      await json<ModelCallView>(viewer, `/api/diff?trace=${call.traceId}&span=${call.spanId}`),
    );
  });

  test("the after is the provider.request body exactly as the fake provider received it", async () => {
    await using viewer = await serve({ journal, port: 0, pollMs: 50 });
    const span = await callSpan(viewer, "t-diff");
    const whole = await json<ModelCallPartAnswer>(
      viewer,
      `/api/diff?turn=t-diff&span=${span}&part=after`,
    );
    const sent = provider.received.find((r) => r.text.includes(ADDED_SYSTEM));
    assert.ok(sent);
    assert.deepEqual(JSON.parse(whole.text), JSON.parse(sent.text));
  });

  test("a long body is sent cut with its size, and whole when asked for", async () => {
    await using viewer = await serve({ journal: join(dir, "long.jsonl"), port: 0, pollMs: 50 });
    const span = await callSpan(viewer, "t-long");
    const call = await json<ModelCallView>(viewer, `/api/diff?turn=t-long&span=${span}`);
    const cut = call.after!;
    assert.equal(cut.cut, true);
    assert.equal(cut.text.length, BODY_CUT_CHARS);
    assert.ok(cut.chars > LONG.length, `${cut.chars} characters in the whole body`);
    const long = call.diff!.messages.find((m) => m.change === "added" && m.after!.cut);
    assert.ok(long, "the long added message is cut too");
    assert.equal(long.after!.text.length, MESSAGE_CUT_CHARS);
    assert.equal(long.after!.chars, LONG.length);
    const whole = await json<ModelCallPartAnswer>(
      viewer,
      `/api/diff?turn=t-long&span=${span}&part=after`,
    );
    assert.equal(whole.part, "after");
    assert.equal(whole.text.length, cut.chars);
    assert.ok(whole.text.startsWith(cut.text));
    assert.ok(whole.text.includes(LONG));
  });

  test("a span that is no model call, an unknown turn and bad parameters are refused", async () => {
    await using viewer = await serve({ journal, port: 0, pollMs: 50 });
    const all = await spans(viewer, "t-diff");
    const plan = all.find((span) => span.name === "plan")!.spanId;
    const status = async (path: string) => {
      const response = await fetch(viewer.url + path);
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await status(`/api/diff?turn=t-diff&span=${plan}`), 404);
    assert.equal(await status(`/api/diff?turn=t-never&span=${plan}`), 404);
    assert.equal(await status(`/api/diff?span=${plan}`), 400);
    assert.equal(await status(`/api/diff?turn=t-diff`), 400);
    const call = all.find((span) => span.name === "chat gpt-4o")!.spanId;
    assert.equal(await status(`/api/diff?turn=t-diff&span=${call}&part=headers`), 400);
    assert.equal(await status(`/api/diff?turn=t-diff&span=${call}&part=response`), 200);
  });

  test("a request from another site gets 403 and a foreign Host 421, as for the other answers", async () => {
    await using viewer = await serve({ journal, port: 0, pollMs: 50 });
    const span = await callSpan(viewer, "t-diff");
    const path = `/api/diff?turn=t-diff&span=${span}`;
    const crossSite = await fetch(viewer.url + path, {
      headers: { "sec-fetch-site": "cross-site" },
    });
    assert.equal(crossSite.status, 403);
    assert.doesNotMatch(await crossSite.text(), /travel assistant/);
    const origin = await fetch(viewer.url + path, { headers: { origin: "https://evil.test" } });
    assert.equal(origin.status, 403);
    await origin.body?.cancel();
    const { request } = await import("node:http");
    const foreign = await new Promise<number>((resolve, reject) => {
      const req = request(viewer.url + path, { headers: { host: "rebind.test" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(foreign, 421);
    const post = await fetch(viewer.url + path, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  });
});

describe("the pane's answer, pure", () => {
  test("a view brought back to trees gives the calls the diff command computes from the records", async () => {
    const records = [];
    for await (const record of readJournal(journal)) records.push(record);
    const forest = reconstructTraces(records);
    const view = flattenForest(forest);
    assert.deepEqual(viewModelCalls(view), modelCallDiffs(forest));
    const rebuilt = viewForest(view);
    assert.equal(rebuilt.spanCount, forest.spanCount);
    assert.deepEqual(
      rebuilt.roots.map((root) => [root.name, root.children.map((child) => child.name)]),
      forest.roots.map((root) => [root.name, root.children.map((child) => child.name)]),
    );
  });

  test("a cut never splits a surrogate pair, and counts the whole text's size", () => {
    const cut = cutText("ab😀cd", 3);
    assert.deepEqual(cut, { text: "ab", chars: 6, lines: 1, cut: true });
    assert.deepEqual(cutText("a\nb", 10), { text: "a\nb", chars: 3, lines: 2, cut: false });
  });
});
