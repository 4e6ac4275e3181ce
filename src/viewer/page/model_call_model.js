// @ts-check
/**
 * What the model-call pane shows, pure: which span is a model call, where its answer is, its
 * tabs, the rows of the difference (runs of unchanged messages folded), what differs inside
 * a changed message, and how a cut body and the tools read. No DOM.
 *
 * @module
 */

/** @import { CutText, ModelCallPart, ModelCallView, PromptDiffView, WaterfallSpan } from "../view_model.ts" */

import { formatDuration, formatNumber } from "./format.js";
import { valueCutNote } from "./detail_model.js";

/** This many unchanged messages in a row, or more, are folded behind one line. */
export const SAME_RUN_FOLD = 3;

/**
 * The pane's tabs, in order: the difference, then the three bodies.
 *
 * @typedef {"diff" | ModelCallPart} ModelCallTab
 */

/** @type {{ tab: ModelCallTab, label: string }[]} */
export const MODEL_CALL_TABS = [
  { tab: "diff", label: "Difference" },
  { tab: "before", label: "Before" },
  { tab: "after", label: "After" },
  { tab: "response", label: "Response" },
];

/**
 * Whether a span is a model call the pane can show: it holds a `provider.request` record.
 *
 * @param {Pick<WaterfallSpan, "logs">} span
 * @returns {boolean}
 */
export function isModelCall(span) {
  for (let i = 0; i < span.logs.length; i++) {
    if (span.logs[i].msg === "provider.request") return true;
  }
  return false;
}

/**
 * Where the pane asks for a call (`/api/diff`), or for one of its bodies whole.
 *
 * @param {"turn" | "trace"} kind What the page shows.
 * @param {string} id The turn's or trace's id.
 * @param {string} spanId The call's span.
 * @param {ModelCallPart} [part] A body, whole.
 * @returns {string}
 */
export function modelCallUrl(kind, id, spanId, part) {
  return "/api/diff?" + kind + "=" + encodeURIComponent(id) + "&span=" +
    encodeURIComponent(spanId) + (part ? "&part=" + part : "");
}

/**
 * The body a tab shows (`null`: not captured), or `undefined` for the difference tab.
 *
 * @param {ModelCallView} call
 * @param {ModelCallTab} tab
 * @returns {CutText | null | undefined}
 */
export function tabBody(call, tab) {
  return tab === "diff" ? undefined : call[tab];
}

/**
 * Whether a tab has something to show.
 *
 * @param {ModelCallView} call
 * @param {ModelCallTab} tab
 * @returns {boolean}
 */
export function tabAvailable(call, tab) {
  return tab === "diff" ? call.diff !== null : call[tab] !== null;
}

/**
 * The tab to show: the one asked for when it has something, else the difference, else the
 * first body there is.
 *
 * @param {ModelCallView} call
 * @param {ModelCallTab | null} wanted The tab the reader chose last, if any.
 * @returns {ModelCallTab}
 */
export function shownTab(call, wanted) {
  if (wanted !== null && tabAvailable(call, wanted)) return wanted;
  for (let i = 0; i < MODEL_CALL_TABS.length; i++) {
    if (tabAvailable(call, MODEL_CALL_TABS[i].tab)) return MODEL_CALL_TABS[i].tab;
  }
  return "diff";
}

/**
 * What happened to the system prompt: `none` when neither side has one.
 *
 * @param {PromptDiffView["system"]} system
 * @returns {"none" | "same" | "added" | "removed" | "changed"}
 */
export function systemChange(system) {
  if (system.before === null && system.after === null) return "none";
  if (!system.changed) return "same";
  if (system.before === null) return "added";
  if (system.after === null) return "removed";
  return "changed";
}

/**
 * One row of the difference: the system prompt or a message.
 *
 * @typedef {object} DiffRow
 * @property {"same" | "added" | "removed" | "changed"} change
 * @property {string} role `system` for the system prompt.
 * @property {CutText | undefined} before Its text before (a changed or removed row).
 * @property {CutText | undefined} after Its text after (a same, added or changed row).
 */

/**
 * A run of unchanged messages shown as one line that unfolds.
 *
 * @typedef {object} SameRun
 * @property {"run"} change
 * @property {DiffRow[]} rows
 */

/**
 * The rows the difference tab draws, in order: the system prompt first when either side has
 * one, then every message, {@linkcode SAME_RUN_FOLD} or more unchanged ones in a row folded.
 *
 * @param {PromptDiffView} diff
 * @returns {(DiffRow | SameRun)[]}
 */
export function diffRows(diff) {
  /** @type {(DiffRow | SameRun)[]} */
  const rows = [];
  const system = systemChange(diff.system);
  if (system !== "none") {
    rows.push({
      change: system,
      role: "system",
      before: system === "same" ? undefined : diff.system.before || undefined,
      after: diff.system.after || undefined,
    });
  }
  /** @type {DiffRow[]} */
  let run = [];
  function flush() {
    if (run.length >= SAME_RUN_FOLD) rows.push({ change: "run", rows: run });
    else for (let i = 0; i < run.length; i++) rows.push(run[i]);
    run = [];
  }
  diff.messages.forEach(function (m) {
    /** @type {DiffRow} */
    const row = { change: m.change, role: m.role, before: m.before, after: m.after };
    if (m.change === "same") {
      run.push(row);
      return;
    }
    flush();
    rows.push(row);
  });
  flush();
  return rows;
}

