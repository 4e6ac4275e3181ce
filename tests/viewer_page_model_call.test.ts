// What the model-call pane shows, without a browser: which span is a model call, its address,
// which tab opens, the rows of the difference (system prompt first, runs of unchanged messages
// folded), the counts, the tools line, what differs inside a changed message, and the notes.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bodyCaption,
  changedParts,
  changeSign,
  cutNote,
  diffCounts,
  diffRows,
  isModelCall,
  modelCallUrl,
  SAME_RUN_FOLD,
  shownTab,
  systemChange,
  tabAvailable,
  toolsLine,
} from "../src/viewer/page/model_call_model.js";
import type {
  CutText,
  MessageChangeView,
  ModelCallView,
  PromptDiffView,
} from "../src/viewer/view_model.ts";

function text(value: string): CutText {
  return { text: value, chars: value.length, lines: value.split("\n").length, cut: false };
}

function diff(fields: Partial<PromptDiffView> = {}): PromptDiffView {
  return {
    system: { before: null, after: null, changed: false },
    messages: [],
    counts: { same: 0, added: 0, removed: 0, changed: 0 },
    tools: null,
    afterTools: [],
    ...fields,
  };
}

function call(fields: Partial<ModelCallView> = {}): ModelCallView {
  return {
    spanId: "s",
    name: "chat m",
    status: "ok",
    beforeAt: { spanId: "step", timestamp: 1_000 },
    before: text("[]"),
    after: text("{}"),
    response: text("{}"),
    diff: diff(),
    ...fields,
  };
}

function same(value: string): MessageChangeView {
  return { change: "same", role: "user", after: text(value) };
}

test("a span is a model call when it holds a provider.request record", () => {
  const log = (msg: string) => ({ kind: "log", level: "info", msg, timestamp: 1 }) as never;
  assert.equal(isModelCall({ logs: [log("prompt:before"), log("provider.request")] }), true);
  assert.equal(isModelCall({ logs: [log("prompt:before"), log("provider.response")] }), false);
  assert.equal(isModelCall({ logs: [] }), false);
});

test("the pane asks /api/diff for the call, and for a body whole, ids encoded", () => {
  assert.equal(modelCallUrl("turn", "t 1&x", "s/1"), "/api/diff?turn=t%201%26x&span=s%2F1");
  assert.equal(modelCallUrl("trace", "abc", "s", "after"), "/api/diff?trace=abc&span=s&part=after");
});

test("the difference opens first; a chosen tab stays chosen while it has something to show", () => {
  assert.equal(shownTab(call(), null), "diff");
  assert.equal(shownTab(call(), "response"), "response");
  const noBefore = call({ before: null, beforeAt: null, diff: null });
  assert.equal(tabAvailable(noBefore, "diff"), false);
  assert.equal(tabAvailable(noBefore, "before"), false);
  assert.equal(shownTab(noBefore, null), "after", "without a before, the request");
  assert.equal(shownTab(noBefore, "before"), "after");
  const nothing = call({ before: null, after: null, response: null, diff: null });
  assert.equal(shownTab(nothing, null), "diff", "nothing at all: the difference tab says why");
});

test("the system prompt is added, removed, changed, the same, or not there", () => {
  const a = text("be brief");
  const b = text("be kind");
  assert.equal(systemChange({ before: null, after: a, changed: true }), "added");
  assert.equal(systemChange({ before: a, after: null, changed: true }), "removed");
  assert.equal(systemChange({ before: a, after: b, changed: true }), "changed");
  assert.equal(systemChange({ before: a, after: a, changed: false }), "same");
  assert.equal(systemChange({ before: null, after: null, changed: false }), "none");
});

test("rows: the system prompt first, then messages, runs of unchanged ones folded", () => {
  const shown = diffRows(diff({
    system: { before: null, after: text("Answer in French."), changed: true },
    messages: [
      same("a"),
      same("b"),
      { change: "added", role: "user", after: text("context") },
      ...Array.from({ length: SAME_RUN_FOLD }, (_, i) => same(`old ${i}`)),
      { change: "changed", role: "user", before: text("hi"), after: text("hi there") },
      { change: "removed", role: "assistant", before: text("bye") },
    ],
  }));
  assert.deepEqual(
    shown.map((row) =>
      row.change === "run" ? ["run", row.rows.length] : [row.change, row.role, row.after?.text]
    ),
    [
      ["added", "system", "Answer in French."],
      ["same", "user", "a"],
      ["same", "user", "b"],
      ["added", "user", "context"],
      ["run", SAME_RUN_FOLD],
      ["changed", "user", "hi there"],
      ["removed", "assistant", undefined],
    ],
  );
  const unchanged = diffRows(diff({
    system: { before: text("s"), after: text("s"), changed: false },
  }));
  assert.deepEqual(unchanged, [{
    change: "same",
    role: "system",
    before: undefined,
    after: text("s"),
  }]);
  assert.deepEqual(diffRows(diff()), [], "no system prompt on either side: no row for it");
});

