/**
 * The model calls of a turn, each with its before (the `prompt:before` that preceded it), its
 * after (the body of its `provider.request`), the difference, and its response: what the
 * `diff` command prints and the viewer's model-call pane shows. Pure: takes the turn's trace
 * forest, from a journal or the store.
 *
 * @module
 */

import type { LogEntry } from "../records.ts";
import type { TraceForest, TraceSpan } from "../traces/traces.ts";
import { PROMPT_BEFORE } from "./capture_prompt.ts";
import { diffPrompts, type PromptDiff } from "./prompt_diff.ts";

/** One model call of a turn, before and after. */
export interface ModelCallDiff {
  /** The call's span (`chat gpt-4o`). */
  spanId: string;
  /** The span's name. */
  name: string;
  /** When it started (ms since the epoch). */
  start: number;
  /** How it ended. */
  status: "ok" | "error" | "open";
  /** The call's attributes (model, usage, …). */
  attributes: Record<string, unknown>;
  /** The `prompt:before` it is compared with, or `null` when the turn wrote none before it. */
  before: { spanId: string | undefined; timestamp: number; body: unknown } | null;
  /** The request's body as sent (the parsed JSON when the text was kept), or `null`. */
  after: unknown;
  /** The difference, or `null` when either side is missing or was not captured. */
  diff: PromptDiff | null;
  /** The `provider.response` body, when captured. */
  response: unknown;
}

/** A `provider.request` body written as text (not JSON-identical) is parsed when it can be. */
function requestBody(entry: LogEntry): unknown {
  const body = entry.body;
  if (typeof body !== "string") return body ?? null;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function isBefore(entry: LogEntry): boolean {
  return entry.msg === PROMPT_BEFORE;
}

/**
 * The model calls of `forest` (every span with a `provider.request` record), in the order
 * they started. A call's before is the latest `prompt:before` written no later than its request
 * on the nearest enclosing span that has one; failing that, the latest in the forest before it.
 *
 * @param forest The turn's spans and log entries (`reconstructTraces` of its records, or the
 *   store's `queryTurn`).
 * @returns The calls, each with its before, after and difference.
 *
 * @example
 * ```ts
 * import { reconstructTraces } from "../traces/traces.ts";
 * import { modelCallDiffs } from "./model_call_diffs.ts";
 * const at = { extensionId: "host", turnId: "t1" };
 * const forest = await reconstructTraces([
 *   { kind: "span-open", spanId: "step", name: "step", timestamp: 1, ...at },
 *   { kind: "log", level: "info", msg: "prompt:before", timestamp: 2, spanId: "step", ...at,
 *     body: [{ role: "user", content: "hi" }] },
 *   { kind: "span-open", spanId: "call", parentSpanId: "step", name: "chat m", timestamp: 3, ...at },
 *   { kind: "log", level: "info", msg: "provider.request", timestamp: 3, spanId: "call", ...at,
 *     body: { model: "m", messages: [{ role: "system", content: "be nice" }, { role: "user", content: "hi" }] } },
 * ]);
 * const [call] = modelCallDiffs(forest);
 * if (call.name !== "chat m" || call.diff?.system.after !== "be nice" || call.diff.counts.same !== 1) {
 *   throw new Error(JSON.stringify(call));
 * }
 * ```
 */
export function modelCallDiffs(forest: TraceForest): ModelCallDiff[] {
  const parents = new Map<string, TraceSpan>();
  const spans: TraceSpan[] = [];
  const loose: LogEntry[] = forest.turnLogs.flatMap((turn) => turn.logs.filter(isBefore));
  const walk = (span: TraceSpan) => {
    spans.push(span);
    for (const entry of span.logs) if (isBefore(entry)) loose.push(entry);
    for (const child of span.children) {
      parents.set(child.spanId, span);
      walk(child);
    }
  };
  for (const root of forest.roots) walk(root);
  loose.sort((a, b) => a.timestamp - b.timestamp);
  const latest = (entries: LogEntry[], until: number) => {
    let found: LogEntry | undefined;
    for (const e of entries) if (isBefore(e) && e.timestamp <= until) found = e;
    return found;
  };
  const calls: ModelCallDiff[] = [];
  for (const span of spans) {
    const request = span.logs.find((e) => e.msg === "provider.request");
    if (request === undefined) continue;
    let before: LogEntry | undefined;
    for (let p: TraceSpan | undefined = span; p !== undefined && before === undefined;) {
      before = latest(p.logs, request.timestamp);
      p = parents.get(p.spanId);
    }
    before ??= latest(loose, request.timestamp);
    const after = requestBody(request);
    const response = span.logs.find((e) => e.msg === "provider.response")?.body;
    calls.push({
      spanId: span.spanId,
      name: span.name,
      start: span.start,
      status: span.status,
      attributes: span.attributes,
      before: before === undefined
        ? null
        : { spanId: before.spanId, timestamp: before.timestamp, body: before.body ?? null },
      after,
      diff: before?.body !== undefined && after !== null ? diffPrompts(before.body, after) : null,
      response: response ?? null,
    });
  }
  return calls.sort((a, b) => a.start - b.start);
}
