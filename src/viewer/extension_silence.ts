/**
 * When each writer of a turn last wrote to it: the journal names no process, so "the process
 * that holds an open span" is the span's extension, and its last record is the latest time
 * among the records of the turn that extension wrote (span opens, closes, log entries). The
 * page draws an open span whose extension has been silent a while to that time, not to "now"
 * (a dead writer's hung span would otherwise grow for ever and shrink every other bar to a
 * pixel), as `journal-sink spans` prints `OPEN ≥ …`. Read from the turn's own records, it is
 * the same from a journal and from a store (whose spans have no index by extension). Pure.
 *
 * @module
 */

import type { TraceView } from "./view_model.ts";

/**
 * The last record time of each extension among a view's records.
 *
 * @param view A turn's or trace's view.
 * @returns Extension id → ms since the epoch.
 *
 * @example
 * ```ts
 * import { lastRecordByExtension } from "./extension_silence.ts";
 * const log = { kind: "log", level: "info", msg: "working", timestamp: 25, extensionId: "tools" } as const;
 * const last = lastRecordByExtension({
 *   spans: [
 *     { extensionId: "tools", start: 10, logs: [log] },
 *     { extensionId: "host", start: 5, end: 40, logs: [] },
 *   ],
 *   orphanLogs: [],
 * });
 * if (last.get("tools") !== 25 || last.get("host") !== 40) throw new Error(String([...last]));
 * ```
 */
export function lastRecordByExtension(view: {
  spans: Pick<TraceView["spans"][number], "extensionId" | "start" | "end" | "logs">[];
  orphanLogs: Pick<TraceView["orphanLogs"][number], "extensionId" | "timestamp">[];
}): Map<string, number> {
  const last = new Map<string, number>();
  const seen = (extensionId: string, time: number | undefined) => {
    if (time === undefined || !Number.isFinite(time)) return;
    const before = last.get(extensionId);
    if (before === undefined || time > before) last.set(extensionId, time);
  };
  for (const span of view.spans) {
    seen(span.extensionId, span.start);
    seen(span.extensionId, span.end);
    for (const log of span.logs) seen(log.extensionId ?? span.extensionId, log.timestamp);
  }
  for (const log of view.orphanLogs) seen(log.extensionId, log.timestamp);
  return last;
}
