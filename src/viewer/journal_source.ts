/**
 * The viewer's source over a journal file: follows it (across rotations) with
 * `readJournal`'s follow mode and keeps a bounded index in memory: a summary per recent
 * turn (or trace, for records without a turn), and the records of the most recently active
 * ones. A turn whose records were evicted is read again from the journal when someone opens
 * it; an id the journal never held is answered from a filter of the ids seen, without a read.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import { readJournal } from "../reader/read_journal.ts";
import { reconstructTraces } from "../traces/traces.ts";
import type { ViewerSource } from "./viewer_source.ts";
import { IdFilter } from "./id_filter.ts";
import { scopeInheritance } from "./scope_inheritance.ts";
import { adoptOrphans } from "./orphan_adoption.ts";
import { type ViewerRecord, viewerRecord } from "./viewer_record.ts";
import {
  flattenForest,
  INPUT_TOKENS,
  matchesQuery,
  OUTPUT_TOKENS,
  summaryId,
  tokenCount,
  type TraceView,
  type TurnPage,
  type TurnQuery,
  turnStatus,
  type TurnSummary,
} from "./view_model.ts";

/** Options of {@linkcode openJournalSource}. */
export interface JournalSourceOptions {
  /** Turns whose summary is kept (least recently active dropped first). */
  maxTurns?: number;
  /** Records kept in memory for drawing turns without reading the journal again. */
  maxRecords?: number;
  /** How often the follower looks for new bytes, ms. */
  pollMs?: number;
  /** The file system (a fake one in tests). */
  fs?: FsOps;
}

type Loose = ViewerRecord;

/** What the index keeps per turn (or trace without a turn). */
interface TurnState {
  summary: TurnSummary;
  /** Distinct span names (for the text filter), at most a few dozen. */
  names: string[];
  /** Open spans: their token counts from the open record, so a close can replace them. */
  openSpans: Map<string, { input: number; output: number }> | undefined;
  /** The turn's records, or undefined once evicted (then read from the journal). */
  records: Loose[] | undefined;
  traceIds: string[] | undefined;
  /**
   * For a trace without a turn: the span ids its records name (their own and their parents'),
   * so a span with a turn that arrives later (over OTLP a parent comes after its children)
   * knows cheaply that it adopts some of them. Once the records are evicted, only the ids
   * they name that are not theirs (the spans they wait for), at most `MAX_WAITING`.
   */
  waiting: Set<string> | undefined;
  /** The source's version when a record of this turn last arrived. */
  changed: number;
}

const MAX_NAMES = 32;

/** Span ids a trace whose records were evicted keeps waiting for. */
const MAX_WAITING = 16;

/** Spans whose turn and conversation are remembered for their children to inherit. */
const MAX_SCOPES = 65_536;

/** The index's key of a turn, and of a trace whose records carry no turn. */
const turnKey = (id: string) => `t${id}`;
const traceKey = (id: string) => `x${id}`;

/**
 * Bytes the follower reads at once. Each read allocates a buffer this size however little
 * is new: at the reader's 1 MiB default, a busy journal left 5–37 MiB of read buffers
 * waiting for the collector; at 64 KiB, 0–5 MiB (bench/viewer.bench.ts, `HEAP_LOG=1`).
 */
const FOLLOW_CHUNK_BYTES = 64 * 1024;

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The ids `records` name that are not theirs: the spans they wait for, at most `MAX_WAITING`. */
function awaitedBy(records: readonly Loose[]): Set<string> {
  const own = new Set<string>();
  for (const record of records) {
    if (record.kind !== "log" && typeof record.spanId === "string") own.add(record.spanId);
  }
  const awaited = new Set<string>();
  for (const record of records) {
    if (awaited.size >= MAX_WAITING) break;
    const id = record.kind === "log" ? record.spanId : record.parentSpanId;
    if (typeof id === "string" && !own.has(id)) awaited.add(id);
  }
  return awaited;
}

