/**
 * What `/api/turn` and `/api/trace` send of a view's page: its spans with their long values
 * cut (`value_cut.ts`) and, on each open span, when its extension last wrote to the turn
 * (`extension_silence.ts`), so the page can draw a silent writer's hung span to that time; each
 * span's cost, when known, for the model-call pane.
 * Pure.
 *
 * @module
 */

import { type TraceView, type TraceViewPage, viewPage } from "./view_model.ts";
import { type CutSpan, cutSpanValues } from "./value_cut.ts";
import { lastRecordByExtension } from "./extension_silence.ts";
import type { CostOf } from "./span_cost.ts";
import { readUsage } from "../genai/usage.ts";

/** A span as the page gets it. */
export interface ReadableSpan extends CutSpan {
  /** An open span only: its extension's last record in the turn, ms since the epoch. */
  lastRecordAt?: number;
  /** What it cost in USD (`span_cost.ts`: its own cost, else its tokens at its price). */
  costUsd?: number;
}

/** A page of a view as the page gets it. */
export interface ReadablePage extends TraceViewPage {
  /** The page's spans. */
  spans: ReadableSpan[];
}

/**
 * One page of `view` (as `viewPage`), its spans made readable.
 *
 * @param view A turn's or trace's view.
 * @param offset The page's first span.
 * @param costOf The cost rule (`spanCostOf` over `serve --prices`); without it, no span costs.
 * @returns The page to send.
 *
 * @example
 * ```ts
 * import { readablePage } from "./readable_page.ts";
 * const span = (spanId: string, status: "open" | "ok", start: number, end?: number) => ({
 *   spanId, name: spanId, extensionId: "tools", start, end, status, depth: 0, parent: -1,
 *   attributes: {}, links: [], logs: [], anomalies: [],
 * });
 * const page = readablePage({
 *   spans: [span("hung", "open", 10), span("done", "ok", 12, 30)], orphanLogs: [],
 *   inputTokens: 0, outputTokens: 0,
 * }, 0);
 * if (page.spans[0].lastRecordAt !== 30 || "lastRecordAt" in page.spans[1]) throw new Error("open only");
 * const priced = readablePage({
 *   spans: [{ ...span("call", "ok", 1, 2), attributes: { "gen_ai.usage.cost": 0.25 } }], orphanLogs: [],
 *   inputTokens: 0, outputTokens: 0,
 * }, 0, (usage) => usage.costUsd);
 * if (priced.spans[0].costUsd !== 0.25) throw new Error("a span's cost");
 * ```
 */
export function readablePage(view: TraceView, offset: number, costOf?: CostOf): ReadablePage {
  const page = viewPage(view, offset);
  const hasOpen = view.spans.some((span) => span.status === "open");
  const last = hasOpen ? lastRecordByExtension(view) : undefined;
  const spans = page.spans.map((span): ReadableSpan => {
    let sent: ReadableSpan = cutSpanValues(span);
    const cost = costOf?.(readUsage(span.attributes)) ?? null;
    if (cost !== null) sent = { ...sent, costUsd: cost };
    if (span.status !== "open" || last === undefined) return sent;
    const at = last.get(span.extensionId);
    return at === undefined ? sent : { ...sent, lastRecordAt: at };
  });
  return { ...page, spans };
}
