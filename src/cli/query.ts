/**
 * `journal-sink query --db traces.db (--turn ID | --conversation ID | --open | --errors |
 * --slowest N) [--json]`: questions asked of the trace store.
 *
 * @module
 */

import { flag, parseArgs, runCommand, UsageError } from "../collector/command_line.ts";
import type { CliIo } from "./io.ts";
import {
  queryConversation,
  queryErrorSpans,
  queryOpenSpans,
  querySlowestSpans,
  queryTurn,
} from "../collector/query.ts";
import { openTraceStore } from "../collector/trace_store.ts";
import type { TraceForest, TraceSpan } from "../traces.ts";

/** The usage text of `query`. */
export const QUERY_USAGE = `usage: journal-sink query --db <traces.db> <question> [--json]
  --turn ID           the trace tree of a turn, with its log entries
  --conversation ID   the trace trees of a conversation
  --open              spans still open (the process died, or they still run)
  --errors            spans that ended with status error
  --slowest N         the N slowest closed spans
  --json              print JSON instead of text
`;

function iso(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "?";
  return new Date(ms).toISOString();
}

function describe(span: TraceSpan): string {
  const duration = span.durationMs === undefined ? "" : ` ${span.durationMs} ms`;
  const status = span.status === "open" ? `OPEN since ${iso(span.start)}` : span.status;
  const anomalies = span.anomalies.length > 0 ? `  (${span.anomalies.join(", ")})` : "";
  const cause = span.attributes.error as { message?: unknown } | undefined;
  const error = span.status !== "error" || cause === undefined
    ? ""
    : `  error: ${typeof cause?.message === "string" ? cause.message : JSON.stringify(cause)}`;
  return `${span.name} [${status}]${duration}  span=${span.spanId}${error}${anomalies}`;
}

function renderTree(forest: TraceForest): string {
  const lines: string[] = [];
  const walk = (span: TraceSpan, depth: number) => {
    const pad = "  ".repeat(depth);
    lines.push(`${pad}${describe(span)}`);
    for (const entry of span.logs) {
      lines.push(`${pad}    ${iso(entry.timestamp)} ${entry.level.padEnd(5)} ${entry.msg}`);
    }
    for (const child of span.children) walk(child, depth + 1);
  };
  for (const root of forest.roots) walk(root, 0);
  lines.push(
    `${forest.spanCount} ${forest.spanCount === 1 ? "span" : "spans"}, ${forest.open.length} open`,
  );
  return lines.join("\n") + "\n";
}

function renderList(spans: TraceSpan[]): string {
  const lines = spans.map((span) => {
    const scope = [
      span.turnId !== undefined ? `turn=${span.turnId}` : "",
      span.conversationId !== undefined ? `conversation=${span.conversationId}` : "",
    ].filter(Boolean).join(" ");
    return `${iso(span.start)}  ${describe(span)}${scope ? `  ${scope}` : ""}`;
  });
  lines.push(`${spans.length} ${spans.length === 1 ? "span" : "spans"}`);
  return lines.join("\n") + "\n";
}

/** Flat spans for JSON: without the always-empty tree fields. */
function flat(spans: TraceSpan[]): Omit<TraceSpan, "children" | "logs">[] {
  return spans.map(({ children: _children, logs: _logs, ...rest }) => rest);
}

/**
 * Runs `query` with the arguments after the command name.
 *
 * @param args The arguments, e.g. `["--db", "traces.db", "--open", "--json"]`.
 * @param io Where to write.
 * @returns The exit code: 0 done, 1 failure, 2 usage error.
 */
export function queryCommand(args: readonly string[], io: CliIo): Promise<number> {
  return runCommand(io, QUERY_USAGE, async () => {
    const parsed = parseArgs(args, ["db", "turn", "conversation", "slowest"], [
      "open",
      "errors",
      "json",
      "help",
    ]);
    if (parsed.flags.has("help")) {
      await io.write(QUERY_USAGE);
      return 0;
    }
    const db = flag(parsed, "db");
    if (!db) throw new UsageError("query needs --db <file>");
    if (parsed.positional.length > 0) throw new UsageError("query takes no journal path");
    const questions = ["turn", "conversation", "open", "errors", "slowest"]
      .filter((name) => parsed.flags.has(name));
    if (questions.length !== 1) {
      throw new UsageError("ask one of --turn, --conversation, --open, --errors, --slowest");
    }
    const slowest = Number(flag(parsed, "slowest") ?? 10);
    if (!Number.isInteger(slowest) || slowest < 1) {
      throw new UsageError("--slowest needs a positive whole number");
    }
    const json = parsed.flags.has("json");
    const store = await openTraceStore(db);
    try {
      const question = questions[0];
      if (question === "turn" || question === "conversation") {
        const id = flag(parsed, question) as string;
        const forest = question === "turn" ? queryTurn(store, id) : queryConversation(store, id);
        await io.write(json ? JSON.stringify(forest) + "\n" : renderTree(forest));
      } else {
        const spans = question === "open"
          ? queryOpenSpans(store)
          : question === "errors"
          ? queryErrorSpans(store)
          : querySlowestSpans(store, slowest);
        await io.write(json ? JSON.stringify(flat(spans)) + "\n" : renderList(spans));
      }
      return 0;
    } finally {
      store.close();
    }
  });
}