/** Folds the summary of `from` (a trace's line) into `into` (the turn that adopts it). */
function mergeSummary(into: TurnState, from: TurnState): void {
  const turn = into.summary;
  const trace = from.summary;
  turn.conversationId ??= trace.conversationId;
  for (const extension of trace.extensions) {
    if (!turn.extensions.includes(extension) && turn.extensions.length < 16) {
      turn.extensions.push(extension);
    }
  }
  for (const name of from.names) {
    if (into.names.length < MAX_NAMES && !into.names.includes(name)) into.names.push(name);
  }
  if (trace.spans > 0 && (turn.spans === 0 || trace.start < turn.start)) {
    turn.start = trace.start;
    turn.name = trace.name;
  }
  if (trace.end > turn.end) turn.end = trace.end;
  turn.spans += trace.spans;
  turn.errors += trace.errors;
  turn.inputTokens += trace.inputTokens;
  turn.outputTokens += trace.outputTokens;
  if (from.openSpans) {
    into.openSpans ??= new Map();
    for (const [spanId, tokens] of from.openSpans) into.openSpans.set(spanId, tokens);
  }
  turn.open = into.openSpans?.size ?? 0;
  if (turn.open === 0) into.openSpans = undefined;
  turn.status = turnStatus(turn.open, turn.errors);
}

