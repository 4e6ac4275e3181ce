/**
 * The model-call pane's answer: a turn's view brought back to span trees for `modelCallDiffs`
 * (the very difference `journal-sink diff` prints), and one call shaped for the page with its
 * long texts cut, so selecting a call with a 4 MiB prompt does not send the page 12 MiB. Pure.
 *
 * @module
 */

import type { TraceForest, TraceSpan } from "../traces/traces.ts";
import { type ModelCallDiff, modelCallDiffs } from "../genai/model_call_diffs.ts";
import type { PromptDiff } from "../genai/prompt_diff.ts";
import type {
  CutText,
  MessageChangeView,
  ModelCallPart,
  ModelCallView,
  PromptDiffView,
  TraceView,
} from "./view_model.ts";

/** A body (before, after, response) longer than this many characters is sent cut. */
export const BODY_CUT_CHARS = 20_000;
/** A message or system prompt in the difference longer than this is sent cut. */
export const MESSAGE_CUT_CHARS = 2_000;

/**
 * A body as text: a string as it is, anything else as JSON indented by two (what the detail
 * pane shows for a body too).
 *
 * @param value A record's body.
 * @returns Its text.
 */
export function bodyText(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * `text` cut to at most `max` characters (never between the halves of a surrogate pair), with
 * the whole text's size.
 *
 * @param text The whole text.
 * @param max The most characters to keep.
 * @returns The text to send.
 *
 * @example
 * ```ts
 * import { cutText } from "./model_call_view.ts";
 * const cut = cutText("one\ntwo\nthree", 5);
 * if (cut.text !== "one\nt" || !cut.cut || cut.chars !== 13 || cut.lines !== 3) {
 *   throw new Error(JSON.stringify(cut));
 * }
 * ```
 */
export function cutText(text: string, max: number): CutText {
  let lines = 1;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) lines++;
  if (text.length <= max) return { text, chars: text.length, lines, cut: false };
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate: keep the pair whole
  return { text: text.slice(0, end), chars: text.length, lines, cut: true };
}

/**
 * A view's rows back as span trees (children by their parent row), with its orphan log entries
 * as the turn's loose ones: what `modelCallDiffs` reads. The sources build views, not forests,
 * and a view keeps everything the difference needs (each span's logs, parents, names, status).
 *
 * @param view A turn's or trace's view.
 * @returns The forest.
 */
export function viewForest(view: TraceView): TraceForest {
  const nodes: TraceSpan[] = [];
  const roots: TraceSpan[] = [];
  const open: TraceSpan[] = [];
  for (const row of view.spans) {
    const { depth: _depth, parent, anomalies: _anomalies, ...span } = row;
    const node: TraceSpan = { ...span, children: [], anomalies: [] };
    nodes.push(node);
    (parent >= 0 && parent < nodes.length - 1 ? nodes[parent].children : roots).push(node);
    if (node.status === "open") open.push(node);
  }
  const turnId = view.spans.find((span) => span.turnId !== undefined)?.turnId ?? "";
  return {
    roots,
    open,
    orphanLogs: view.orphanLogs,
    turnLogs: view.orphanLogs.length > 0 ? [{ turnId, logs: view.orphanLogs }] : [],
    spanCount: nodes.length,
  };
}

/**
 * The model calls of a view (every span with a `provider.request`), each with its before,
 * after, difference and response: `modelCallDiffs` of {@linkcode viewForest}.
 *
 * @param view A turn's or trace's view.
 * @returns The calls in the order they started.
 *
 * @example An extension added a system prompt
 * ```ts
 * import { flattenForest } from "./view_model.ts";
 * import { reconstructTraces } from "../traces/traces.ts";
 * import { modelCallView, viewModelCalls } from "./model_call_view.ts";
 * const at = { extensionId: "host", turnId: "t1" };
 * const view = flattenForest(reconstructTraces([
 *   { kind: "span-open", spanId: "step", name: "step", timestamp: 1, ...at },
 *   { kind: "log", level: "info", msg: "prompt:before", timestamp: 2, spanId: "step", ...at,
 *     body: [{ role: "user", content: "hi" }] },
 *   { kind: "span-open", spanId: "call", parentSpanId: "step", name: "chat m", timestamp: 3, ...at },
 *   { kind: "log", level: "info", msg: "provider.request", timestamp: 3, spanId: "call", ...at,
 *     body: { model: "m", messages: [{ role: "system", content: "be nice" }, { role: "user", content: "hi" }] } },
 * ]));
 * const [call] = viewModelCalls(view);
 * const shown = modelCallView(call);
 * if (shown.diff?.system.before !== null || shown.diff.system.after?.text !== "be nice") {
 *   throw new Error(JSON.stringify(shown.diff));
 * }
 * ```
 */
export function viewModelCalls(view: TraceView): ModelCallDiff[] {
  return modelCallDiffs(viewForest(view));
}

function cutMessage(text: string | null): CutText | null {
  return text === null ? null : cutText(text, MESSAGE_CUT_CHARS);
}

function diffView(diff: PromptDiff): PromptDiffView {
  const messages = diff.messages.map((m) => {
    const shown: MessageChangeView = { change: m.change, role: (m.after ?? m.before)!.role };
    if (m.before !== undefined && m.change !== "same") shown.before = cutMessage(m.before.text)!;
    if (m.after !== undefined) shown.after = cutMessage(m.after.text)!;
    return shown;
  });
  return {
    system: {
      before: cutMessage(diff.system.before),
      after: cutMessage(diff.system.after),
      changed: diff.system.changed,
    },
    messages,
    counts: diff.counts,
    tools: diff.tools,
    afterTools: diff.afterTools,
  };
}

function cutBody(value: unknown): CutText | null {
  return value === null || value === undefined ? null : cutText(bodyText(value), BODY_CUT_CHARS);
}

/**
 * One call as the page draws it: bodies as text cut to {@linkcode BODY_CUT_CHARS}, the
 * difference's texts cut to {@linkcode MESSAGE_CUT_CHARS} (a message the same on both sides
 * is sent once, as `after`).
 *
 * @param call A call of {@linkcode viewModelCalls}.
 * @returns What `/api/diff` answers for it.
 */
export function modelCallView(call: ModelCallDiff): ModelCallView {
  return {
    spanId: call.spanId,
    name: call.name,
    status: call.status,
    beforeAt: call.before === null
      ? null
      : call.before.spanId === undefined
      ? { timestamp: call.before.timestamp }
      : { spanId: call.before.spanId, timestamp: call.before.timestamp },
    before: cutBody(call.before?.body),
    after: cutBody(call.after),
    response: cutBody(call.response),
    diff: call.diff === null ? null : diffView(call.diff),
  };
}

/**
 * One body of a call whole, for the page's "show all".
 *
 * @param call A call of {@linkcode viewModelCalls}.
 * @param part Which body.
 * @returns Its whole text, or `undefined` when the call has no such body.
 */
export function modelCallPart(call: ModelCallDiff, part: ModelCallPart): string | undefined {
  const value = part === "before"
    ? call.before?.body
    : part === "after"
    ? call.after
    : call.response;
  return value === null || value === undefined ? undefined : bodyText(value);
}
