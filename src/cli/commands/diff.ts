/**
 * `journal-sink diff [--db F] [<journal>] --turn ID [--conversation C] [--json]`: for each model
 * call of a turn, what changed between the prompt the turn built (`prompt:before`) and the
 * request that went to the provider (`provider.request`).
 *
 * @module
 */

import type { ModelCallDiff } from "../../genai/model_call_diffs.ts";
import type { MessageChange, PromptMessage } from "../../genai/prompt_diff.ts";
import type { TraceForest } from "../../traces/traces.ts";
import { type Command, UsageError } from "../command.ts";
import { CommandFailure, readFailure } from "../failure.ts";
import { formatTime } from "../format.ts";
import { type CliIo, Output } from "../io.ts";
import { JSON_OPTION } from "../options.ts";
import { printable } from "../printable.ts";
import { requireJournal, requireStore } from "../require_file.ts";

/** How much of a message a text line shows. */
const SHOWN_CHARS = 120;

function shown(text: string): string {
  const cut = text.length > SHOWN_CHARS ? text.slice(0, SHOWN_CHARS) + "…" : text;
  return printable(cut);
}

const MARK: Record<MessageChange["change"], string> = {
  same: "=",
  added: "+",
  removed: "-",
  changed: "~",
};

function messageLine(m: PromptMessage): string {
  return `${printable(m.role)}: ${shown(m.text)}`;
}

async function showCall(call: ModelCallDiff, out: Output): Promise<void> {
  const a = call.attributes;
  const tokens = [
    typeof a["gen_ai.usage.input_tokens"] === "number"
      ? `in ${a["gen_ai.usage.input_tokens"]}`
      : "",
    typeof a["gen_ai.usage.output_tokens"] === "number"
      ? `out ${a["gen_ai.usage.output_tokens"]}`
      : "",
  ].filter((t) => t !== "").join(" ");
  await out.line(
    `${printable(call.name)} [${printable(call.spanId)}] ${call.status} ${formatTime(call.start)}` +
      (tokens === "" ? "" : ` tokens ${tokens}`),
  );
  if (call.before === null) {
    await out.line("  no prompt:before was written before this call: nothing to compare");
    return;
  }
  const diff = call.diff;
  if (diff === null) {
    await out.line("  the request's body was not captured (content policy): nothing to compare");
    return;
  }
  const s = diff.system;
  if (!s.changed) {
    await out.line(`  system: ${s.after === null ? "none" : "unchanged"}`);
  } else {
    await out.line("  system: changed");
    if (s.before !== null) await out.line(`    - ${shown(s.before)}`);
    if (s.after !== null) await out.line(`    + ${shown(s.after)}`);
  }
  const c = diff.counts;
  await out.line(
    `  messages: ${c.same} same, ${c.added} added, ${c.removed} removed, ${c.changed} changed`,
  );
  for (const m of diff.messages) {
    if (m.change === "changed") {
      await out.line(`    ~ ${messageLine(m.before!)}`);
      await out.line(`      → ${messageLine(m.after!)}`);
    } else {
      await out.line(`    ${MARK[m.change]} ${messageLine((m.after ?? m.before)!)}`);
    }
  }
  const t = diff.tools;
  if (t === null) {
    const names = diff.afterTools;
    await out.line(
      names.length === 0
        ? "  tools: none in the request"
        : `  tools: ${names.length} in the request (${
          names.map(printable).join(", ")
        }); the before did not list its tools`,
    );
  } else {
    const list = (names: string[]) => names.length === 0 ? "none" : names.map(printable).join(", ");
    await out.line(
      `  tools: added ${list(t.added)}; removed ${list(t.removed)}; changed ${list(t.changed)}`,
    );
  }
}

async function turnForest(
  db: string | undefined,
  journal: string | undefined,
  turnId: string,
  conversationId: string | undefined,
  io: CliIo,
): Promise<TraceForest> {
  if (db !== undefined) {
    await requireStore(db);
    const [{ openTraceStore }, { queryTurn }] = await Promise.all([
      import("../../collector/trace_store.ts"),
      import("../../collector/query.ts"),
    ]);
    const store = await openTraceStore(db, { readOnly: true });
    try {
      return queryTurn(store, turnId, conversationId);
    } finally {
      store.close();
    }
  }
  const path = journal!;
  await requireJournal(path, path, io.fs);
  try {
    const [{ readJournal }, { reconstructTraces }] = await Promise.all([
      import("../../reader/read_journal.ts"),
      import("../../traces/traces.ts"),
    ]);
    const filter = conversationId === undefined ? { turnId } : { turnId, conversationId };
    return await reconstructTraces(readJournal(path, { ...filter, fs: io.fs }));
  } catch (error) {
    throw readFailure(path, error);
  }
}

/** `journal-sink diff`. */
export const diff: Command = {
  name: "diff",
  summary: "what each model call of a turn sent, compared with the prompt the turn built",
  description: `For each model call of the turn (a span with a provider.request record, written
by captureFetch), the difference between the turn's prompt:before (written by capturePrompt)
and the request's body: messages added, removed or changed, the system prompt, the tools.
Reads a journal or a trace store (--db), never both. Exit 1 when the turn has no model call.`,
  positionals: ["[<journal>]"],
  options: [
    { name: "db", value: "<file>", help: "a trace store written by collect, instead of a journal" },
    { name: "turn", value: "<id>", help: "the turn (required)" },
    { name: "conversation", value: "<id>", help: "the turn's conversation, when ids repeat" },
    { ...JSON_OPTION, help: "print the calls, their before, after and difference as JSON" },
  ],
  validate(args) {
    if (typeof args.options.turn !== "string") throw new UsageError("diff needs --turn <id>");
    if ((args.positionals.length > 0) === (args.options.db !== undefined)) {
      throw new UsageError("diff takes a <journal> or --db <file>, not both, not neither");
    }
  },
  async run(args, io) {
    const o = args.options;
    const turnId = o.turn as string;
    const conversationId = o.conversation as string | undefined;
    const forest = await turnForest(
      o.db as string | undefined,
      args.positionals[0],
      turnId,
      conversationId,
      io,
    );
    const { modelCallDiffs } = await import("../../genai/model_call_diffs.ts");
    const calls = modelCallDiffs(forest);
    const out = new Output(io);
    if (o.json === true) {
      await out.line(JSON.stringify({ turnId, conversationId: conversationId ?? null, calls }));
      await out.flush();
      if (calls.length === 0) throw new CommandFailure(`turn ${printable(turnId)}: no model call`);
      return 0;
    }
    if (calls.length === 0) {
      throw new CommandFailure(
        forest.spanCount === 0
          ? `no turn ${printable(turnId)} here`
          : `turn ${printable(turnId)} has no model call (no provider.request record)`,
      );
    }
    await out.line(
      `turn ${printable(turnId)}: ${calls.length} model ${calls.length === 1 ? "call" : "calls"}`,
    );
    for (const call of calls) {
      await out.line("");
      await showCall(call, out);
    }
    await out.flush();
    return 0;
  },
};
