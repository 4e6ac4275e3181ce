/**
 * `journal-sink spans`: the trace trees, with durations, and the open spans flagged.
 *
 * @module
 */

import { readJournal } from "../reader/read_journal.ts";
import { reconstructTraces, type TraceSpan } from "../traces.ts";
import type { CliArgs } from "./args.ts";
import { formatDuration, formatTime, type Paint, paint } from "./format.ts";
import { type CliIo, Output } from "./io.ts";
import { reportSkipped } from "./report.ts";

function spanLine(span: TraceSpan, last: number | undefined, p: Paint): string {
  const parts = [p.bold(span.name), p.dim(`[${span.spanId}]`)];
  if (span.status === "open") {
    const age = last !== undefined ? ` ≥ ${formatDuration(last - span.start)}` : "";
    parts.push(p.yellow(p.bold("OPEN")) + p.yellow(age));
  } else {
    parts.push(
      span.status === "error" ? p.red("error") : p.green("ok"),
      span.durationMs !== undefined ? formatDuration(span.durationMs) : "?",
    );
  }
  parts.push(p.cyan(span.extensionId));
  const extras: string[] = [];
  if (span.turnId !== undefined) extras.push(`turn=${span.turnId}`);
  if (span.conversationId !== undefined) extras.push(`conversation=${span.conversationId}`);
  if (Object.keys(span.attributes).length > 0) extras.push(JSON.stringify(span.attributes));
  if (extras.length > 0) parts.push(p.dim(extras.join(" ")));
  if (span.anomalies.length > 0) parts.push(p.red(`⚠ ${span.anomalies.join(", ")}`));
  return parts.join(" ");
}

/**
 * Runs `spans`.
 *
 * @param args The parsed command line.
 * @param io Where to read and write.
 * @param color Whether to colour the output.
 * @returns The exit code.
 */
export async function spans(args: CliArgs, io: CliIo, color: boolean): Promise<number> {
  const reader = readJournal(args.path, { ...args.filter, fs: io.fs });
  const forest = await reconstructTraces(reader);
  const out = new Output(io);
  if (args.json) {
    out.line(JSON.stringify({
      roots: forest.roots,
      open: forest.open.map((span) => span.spanId),
      orphanLogs: forest.orphanLogs,
      spanCount: forest.spanCount,
      lastTimestamp: forest.lastTimestamp ?? null,
      read: reader.stats,
    }));
    await out.flush();
    reportSkipped(args.path, reader.stats, io);
    return 0;
  }
  const p = paint(color);
  const last = forest.lastTimestamp;
  const walk = async (span: TraceSpan, lead: string, branch: string): Promise<void> => {
    await out.line(lead + branch + spanLine(span, last, p));
    const inner = lead + (branch === "" ? "" : branch === "└─ " ? "   " : "│  ");
    const children = span.children;
    if (args.logs) {
      for (const entry of span.logs) {
        const bar = children.length > 0 ? "│  " : "   ";
        const level = entry.level === "error"
          ? p.red(entry.level)
          : entry.level === "warn"
          ? p.yellow(entry.level)
          : p.dim(entry.level);
        await out.line(
          `${inner}${bar}${p.dim(`· ${formatTime(entry.timestamp)}`)} ${level} ${entry.msg}`,
        );
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
  const open = forest.open.length;
  const summary = `${forest.roots.length} ${forest.roots.length === 1 ? "trace" : "traces"}, ` +
    `${forest.spanCount} ${forest.spanCount === 1 ? "span" : "spans"}, ` +
    (open > 0 ? p.yellow(`${open} open`) : "0 open");
  if (forest.roots.length > 0) await out.line("");
  await out.line(summary);
  if (args.logs && forest.orphanLogs.length > 0) {
    await out.line(p.dim(`${forest.orphanLogs.length} log entries name a span that was not read`));
  }
  await out.flush();
  reportSkipped(args.path, reader.stats, io);
  return 0;
}
