/**
 * The viewer's source over a journal file: follows it (across rotations) with
 * `readJournal`'s follow mode and keeps a bounded index in memory: a summary per recent
 * turn, and the records of the most recently active turns. A turn whose records were
 * evicted is read again from the journal when someone opens it.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import { readJournal } from "../reader/read_journal.ts";
import type { JournalRecord } from "../reader/journal_record.ts";
import { reconstructTraces } from "../traces.ts";
import type { ViewerSource } from "./viewer_source.ts";
import {
  flattenForest,
  INPUT_TOKENS,
  matchesQuery,
  OUTPUT_TOKENS,
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

type Loose = Record<string, unknown> & { kind: string };

/** What the index keeps per turn. */
interface TurnState {
  summary: TurnSummary;
  /** Distinct span names (for the text filter), at most a few dozen. */
  names: string[];
  /** Open spans: their token counts from the open record, so a close can replace them. */
  openSpans: Map<string, { input: number; output: number }> | undefined;
  /** The turn's records, or undefined once evicted (then read from the journal). */
  records: Loose[] | undefined;
  traceIds: string[] | undefined;
  /** The source's version when a record of this turn last arrived. */
  changed: number;
}

const MAX_NAMES = 32;

/**
 * Bytes the follower reads at once. Each read allocates a buffer this size however little
 * is new: at the reader's 1 MiB default, a busy journal left 5–37 MiB of read buffers
 * waiting for the collector; at 64 KiB, 0–5 MiB (bench/viewer.bench.ts, `HEAP_LOG=1`).
 */
const FOLLOW_CHUNK_BYTES = 64 * 1024;

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
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
  const controller = new AbortController();

  /**
   * Turns dropped from the index (bounded): if one of them writes again, its summary starts
   * afresh but its records are read from the journal, since memory no longer has them all.
   */
  const forgotten = new Set<string>();
  /** Turns whose records are kept, least recently active first. */
  const cached = new Map<string, TurnState>();

  /** The most recently active turn: the last entry of `turns`. */
  let newest: string | undefined;

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
        forgotten.add(oldest);
        if (forgotten.size > 4 * maxTurns) forgotten.delete(forgotten.values().next().value!);
        if (dropped.records) {
          kept -= dropped.records.length;
          dropped.records = undefined;
          cached.delete(oldest);
        }
      }
    }
    // The most recently active turn keeps its records past the bound (up to four times it):
    // the turn just written is the one most likely opened, however big it is.
    while (kept > maxRecords && (cached.size > 1 || kept > 4 * maxRecords)) {
      const [oldest, dropped] = cached.entries().next().value!;
      cached.delete(oldest);
      kept -= dropped.records!.length;
      dropped.records = undefined;
    }
  };

  const add = (record: Loose) => {
    const turnId = str(record.turnId);
    if (turnId === undefined) return;
    const time = record.timestamp;
    if (typeof time !== "number" || !Number.isFinite(time)) return;
    let state = turns.get(turnId);
    if (!state) {
      state = {
        summary: {
          turnId,
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
        },
        names: [],
        openSpans: undefined,
        records: forgotten.has(turnId) ? undefined : [],
        traceIds: undefined,
        changed: 0,
      };
    }
    const turn = state.summary;
    const conversation = str(record.conversationId);
    if (conversation !== undefined) turn.conversationId ??= conversation;
    const traceId = str(record.traceId);
    if (traceId !== undefined) {
      state.traceIds ??= [];
      if (state.traceIds.length < 16 && !state.traceIds.includes(traceId)) {
        state.traceIds.push(traceId);
      }
    }
    const spanId = str(record.spanId);
    if ((record.kind === "span-open" || record.kind === "span-close") && spanId !== undefined) {
      const name = String(record.name ?? "");
      const extension = String(record.extensionId ?? "");
      if (!turn.extensions.includes(extension) && turn.extensions.length < 16) {
        turn.extensions.push(extension);
      }
      if (state.names.length < MAX_NAMES && !state.names.includes(name)) state.names.push(name);
      const attributes = (record.attributes ?? {}) as Record<string, unknown>;
      const duration = typeof record.durationMs === "number" ? record.durationMs : 0;
      const start = record.kind === "span-open" ? time : time - duration;
      if (turn.spans === 0 || start < turn.start) {
        turn.start = start;
        turn.name = name;
      }
      if (record.kind === "span-open") {
        const input = tokenCount(attributes[INPUT_TOKENS]);
        const output = tokenCount(attributes[OUTPUT_TOKENS]);
        turn.spans++;
        turn.inputTokens += input;
        turn.outputTokens += output;
        (state.openSpans ??= new Map()).set(spanId, { input, output });
      } else {
        const opened = state.openSpans?.get(spanId);
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
    touch(turnId, state);
    state.changed = ++version;
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
      for await (
        const record of readJournal(path, {
          follow: true,
          signal: controller.signal,
          pollMs: options.pollMs ?? 200,
          fs: options.fs,
          onIdle: begin,
          chunkSize: FOLLOW_CHUNK_BYTES,
        })
      ) {
        if (count === 0) begin();
        add(record as Loose);
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
    const out: Loose[] = [];
    let count = 0;
    for await (const record of readJournal(path, { fs: options.fs })) {
      const loose = record as JournalRecord as Loose;
      if (test(loose)) out.push(loose);
      if (++count % 5000 === 0) await breathe();
    }
    return out;
  };

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
    turnVersion(id: string): string | undefined {
      // A turn no longer in the index may still be in the journal: unknown, not unchanged.
      const state = turns.get(id);
      return failure || !state ? undefined : String(state.changed);
    },
    turns(query: TurnQuery): TurnPage {
      if (failure) throw failure;
      const matching: TurnSummary[] = [];
      for (const state of turns.values()) {
        if (matchesQuery(state.summary, query, () => state.names)) matching.push(state.summary);
      }
      matching.sort((a, b) => b.start - a.start || (a.turnId < b.turnId ? -1 : 1));
      const page = matching.slice(query.offset, query.offset + query.limit);
      return {
        turns: page.map((turn) => ({ ...turn, extensions: [...turn.extensions] })),
        more: matching.length > query.offset + query.limit,
      };
    },
    async turn(id: string): Promise<TraceView | undefined> {
      const state = turns.get(id);
      const records = await recordsOf((record) => record.turnId === id, state?.records);
      return records.length === 0 ? undefined : view(records);
    },
    async trace(id: string): Promise<TraceView | undefined> {
      // Trace ids are optional on records: from memory when a kept turn carries it.
      let source: Loose[] | undefined;
      for (const state of turns.values()) {
        if (!state.traceIds?.includes(id)) continue;
        if (!state.records) {
          source = undefined;
          break;
        }
        (source ??= []).push(...state.records);
      }
      const records = await recordsOf((record) => record.traceId === id, source);
      return records.length === 0 ? undefined : view(records);
    },
    async close(): Promise<void> {
      controller.abort();
      await running;
    },
  };
}