/**
 * The mark in a row's gutter.
 *
 * @param {DiffRow["change"]} change
 * @returns {string}
 */
export function changeSign(change) {
  return change === "added" ? "+" : change === "removed" ? "−" : change === "changed" ? "~" : "";
}

/**
 * The counts of the difference as short labels, none left out, after what happened to the
 * system prompt when it changed: what the tab says above its rows, each with the change it
 * is colored by.
 *
 * @param {PromptDiffView} diff
 * @returns {{ change: "added" | "removed" | "changed" | "same", text: string }[]}
 */
export function diffCounts(diff) {
  /** @type {{ change: "added" | "removed" | "changed" | "same", text: string }[]} */
  const out = [];
  const system = systemChange(diff.system);
  if (system !== "none" && system !== "same") {
    out.push({ change: system, text: "system prompt " + system });
  }
  out.push({ change: "added", text: formatNumber(diff.counts.added) + " added" });
  out.push({ change: "removed", text: formatNumber(diff.counts.removed) + " removed" });
  out.push({ change: "changed", text: formatNumber(diff.counts.changed) + " changed" });
  out.push({ change: "same", text: formatNumber(diff.counts.same) + " same" });
  return out;
}

/**
 * What the tools line says: the request's tools, each marked added or changed when the
 * before listed its own, and the before's tools the request dropped.
 *
 * @param {PromptDiffView} diff
 * @returns {{ lead: string, tools: { name: string, change: "same" | "added" | "removed" | "changed" }[], note: string }}
 */
export function toolsLine(diff) {
  const tools = diff.afterTools.map(function (name) {
    /** @type {"same" | "added" | "changed"} */
    let change = "same";
    if (diff.tools !== null && diff.tools.added.indexOf(name) >= 0) change = "added";
    else if (diff.tools !== null && diff.tools.changed.indexOf(name) >= 0) change = "changed";
    return { name: name, change: /** @type {"same" | "added" | "removed" | "changed"} */ (change) };
  });
  if (diff.tools !== null) {
    diff.tools.removed.forEach(function (name) {
      tools.push({ name: name, change: "removed" });
    });
  }
  const n = diff.afterTools.length;
  const lead = "Tools: " + (n === 0 ? "none in the request" : formatNumber(n) + " in the request");
  let note = "";
  if (diff.tools === null) {
    if (n > 0) note = "the before did not list its tools";
  } else if (!diff.tools.added.length && !diff.tools.removed.length && !diff.tools.changed.length) {
    note = "as in the before";
  }
  return { lead: lead, tools: tools, note: note };
}

/** @param {string} c */
function isWordChar(c) {
  return /[\p{L}\p{N}_]/u.test(c);
}

/**
 * A changed text split around what differs: the common start and end (snapped to whole
 * words) and the middle of each side.
 *
 * @param {string} before
 * @param {string} after
 * @returns {{ prefix: string, before: string, after: string, suffix: string }}
 */
export function changedParts(before, after) {
  const most = Math.min(before.length, after.length);
  let start = 0;
  while (start < most && before[start] === after[start]) start++;
  // Not inside a word: back up to its start.
  while (
    start > 0 && isWordChar(before[start - 1]) &&
    (isWordChar(before[start] || "") || isWordChar(after[start] || ""))
  ) start--;
  let end = 0;
  while (end < most - start && before[before.length - 1 - end] === after[after.length - 1 - end]) {
    end++;
  }
  while (
    end > 0 && isWordChar(before[before.length - end]) &&
    (isWordChar(before[before.length - end - 1] || "") ||
      isWordChar(after[after.length - end - 1] || ""))
  ) end--;
  return {
    prefix: before.slice(0, start),
    before: before.slice(start, before.length - end),
    after: after.slice(start, after.length - end),
    suffix: before.slice(before.length - end),
  };
}

/**
 * The note under a cut text: how much of it is shown.
 *
 * @param {CutText} text
 * @returns {string} Empty when the text is whole.
 */
export function cutNote(text) {
  return text.cut ? valueCutNote(text.text.length, text) : "";
}

/**
 * The line over a body tab: what it is and, for the before, where and when it was written.
 *
 * @param {ModelCallView} call
 * @param {ModelCallPart} part
 * @param {number} requestAt When the call started, ms since the epoch.
 * @param {string | undefined} beforeSpanName The name of the span the before was written on.
 * @returns {string}
 */
export function bodyCaption(call, part, requestAt, beforeSpanName) {
  if (part === "after") return "provider.request: the body as it was sent.";
  if (part === "response") return "provider.response: the body as it came back.";
  const at = call.beforeAt;
  if (at === null) return "prompt:before: none written in this turn before the call.";
  const where = beforeSpanName || at.spanId;
  const lead = requestAt - at.timestamp;
  return "prompt:before: the prompt as the turn built it" + (where ? ", on " + where : "") +
    (lead >= 0 ? ", " + formatDuration(lead) + " before the request." : ".");
}