/** Gives the event loop a turn, so catching up with a large journal does not stall requests. */
function breathe(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Opens a journal as a viewer source and starts following it.
 *
 * @param path The live journal's path.
 * @param options Memory bounds and polling.
 * @returns The source; `close()` stops the follower.
 */
export function openJournalSource(
  path: string,
  options: JournalSourceOptions = {},
): ViewerSource & { readonly started: Promise<void> } {
  const maxTurns = Math.max(1, options.maxTurns ?? 10_000);
  const maxRecords = Math.max(0, options.maxRecords ?? 10_000);
  const turns = new Map<string, TurnState>();
  let kept = 0;
  let version = 0;
  let failure: unknown;
  /** Records the reader passed that the viewer could not use (wrong shape, or indexing threw). */
  let skipped = 0;
  /** The follower's read statistics: lines it skipped never reach `index`. */
  let readerStats: { readonly skipped: number } | undefined;
  /** Every turn and trace id indexed since start (keys as in `turns`). */
  const seen = new IdFilter();
  /** Whether the follower has read the whole journal once: only then is `seen` complete. */
  let caughtUp = false;
  const inheritScope = scopeInheritance(MAX_SCOPES);
  const controller = new AbortController();

  /**
   * Turns dropped from the index (bounded): if one of them writes again, its summary starts
   * afresh but its records are read from the journal, since memory no longer has them all.
   */
  const forgotten = new Set<string>();
  /** Turns whose records are kept, least recently active first. */
  const cached = new Map<string, TurnState>();

  /** Lines of `turns` that stand for a trace without a turn (only they can be adopted). */
  let traceLines = 0;

  /** The most recently active turn: the last entry of `turns`. */
  let newest: string | undefined;

  /** Drops a turn's records from memory (it is read from the journal from then on). */
  const evict = (state: TurnState) => {
    const records = state.records!;
    kept -= records.length;
    state.records = undefined;
    if (state.waiting) state.waiting = awaitedBy(records);
  };

  /** Moves a turn to the most recently active end and trims the index to its bounds. */
  const touch = (id: string, state: TurnState) => {
    // A turn's records mostly come one after another: moving a turn that is already the
    // newest would delete and re-add a Map entry per record, and at 10,000 entries every
    // few thousand of those rebuild the Map's table (~0.5 MB, allocated straight into the
    // old generation): a third of what a busy journal left there for the GC.
    if (id !== newest) {
      newest = id;
      turns.delete(id);
      turns.set(id, state);
      if (state.records) {
        cached.delete(id);
        cached.set(id, state);
      }
      while (turns.size > maxTurns) {
        const [oldest, dropped] = turns.entries().next().value!;
        turns.delete(oldest);
        if (dropped.waiting) traceLines--;
        forgotten.add(oldest);
        if (forgotten.size > 4 * maxTurns) forgotten.delete(forgotten.values().next().value!);
        if (dropped.records) {
          evict(dropped);
          cached.delete(oldest);
        }
      }
    }
    // The most recently active turn keeps its records past the bound (up to four times it):
    // the turn just written is the one most likely opened, however big it is.
    while (kept > maxRecords && (cached.size > 1 || kept > 4 * maxRecords)) {
      const [oldest, dropped] = cached.entries().next().value!;
      cached.delete(oldest);
      evict(dropped);
    }
  };

  const add = (record: Loose) => {
    const turnId = str(record.turnId);
    const traceId = str(record.traceId);
    // A record without a turn is listed under its trace (OpenTelemetry writes no turns).
    const key = turnId !== undefined
      ? turnKey(turnId)
      : traceId !== undefined
      ? traceKey(traceId)
      : undefined;
    if (key === undefined) return;
    const time = record.timestamp as number;
    let state = turns.get(key);
    if (!state) {
      const summary: TurnSummary = {
        extensions: [],
        name: "",
        start: time,
        end: time,
        status: "ok",
        spans: 0,
        errors: 0,
        open: 0,
        inputTokens: 0,
        outputTokens: 0,
      };
      if (turnId !== undefined) summary.turnId = turnId;
      else summary.traceId = traceId;
      state = {
        summary,
        names: [],
        openSpans: undefined,
        records: forgotten.has(key) ? undefined : [],
        traceIds: undefined,
        waiting: turnId === undefined ? new Set() : undefined,
        changed: 0,
      };
      if (turnId === undefined) traceLines++;
      seen.add(key);
    }
    const turn = state.summary;
    const conversation = str(record.conversationId);
    if (conversation !== undefined) turn.conversationId ??= conversation;
    if (traceId !== undefined && turnId !== undefined) {
      state.traceIds ??= [];
      if (!state.traceIds.includes(traceId)) {
        seen.add(traceKey(traceId));
        if (state.traceIds.length < 16) state.traceIds.push(traceId);
      }
    }
    const spanId = str(record.spanId);
    if (state.waiting && spanId !== undefined) {
      const parent = record.kind === "log" ? undefined : str(record.parentSpanId);
      if (state.records) {
        state.waiting.add(spanId);
        if (parent !== undefined) state.waiting.add(parent);
      } else if (state.waiting.size < MAX_WAITING) {
        // Without the records, which spans are among them is unknown: their parents are
        // what they may wait for.
        state.waiting.add(parent ?? spanId);
      }
    }
    if ((record.kind === "span-open" || record.kind === "span-close") && spanId !== undefined) {
      const name = record.name as string;
      const extension = record.extensionId as string;
      if (!turn.extensions.includes(extension) && turn.extensions.length < 16) {
        turn.extensions.push(extension);
      }
      if (state.names.length < MAX_NAMES && !state.names.includes(name)) state.names.push(name);
      const attributes = (record.attributes ?? {}) as Record<string, unknown>;
      // A close whose open was read starts at the open (close - duration can land before
      // the parent's open when the clock stepped); only a close without one is placed by it.
      const opened = record.kind === "span-close" ? state.openSpans?.get(spanId) : undefined;
      if (record.kind === "span-open" || !opened) {
        const start = record.kind === "span-open" ? time : time - (record.durationMs as number);
        if (turn.spans === 0 || start < turn.start) {
          turn.start = start;
          turn.name = name;
        }
      }
      if (record.kind === "span-open") {
        const input = tokenCount(attributes[INPUT_TOKENS]);
        const output = tokenCount(attributes[OUTPUT_TOKENS]);
        turn.spans++;
        turn.inputTokens += input;
        turn.outputTokens += output;
        (state.openSpans ??= new Map()).set(spanId, { input, output });
      } else {
        if (opened) state.openSpans!.delete(spanId);
        else turn.spans++;
        if (INPUT_TOKENS in attributes) {
          turn.inputTokens += tokenCount(attributes[INPUT_TOKENS]) - (opened?.input ?? 0);
        }
        if (OUTPUT_TOKENS in attributes) {
          turn.outputTokens += tokenCount(attributes[OUTPUT_TOKENS]) - (opened?.output ?? 0);
        }
        if (record.status === "error") turn.errors++;
      }
      turn.open = state.openSpans?.size ?? 0;
      // A finished turn keeps no map: most of the index is finished turns.
      if (turn.open === 0) state.openSpans = undefined;
      turn.status = turnStatus(turn.open, turn.errors);
    }
    if (time > turn.end) turn.end = time;
    if (state.records) {
      state.records.push(record);
      kept++;
    }
    touch(key, state);
    state.changed = ++version;
  };

  /**
   * A span with a turn settles the records of its trace listed without one that are its own
   * or its descendants' (written before it): they move to its turn, and the trace's line goes
   * when nothing is left in it.
   */
  const adoptInto = (record: Loose) => {
    const traceId = str(record.traceId);
    const spanId = str(record.spanId);
    if (record.kind === "log" || traceId === undefined || spanId === undefined) return;
    const key = traceKey(traceId);
    const orphans = turns.get(key);
    if (!orphans?.waiting?.has(spanId)) return;
    const turn = turns.get(turnKey(record.turnId as string));
    if (!turn) return;
    if (orphans.records) {
      const adoption = adoptOrphans([record, ...orphans.records]);
      if (adoption.adopted === 0) return;
      drop(key, orphans);
      // Indexed again in their order: the adopted ones under the turn (their scopes then
      // known to their own later records), the rest under a fresh line of the trace.
      for (let i = 1; i < adoption.records.length; i++) add(inheritScope(adoption.records[i]));
    } else {
      // Their records are no longer in memory: the whole line is taken to be the span's
      // (the usual case), and the turn is read from the journal from then on.
      drop(key, orphans);
      mergeSummary(turn, orphans);
      if (turn.records) {
        cached.delete(turnKey(record.turnId as string));
        evict(turn);
      }
      turn.changed = ++version;
    }
  };

  /** Removes a line from the index. */
  const drop = (key: string, state: TurnState) => {
    turns.delete(key);
    if (state.waiting) traceLines--;
    if (newest === key) newest = undefined;
    if (state.records) {
      cached.delete(key);
      kept -= state.records.length;
    }
  };

  /** Indexes one record read by the follower; a record it cannot use is skipped and counted. */
  const index = (value: unknown) => {
    try {
      const record = viewerRecord(value);
      if (record === null) skipped++;
      if (!record) return;
      const scoped = inheritScope(record);
      add(scoped);
      if (traceLines > 0 && scoped.turnId !== undefined) adoptInto(scoped);
    } catch {
      skipped++;
    }
  };

  // `started` settles once the journal is known to be readable (its first record, or the
  // first wait for more), or rejects when it is not (no such journal).
  let begin!: () => void;
  let refuse!: (error: unknown) => void;
  const started = new Promise<void>((resolve, reject) => {
    begin = resolve;
    refuse = reject;
  });
  const follow = async () => {
    let count = 0;
    try {
      const reader = readJournal(path, {
        follow: true,
        signal: controller.signal,
        pollMs: options.pollMs ?? 200,
        fs: options.fs,
        onIdle: () => {
          caughtUp = true;
          begin();
        },
        chunkSize: FOLLOW_CHUNK_BYTES,
      });
      readerStats = reader.stats;
      for await (const record of reader) {
        if (count === 0) begin();
        index(record);
        if (++count % 2000 === 0) await breathe();
      }
    } catch (error) {
      if (!controller.signal.aborted) failure = error;
      refuse(error);
    }
    begin();
  };
  const running = follow();

  /** Every record of a turn (or trace): from memory when kept, else from the journal. */
  const recordsOf = async (
    test: (record: Loose) => boolean,
    kept: Loose[] | undefined,
  ): Promise<Loose[]> => {
    if (kept) return kept.filter(test);
    return await readRecords(test);
  };

  /** The records of the journal that pass `test`, after the steps the follower takes. */
  const readRecords = async (test: (record: Loose) => boolean): Promise<Loose[]> => {
    const out: Loose[] = [];
    let count = 0;
    // The same steps as the follower's, so a turn reads the same from memory and from disk.
    const inherit = scopeInheritance(MAX_SCOPES);
    for await (const value of readJournal(path, { fs: options.fs })) {
      if (++count % 5000 === 0) await breathe();
      const usable = viewerRecord(value);
      if (!usable) continue;
      const record = inherit(usable);
      if (test(record)) out.push(record);
    }
    return out;
  };

  /**
   * A turn's records from the journal. Its children written before its root carry no turn:
   * they are among the records without one of the turn's traces (`traceIds`, found by a
   * first read when the index no longer knows them), and adopted as the follower adopts them.
   */
  const readTurn = async (id: string, traceIds: string[] | undefined): Promise<Loose[]> => {
    if (traceIds === undefined) {
      const own = await readRecords((record) => record.turnId === id);
      const found = new Set<string>();
      for (const record of own) if (typeof record.traceId === "string") found.add(record.traceId);
      if (found.size === 0) return own;
      traceIds = [...found];
    }
    const traces = new Set(traceIds);
    const candidates = await readRecords((record) =>
      record.turnId === id ||
      (record.turnId === undefined && traces.has(record.traceId as string))
    );
    return adoptOrphans(candidates).records.filter((record) => record.turnId === id);
  };

  /** Whether the journal may hold `key`: false only once caught up and never seen. */
  const mayHold = (key: string) => !caughtUp || failure !== undefined || seen.mayHave(key);

  const view = (records: Loose[]): TraceView => {
    const traceIds = new Map<string, string>();
    for (const record of records) {
      const spanId = str(record.spanId);
      const traceId = str(record.traceId);
      if (spanId !== undefined && traceId !== undefined && record.kind !== "log") {
        traceIds.set(spanId, traceId);
      }
    }
    const result = flattenForest(reconstructTraces(records));
    for (const span of result.spans) {
      const traceId = traceIds.get(span.spanId);
      if (traceId !== undefined) span.traceId = traceId;
    }
    return result;
  };

  return {
    started,
    version: () => (failure ? `failed` : String(version)),
    skipped: () => skipped + (readerStats?.skipped ?? 0),
    turnVersion(id: string): string | undefined {
      // A turn no longer in the index may still be in the journal: unknown, not unchanged.
      const state = turns.get(turnKey(id));
      return failure || !state ? undefined : String(state.changed);
    },
    turns(query: TurnQuery): TurnPage {
      if (failure) throw failure;
      const matching: TurnSummary[] = [];
      for (const state of turns.values()) {
        if (matchesQuery(state.summary, query, () => state.names)) matching.push(state.summary);
      }
      matching.sort((a, b) => b.start - a.start || (summaryId(a) < summaryId(b) ? -1 : 1));
      const page = matching.slice(query.offset, query.offset + query.limit);
      return {
        turns: page.map((turn) => ({ ...turn, extensions: [...turn.extensions] })),
        more: matching.length > query.offset + query.limit,
      };
    },
    async turn(id: string): Promise<TraceView | undefined> {
      const state = turns.get(turnKey(id));
      if (!state && !mayHold(turnKey(id))) return undefined;
      const records = state?.records
        ? state.records.filter((record) => record.turnId === id)
        : await readTurn(id, state?.traceIds);
      return records.length === 0 ? undefined : view(records);
    },
    async trace(id: string): Promise<TraceView | undefined> {
      // Trace ids are optional on records: from memory when a kept turn carries it.
      if (!mayHold(traceKey(id))) return undefined;
      let source: Loose[] | undefined;
      for (const state of turns.values()) {
        if (state.summary.traceId !== id && !state.traceIds?.includes(id)) continue;
        if (!state.records) {
          source = undefined;
          break;
        }
        (source ??= []).push(...state.records);
      }
      const records = await recordsOf((record) => record.traceId === id, source);
      return records.length === 0 ? undefined : view(adoptOrphans(records).records);
    },
    async close(): Promise<void> {
      controller.abort();
      await running;
    },
  };
}
