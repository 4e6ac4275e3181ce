/**
 * `journal-sink stats`: what a journal holds, in one pass and constant memory (but for the
 * spans still open).
 *
 * @module
 */

import type { Command } from "../command.ts";
import { formatDuration, formatTime, paint } from "../format.ts";
import { type CliIo, Output } from "../io.ts";
import { printable } from "../printable.ts";
import { requireRecords } from "../report.ts";
import { type JournalReading, runOnJournal } from "../journal_command.ts";
import { FILTER_OPTIONS, JSON_OPTION, NO_COLOR_OPTION } from "../options.ts";
import { tokensByTurn, turnTokensLine } from "../turn_tokens.ts";

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function byCount(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** `journal-sink stats`. */
export const stats: Command = {
  name: "stats",
  summary: "counts by kind, level and extension; time range, open spans, skipped lines",
  positionals: ["<journal>"],
  options: [
    { ...JSON_OPTION, help: "print one JSON document" },
    NO_COLOR_OPTION,
    ...FILTER_OPTIONS,
  ],
  run(args, io) {
    return runOnJournal(args, io, (reading) => journalStats(reading, io));
  },
};

async function journalStats(args: JournalReading, io: CliIo): Promise<number> {
  const [{ readJournal }, { TurnUsageTally }] = await Promise.all([
    import("../../reader/read_journal.ts"),
    import("../../genai/usage.ts"),
  ]);
  const tally = new TurnUsageTally();
  const color = args.color;
  const kinds = new Map<string, number>();
  const levels = new Map<string, number>();
  const extensions = new Map<string, number>();
  const open = new Map<string, { spanId: string; name: string; start: number }>();
  let opened = 0;
  let closed = 0;
  let closedWithoutOpen = 0;
  let first: number | undefined;
  let last: number | undefined;
  const reader = readJournal(args.path, { ...args.filter, fs: io.fs });
  for await (const record of reader) {
    const r = record as Record<string, unknown>;
    tally.add(record);
    count(kinds, String(r.kind));
    if (r.kind === "log") count(levels, String(r.level));
    if (r.extensionId !== undefined) count(extensions, String(r.extensionId));
    const time = r.timestamp;
    if (typeof time === "number" && Number.isFinite(time)) {
      if (first === undefined || time < first) first = time;
      if (last === undefined || time > last) last = time;
    }
    if (r.kind === "span-open" && typeof r.spanId === "string") {
      opened++;
      open.set(r.spanId, { spanId: r.spanId, name: String(r.name), start: Number(time) });
    } else if (r.kind === "span-close" && typeof r.spanId === "string") {
      closed++;
      if (!open.delete(r.spanId)) closedWithoutOpen++;
    }
  }
  const s = reader.stats;
  requireRecords(args.path, s);
  const openSpans = [...open.values()].sort((a, b) => a.start - b.start);
  const tokens = tally.totals();
  const out = new Output(io);
  if (args.json) {
    out.line(JSON.stringify({
      journal: args.path,
      files: s.files,
      bytes: s.bytes,
      records: s.records,
      filtered: s.filtered,
      byKind: byCount(kinds),
      byLevel: byCount(levels),
      byExtension: byCount(extensions),
      firstTimestamp: first ?? null,
      lastTimestamp: last ?? null,
      spans: { opened, closed, closedWithoutOpen, open: openSpans },
      skipped: { total: s.skipped, torn: s.torn, invalid: s.invalid, nulRuns: s.nulRuns },
      ...(tokens.size > 0 ? { tokensByTurn: tokensByTurn(tokens) } : {}),
    }));
    await out.flush();
    return 0;
  }
  const p = paint(color);
  const list = (map: Map<string, number>) =>
    map.size === 0
      ? p.dim("none")
      : Object.entries(byCount(map)).map(([key, n]) => `${printable(key)} ${n}`).join(" · ");
  const row = (label: string, value: string) => out.line(`${p.bold(label.padEnd(13))}${value}`);
  const names = s.files.map((file) => file.slice(file.lastIndexOf("/") + 1));
  row(
    "journal",
    `${printable(args.path)} ${p.dim(`(${printable(names.join(", "))}; ${bytes(s.bytes)})`)}`,
  );
  row(
    "records",
    `${s.records}` + (s.filtered > 0 ? p.dim(` (${s.filtered} more left out by the filter)`) : ""),
  );
  row("  kinds", list(kinds));
  row("  levels", list(levels));
  row("  extensions", list(extensions));
  row(
    "time",
    first === undefined || last === undefined
      ? p.dim("none")
      : `${formatTime(first)} → ${formatTime(last)} ${p.dim(`(${formatDuration(last - first)})`)}`,
  );
  const spanText = `${opened} opened, ${closed} closed` +
    (closedWithoutOpen > 0 ? `, ${closedWithoutOpen} closed without an open` : "");
  row("spans", spanText);
  if (openSpans.length === 0) {
    row("open", "0");
  } else {
    row("open", p.yellow(`${openSpans.length}`));
    for (const span of openSpans) {
      const age = last !== undefined ? ` open ≥ ${formatDuration(last - span.start)}` : "";
      const name = `${printable(span.name)} ${p.dim(`[${printable(span.spanId)}]`)}`;
      out.line(`${"".padEnd(13)}${name}${p.yellow(age)}`);
    }
  }
  let heading = "tokens";
  for (const [turnId, usage] of tokens) {
    row(heading, turnTokensLine(turnId, usage));
    heading = "";
  }
  const damage = `${s.skipped}` +
    (s.skipped > 0 ? ` (torn ${s.torn}, invalid ${s.invalid}, NUL runs ${s.nulRuns})` : "");
  row("skipped", s.skipped > 0 ? p.red(damage) : damage);
  await out.flush();
  return 0;
}
