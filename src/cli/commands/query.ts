/**
 * `journal-sink query --db traces.db (--turn ID [--conversation ID] | --conversation ID |
 * --open | --errors | --slowest N | --usage) [--json]`: questions asked of the trace store.
 *
 * @module
 */

import type { TraceStore } from "../../collector/trace_store.ts";
import type { TraceForest, TraceSpan } from "../../traces/traces.ts";
import { type Command, UsageError } from "../command.ts";
import { CommandFailure } from "../failure.ts";
import { formatDuration } from "../format.ts";
import type { CliIo } from "../io.ts";
import { JSON_OPTION, parseTime, wholeNumber } from "../options.ts";
import { printable, printableJson } from "../printable.ts";
import { requireStore } from "../require_file.ts";
import { readPricesFile } from "../prices_file.ts";

const QUESTIONS = ["turn", "conversation", "open", "errors", "slowest", "usage"];
const USAGE_KEYS = ["model", "turn", "conversation", "extension"];
const USAGE_ONLY = ["by", "since", "prices"];

function usageKey(text: string): string {
  if (!USAGE_KEYS.includes(text)) {
    throw new UsageError(`--by takes ${USAGE_KEYS.join(", ")}, not ${text}`);
  }
  return text;
}

/** Every conversation the forest's spans and entries name, sorted. */
function conversationsOf(forest: TraceForest): string[] {
  const found = new Set<string>();
  const walk = (span: TraceSpan) => {
    if (span.conversationId !== undefined) found.add(span.conversationId);
    for (const entry of span.logs) {
      if (entry.conversationId !== undefined) found.add(entry.conversationId);
    }
    for (const child of span.children) walk(child);
  };
  for (const root of forest.roots) walk(root);
  for (const turn of forest.turnLogs) {
    if (turn.conversationId !== undefined) found.add(turn.conversationId);
  }
  return [...found].sort();
}

function turnHeading(turnId: string, conversations: string[]): string {
  const turn = `turn ${printable(turnId)}`;
  if (conversations.length === 0) return turn;
  if (conversations.length === 1) return `${turn} in conversation ${printable(conversations[0])}`;
  return `${turn} in conversations ${printable(conversations.join(", "))} ` +
    "(give --conversation to pick one)";
}

/** A turn or conversation the store has nothing of is a failure, like a missing file. */
function requireFound(forest: TraceForest, what: string, db: string): void {
  if (forest.spanCount === 0 && forest.turnLogs.length === 0 && forest.orphanLogs.length === 0) {
    throw new CommandFailure(`no ${printable(what)} in ${db}`);
  }
}

async function usage(
  store: TraceStore,
  o: Record<string, unknown>,
  io: CliIo,
): Promise<void> {
  const { queryUsage, formatUsageTable } = await import("../../collector/usage.ts");
  const by = (o.by ?? "model") as "model" | "turn" | "conversation" | "extension";
  const prices = o.prices === undefined ? undefined : await readPricesFile(o.prices as string);
  const rows = queryUsage(store, { by, since: o.since as number | undefined, prices });
  if (o.json === true) {
    await io.write(JSON.stringify(rows) + "\n");
    return;
  }
  const shown = rows.map((row) => row.key === null ? row : { ...row, key: printable(row.key) });
  await io.write(formatUsageTable(shown, by));
}

function iso(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "?";
  return new Date(ms).toISOString();
}

/** One span on one line; every field from the store escaped for the terminal. */
function describe(span: TraceSpan): string {
  const duration = span.durationMs === undefined ? "" : ` ${formatDuration(span.durationMs)}`;
  const status = span.status === "open" ? `OPEN since ${iso(span.start)}` : printable(span.status);
  const anomalies = span.anomalies.length > 0 ? `  (${printable(span.anomalies.join(", "))})` : "";
  const cause = span.attributes.error as { message?: unknown } | undefined;
  const error = span.status !== "error" || cause === undefined
    ? ""
    : `  error: ${
      typeof cause?.message === "string" ? printable(cause.message) : printableJson(cause)
    }`;
  return `${printable(span.name)} [${status}]${duration}  span=${
    printable(span.spanId)
  }${error}${anomalies}`;
}

function entryLine(entry: { timestamp: number; level: string; msg: string }): string {
  return `${iso(entry.timestamp)} ${printable(entry.level).padEnd(5)} ${printable(entry.msg)}`;
}

