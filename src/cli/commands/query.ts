/**
 * `journal-sink query --db traces.db (--turn ID | --conversation ID | --open | --errors |
 * --slowest N) [--json]`: questions asked of the trace store.
 *
 * @module
 */

import type { TraceForest, TraceSpan } from "../../traces.ts";
import { type Command, UsageError } from "../command.ts";
import { JSON_OPTION, wholeNumber } from "../options.ts";
import { requireStore } from "../require_file.ts";

const QUESTIONS = ["turn", "conversation", "open", "errors", "slowest"];

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
  for (const turn of forest.turnLogs) {
    lines.push(`turn ${turn.turnId}: log entries outside any span`);
    for (const entry of turn.logs) {
      lines.push(`    ${iso(entry.timestamp)} ${entry.level.padEnd(5)} ${entry.msg}`);
    }
  }
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

/** `journal-sink query`. */
export const query: Command = {
  name: "query",
  summary: "ask the trace store: a turn, a conversation, open, failed or slowest spans",
  description: "Ask exactly one of --turn, --conversation, --open, --errors, --slowest. " +
    "The store is\nopened as it is: a missing store exits 1 and is never created.",
  positionals: [],
  options: [
    { name: "db", value: "<file>", help: "the SQLite store written by collect; required" },
    { name: "turn", value: "<id>", help: "the trace tree of a turn, with its log entries" },
    { name: "conversation", value: "<id>", help: "the trace trees of a conversation" },
    { name: "open", help: "spans still open (the process died, or they still run)" },
    { name: "errors", help: "spans that ended with status error" },
    {
      name: "slowest",
      value: "<N>",
      parse: wholeNumber("slowest", 1),
      help: "the N slowest closed spans",
    },
    JSON_OPTION,
  ],
  validate(args) {
    if (args.options.db === undefined) throw new UsageError("query needs --db <file>");
    const asked = QUESTIONS.filter((name) => name in args.options);
    if (asked.length !== 1) {
      throw new UsageError("ask one of --turn, --conversation, --open, --errors, --slowest");
    }
  },
  async run(args, io) {
    const o = args.options;
    const db = o.db as string;
    await requireStore(db);
    const [{ openTraceStore }, queries] = await Promise.all([
      import("../../collector/trace_store.ts"),
      import("../../collector/query.ts"),
    ]);
    const store = await openTraceStore(db);
    try {
      const json = o.json === true;
      if (o.turn !== undefined || o.conversation !== undefined) {
        const forest = o.turn !== undefined
          ? queries.queryTurn(store, o.turn as string)
          : queries.queryConversation(store, o.conversation as string);
        await io.write(json ? JSON.stringify(forest) + "\n" : renderTree(forest));
      } else {
        const spans = o.open === true
          ? queries.queryOpenSpans(store)
          : o.errors === true
          ? queries.queryErrorSpans(store)
          : queries.querySlowestSpans(store, o.slowest as number);
        await io.write(json ? JSON.stringify(flat(spans)) + "\n" : renderList(spans));
      }
      return 0;
    } finally {
      store.close();
    }
  },
};
