/**
 * `journal-sink spans`: the trace trees, with durations, and the open spans flagged.
 *
 * @module
 */

import type { LogEntry } from "../../records.ts";
import type { TraceSpan } from "../../traces/traces.ts";
import type { Command } from "../command.ts";
import { formatDuration, formatTime, type Paint, paint } from "../format.ts";
import { type CliIo, Output } from "../io.ts";
import { printable, printableJson } from "../printable.ts";
import { type JournalReading, runOnJournal } from "../journal_command.ts";
import { FILTER_OPTIONS, JSON_OPTION, NO_COLOR_OPTION } from "../options.ts";
import { reportSkipped, requireRecords } from "../report.ts";
import { tokensByTurn, turnTokensLine } from "../turn_tokens.ts";

function spanLine(span: TraceSpan, last: number | undefined, p: Paint): string {
  const parts = [p.bold(printable(span.name)), p.dim(`[${printable(span.spanId)}]`)];
  if (span.status === "open") {
    const age = last !== undefined ? ` ≥ ${formatDuration(last - span.start)}` : "";
    parts.push(p.yellow(p.bold("OPEN")) + p.yellow(age));
  } else {
    parts.push(
      span.status === "error" ? p.red("error") : p.green("ok"),
      span.durationMs !== undefined ? formatDuration(span.durationMs) : "?",
    );
  }
  parts.push(p.cyan(printable(span.extensionId)));
  const extras: string[] = [];
  if (span.turnId !== undefined) extras.push(`turn=${printable(span.turnId)}`);
  if (span.conversationId !== undefined) {
    extras.push(`conversation=${printable(span.conversationId)}`);
  }
  if (Object.keys(span.attributes).length > 0) extras.push(printableJson(span.attributes));
  if (extras.length > 0) parts.push(p.dim(extras.join(" ")));
  if (span.anomalies.length > 0) parts.push(p.red(`⚠ ${printable(span.anomalies.join(", "))}`));
  return parts.join(" ");
}

/** `journal-sink spans`. */
export const spans: Command = {
  name: "spans",
  summary: "the trace trees: durations, status, open spans flagged",
  positionals: ["<journal>"],
  options: [
    { name: "logs", help: "show each span's log entries under it, and each turn's under the turn" },
    { ...JSON_OPTION, help: "print the forest as one JSON document" },
    NO_COLOR_OPTION,
    ...FILTER_OPTIONS,
  ],
  run(args, io) {
    return runOnJournal(
      args,
      io,
      (reading) => showSpans({ ...reading, logs: args.options.logs === true }, io),
    );
  },
};

/** The records, each also counted by `tally` on its way through. */
async function* tallied<R extends { readonly kind: string }>(
  records: AsyncIterable<R>,
  tally: { add(record: R): void },
): AsyncGenerator<R> {
  for await (const record of records) {
    tally.add(record);
    yield record;
  }
}

interface SpansOptions extends JournalReading {
  logs: boolean;
}

async function showSpans(args: SpansOptions, io: CliIo): Promise<number> {
  const [{ readJournal }, { reconstructTraces }, { TurnUsageTally }] = await Promise.all([
    import("../../reader/read_journal.ts"),
    import("../../traces/traces.ts"),
    import("../../genai/usage.ts"),
  ]);
  const color = args.color;
  const reader = readJournal(args.path, { ...args.filter, fs: io.fs });
  const tally = new TurnUsageTally();
  const forest = await reconstructTraces(tallied(reader, tally));
  requireRecords(args.path, reader.stats);
  const tokens = tally.totals();
  const out = new Output(io);
  if (args.json) {
    out.line(JSON.stringify({
      roots: forest.roots,
      open: forest.open.map((span) => span.spanId),
      orphanLogs: forest.orphanLogs,
      turnLogs: forest.turnLogs,
      spanCount: forest.spanCount,
      lastTimestamp: forest.lastTimestamp ?? null,
      read: reader.stats,
      ...(tokens.size > 0 ? { tokensByTurn: tokensByTurn(tokens) } : {}),
    }));
    await out.flush();
    reportSkipped(args.path, reader.stats, io);
    return 0;
  }
  const p = paint(color);
  const last = forest.lastTimestamp;
  const level = (entry: LogEntry) =>
    entry.level === "error"
      ? p.red(entry.level)
      : entry.level === "warn"
      ? p.yellow(entry.level)
      : p.dim(printable(entry.level));
  const entryLine = (entry: LogEntry, loose: boolean) =>
    `${p.dim(`· ${formatTime(entry.timestamp)}`)} ${level(entry)} ${printable(entry.msg)}` +
    (loose ? p.dim("  (in the turn, outside any span)") : "");
  // A turn's entries without a span go under the first root span of that turn.
  const pending = new Map(forest.turnLogs.map((turn) => [turn.turnId, turn]));
  const walk = async (span: TraceSpan, lead: string, branch: string): Promise<void> => {
    await out.line(lead + branch + spanLine(span, last, p));
    const inner = lead + (branch === "" ? "" : branch === "└─ " ? "   " : "│  ");
    const children = span.children;
    if (args.logs) {
      const turn = branch === "" && span.turnId !== undefined
        ? pending.get(span.turnId)
        : undefined;
      if (turn) pending.delete(turn.turnId);
      const entries = [
        ...span.logs.map((entry) => ({ entry, loose: false })),
        ...(turn?.logs ?? []).map((entry) => ({ entry, loose: true })),
      ].sort((a, b) => a.entry.timestamp - b.entry.timestamp);
      const bar = children.length > 0 ? "│  " : "   ";
      for (const { entry, loose } of entries) {
        await out.line(`${inner}${bar}${entryLine(entry, loose)}`);
      }
    }
    for (let i = 0; i < children.length; i++) {
      await walk(children[i], inner, i === children.length - 1 ? "└─ " : "├─ ");
    }
  };
  for (const root of forest.roots) {
    await out.line(p.dim(formatTime(root.start)));
    await walk(root, "", "");
  }
  if (args.logs) {
    for (const turn of pending.values()) {
      await out.line(p.dim(formatTime(turn.logs[0].timestamp)));
      await out.line(
        `${p.bold(`turn ${printable(turn.turnId)}`)} ${p.dim("(no span of this turn was read)")}`,
      );
      for (const entry of turn.logs) await out.line(`   ${entryLine(entry, false)}`);
    }
  }
  const open = forest.open.length;
  const summary = `${forest.roots.length} ${forest.roots.length === 1 ? "trace" : "traces"}, ` +
    `${forest.spanCount} ${forest.spanCount === 1 ? "span" : "spans"}, ` +
    (open > 0 ? p.yellow(`${open} open`) : "0 open");
  if (forest.roots.length > 0) await out.line("");
  await out.line(summary);
  if (tokens.size > 0) {
    await out.line(p.bold("tokens by turn"));
    for (const [turnId, usage] of tokens) await out.line(`  ${turnTokensLine(turnId, usage)}`);
  }
  if (args.logs && forest.orphanLogs.length > 0) {
    await out.line(p.dim(`${forest.orphanLogs.length} log entries name a span that was not read`));
  }
  await out.flush();
  reportSkipped(args.path, reader.stats, io);
  return 0;
}