function renderTree(forest: TraceForest): string {
  const lines: string[] = [];
  const walk = (span: TraceSpan, depth: number) => {
    const pad = "  ".repeat(depth);
    lines.push(`${pad}${describe(span)}`);
    for (const entry of span.logs) lines.push(`${pad}    ${entryLine(entry)}`);
    for (const child of span.children) walk(child, depth + 1);
  };
  for (const root of forest.roots) walk(root, 0);
  for (const turn of forest.turnLogs) {
    lines.push(`turn ${printable(turn.turnId)}: log entries outside any span`);
    for (const entry of turn.logs) lines.push(`    ${entryLine(entry)}`);
  }
  lines.push(
    `${forest.spanCount} ${forest.spanCount === 1 ? "span" : "spans"}, ${forest.open.length} open`,
  );
  return lines.join("\n") + "\n";
}

function renderList(spans: TraceSpan[]): string {
  const lines = spans.map((span) => {
    const scope = [
      span.turnId !== undefined ? `turn=${printable(span.turnId)}` : "",
      span.conversationId !== undefined ? `conversation=${printable(span.conversationId)}` : "",
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
  summary: "ask the trace store: a turn, a conversation, open, failed or slowest spans, usage",
  description: `Ask exactly one of --turn (scoped by --conversation when given), --conversation,
--open, --errors, --slowest, --usage. The store is opened as it is: a missing store exits 1 and
is never created. --usage sums the tokens of every GenAI naming style (and the cost, with
--prices: a JSON object { "<model>": { "input": USD per 1M tokens, "output": …, "cacheRead"?: …,
"cacheWrite"?: …, "match"?: "<regexp>" } }).`,
  positionals: [],
  options: [
    { name: "db", value: "<file>", help: "the SQLite store written by collect; required" },
    { name: "turn", value: "<id>", help: "the trace tree of a turn, with its log entries" },
    {
      name: "conversation",
      value: "<id>",
      help: "the trace trees of a conversation (with --turn: the turn of that conversation)",
    },
    { name: "open", help: "spans still open (the process died, or they still run)" },
    { name: "errors", help: "spans that ended with status error" },
    {
      name: "slowest",
      value: "<N>",
      parse: wholeNumber("slowest", 1),
      help: "the N slowest closed spans",
    },
    { name: "usage", help: "token totals (and cost) from the spans' GenAI usage attributes" },
    {
      name: "by",
      value: "<model|turn|conversation|extension>",
      parse: usageKey,
      help: "with --usage: one row per model (the default), turn, conversation or extension",
    },
    {
      name: "since",
      value: "<time>",
      parse: parseTime,
      help: "with --usage: spans that started from this time on (ISO 8601, epoch ms, or 1d…)",
    },
    {
      name: "prices",
      value: "<file>",
      help: "with --usage: model prices (JSON) for spans that carry no cost",
    },
    JSON_OPTION,
  ],
  validate(args) {
    const o = args.options;
    if (o.db === undefined) throw new UsageError("query needs --db <file>");
    const asked = QUESTIONS.filter((name) =>
      name in o && !(name === "conversation" && "turn" in o)
    );
    if (asked.length !== 1) {
      throw new UsageError(
        "ask one of --turn, --conversation, --open, --errors, --slowest, --usage",
      );
    }
    const stray = USAGE_ONLY.find((name) => name in o);
    if (stray !== undefined && o.usage !== true) {
      throw new UsageError(`--${stray} goes with --usage`);
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
    const store = await openTraceStore(db, { readOnly: true });
    try {
      const json = o.json === true;
      if (o.usage === true) {
        await usage(store, o, io);
      } else if (o.turn !== undefined) {
        const turnId = o.turn as string;
        const scope = o.conversation as string | undefined;
        const forest = queries.queryTurn(store, turnId, scope);
        requireFound(
          forest,
          `turn ${turnId}${scope === undefined ? "" : ` in conversation ${scope}`}`,
          db,
        );
        const conversations = conversationsOf(forest);
        await io.write(
          json
            ? JSON.stringify({ turnId, conversations, ...forest }) + "\n"
            : `${turnHeading(turnId, conversations)}\n${renderTree(forest)}`,
        );
      } else if (o.conversation !== undefined) {
        const forest = queries.queryConversation(store, o.conversation as string);
        requireFound(forest, `conversation ${o.conversation}`, db);
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