test("signs and counts: every count shown, the system prompt's change first", () => {
  assert.deepEqual(
    ["added", "removed", "changed", "same"].map((c) => changeSign(c as "same")),
    ["+", "−", "~", ""],
  );
  const counts = diffCounts(diff({
    system: { before: text("a"), after: text("b"), changed: true },
    counts: { same: 1200, added: 1, removed: 0, changed: 2 },
  }));
  assert.deepEqual(counts, [
    { change: "changed", text: "system prompt changed" },
    { change: "added", text: "1 added" },
    { change: "removed", text: "0 removed" },
    { change: "changed", text: "2 changed" },
    { change: "same", text: "1,200 same" },
  ]);
  assert.equal(diffCounts(diff()).length, 4, "no system prompt: no label for it");
});

test("the tools line: the request's tools marked by change, or why they are not compared", () => {
  assert.deepEqual(toolsLine(diff({ afterTools: ["get_weather"] })), {
    lead: "Tools: 1 in the request",
    tools: [{ name: "get_weather", change: "same" }],
    note: "the before did not list its tools",
  });
  assert.deepEqual(
    toolsLine(diff({
      afterTools: ["a", "b", "c"],
      tools: { added: ["b"], removed: ["z"], changed: ["c"] },
    })),
    {
      lead: "Tools: 3 in the request",
      tools: [
        { name: "a", change: "same" },
        { name: "b", change: "added" },
        { name: "c", change: "changed" },
        { name: "z", change: "removed" },
      ],
      note: "",
    },
  );
  assert.deepEqual(
    toolsLine(diff({ afterTools: ["a"], tools: { added: [], removed: [], changed: [] } })).note,
    "as in the before",
  );
  assert.deepEqual(toolsLine(diff()), { lead: "Tools: none in the request", tools: [], note: "" });
});

test("a changed message is split around what differs, never inside a word", () => {
  assert.deepEqual(changedParts("Weather in Oslo?", "Weather in Oslo today?"), {
    prefix: "Weather in Oslo",
    before: "",
    after: " today",
    suffix: "?",
  });
  assert.deepEqual(changedParts("the cat sat", "the cut sat"), {
    prefix: "the ",
    before: "cat",
    after: "cut",
    suffix: " sat",
  });
  assert.deepEqual(changedParts("You are terse.", "You are terse. Answer in French."), {
    prefix: "You are terse.",
    before: "",
    after: " Answer in French.",
    suffix: "",
  });
  assert.deepEqual(changedParts("abc", "xyz"), {
    prefix: "",
    before: "abc",
    after: "xyz",
    suffix: "",
  });
  assert.deepEqual(changedParts("same", "same"), {
    prefix: "same",
    before: "",
    after: "",
    suffix: "",
  });
  // Parts always join back to each side.
  for (const [a, b] of [["aaa", "aa"], ["ab ab", "ab"], ["x y", "x  y"], ["", "new"]]) {
    const p = changedParts(a, b);
    assert.equal(p.prefix + p.before + p.suffix, a);
    assert.equal(p.prefix + p.after + p.suffix, b);
  }
});

test("a cut text says how much of it is shown; a whole one says nothing", () => {
  assert.equal(
    cutNote({ text: "x".repeat(20_000), chars: 123_456, lines: 3_001, cut: true }),
    "Showing the first 20,000 of 123,456 characters (3,001 lines).",
  );
  assert.equal(
    cutNote({ text: "x".repeat(2_000), chars: 84_020, lines: 1, cut: true }),
    "Showing the first 2,000 of 84,020 characters (1 line).",
  );
  assert.equal(cutNote(text("short")), "");
});

test("each body's caption says what it is; the before's where and how long before the call", () => {
  const c = call({ beforeAt: { spanId: "step-1", timestamp: 1_000 } });
  assert.equal(
    bodyCaption(c, "before", 1_042, "plan"),
    "prompt:before: the prompt as the turn built it, on plan, 42 ms before the request.",
  );
  assert.equal(
    bodyCaption(c, "before", 1_042, undefined),
    "prompt:before: the prompt as the turn built it, on step-1, 42 ms before the request.",
  );
  assert.equal(
    bodyCaption(call({ beforeAt: null, before: null }), "before", 0, undefined),
    "prompt:before: none written in this turn before the call.",
  );
  assert.equal(bodyCaption(c, "after", 0, undefined), "provider.request: the body as it was sent.");
  assert.equal(
    bodyCaption(c, "response", 0, undefined),
    "provider.response: the body as it came back.",
  );
});
