// @ts-check
/**
 * When an open span or turn has gone silent: its writer wrote nothing to the turn for
 * {@linkcode SILENT_MS} or more. The server sends, with each open span, its extension's last
 * record in the turn (`lastRecordAt`); a silent span is drawn to that time with "no record
 * since …" (as `journal-sink spans` prints `OPEN ≥ …`), not grown to "now", and the list says
 * "open, silent for 2h 0m" of a turn whose last record is that old. Pure, no DOM.
 *
 * @module
 */

/** @import { ReadableSpan } from "../readable_page.ts" */
/** @import { TurnSummary } from "../view_model.ts" */

import { formatDuration, formatTime } from "./format.js";

/** An open span or turn without a record for this long, ms, is silent. */
export const SILENT_MS = 60000;

/**
 * When an open span's writer last wrote to the turn, if that is {@linkcode SILENT_MS} or more
 * before `now`; else (closed, still writing, or not known) `undefined`.
 *
 * @param {Pick<ReadableSpan, "status" | "start" | "lastRecordAt">} span
 * @param {number} now The server's clock, ms since the epoch.
 * @returns {number | undefined}
 */
export function silentSince(span, now) {
  if (span.status !== "open" || span.lastRecordAt === undefined) return undefined;
  const last = Math.max(span.lastRecordAt, span.start);
  return now - last >= SILENT_MS ? last : undefined;
}

/**
 * The marker of a silent span: `no record since 2025-01-31 14:05:09.042 (2h 3m ago)`.
 *
 * @param {number} since Its writer's last record.
 * @param {number} now
 * @returns {string}
 */
export function silenceNote(since, now) {
  return "no record since " + formatTime(since) + " (" + formatDuration(now - since) + " ago)";
}

/**
 * What the list says of an open turn whose last record is {@linkcode SILENT_MS} or more old:
 * `open, silent for 2h 0m`; `undefined` for any other turn.
 *
 * @param {Pick<TurnSummary, "status" | "end">} turn
 * @param {number} now
 * @returns {string | undefined}
 */
export function turnSilence(turn, now) {
  if (turn.status !== "open" || now - turn.end < SILENT_MS) return undefined;
  return "open, silent for " + formatDuration(now - turn.end);
}
