/**
 * The viewer's source over a journal file: follows it (across rotations) with
 * `readJournal`'s follow mode and keeps a bounded index in memory: a line per recent turn
 * (or trace, for records without a turn), and the records of the most recently active ones.
 * A turn whose records were evicted is read again from the journal when someone opens it; an
 * id the journal never held is answered from a filter of the ids seen, without a read.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import { readJournal } from "../reader/read_journal.ts";
import { reconstructTraces } from "../traces/traces.ts";
import { RecentMap } from "../collector/recent_map.ts";
import type { ViewerSource } from "./viewer_source.ts";
import { IdFilter } from "./id_filter.ts";
import { scopeInheritance } from "./scope_inheritance.ts";
import { adoptOrphans } from "./orphan_adoption.ts";
import { countRecord, evictRecords, mergeLine, newTurnLine, type TurnLine } from "./turn_line.ts";
import { type ViewerRecord, viewerRecord } from "./viewer_record.ts";
import type { ModelPrices } from "../collector/prices.ts";
import { type CostOf, spanCostOf } from "./span_cost.ts";
import { conversationTotals } from "./conversation_totals.ts";
import { JournalStats } from "./journal_stats.ts";
import type { StatsAnswer, StatsQuery, StatsTurn } from "./stats_view.ts";
import { type ConversationView, conversationView } from "./conversation_view.ts";
import {
  flattenForest,
  matchesQuery,
  summaryId,
  type TraceView,
  type TurnPage,
  type TurnQuery,
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
  /** Prices for spans without a cost of their own (`serve --prices`). */
  prices?: ModelPrices;
}

/** Spans whose turn and conversation are remembered for their children to inherit. */
const MAX_SCOPES = 65_536;

/** The index's key of a turn, and of a trace whose records carry no turn. */
const turnKey = (id: string) => `t${id}`;
const traceKey = (id: string) => `x${id}`;

/**
 * Bytes the follower reads at once. Each read allocates a buffer this size however little
 * is new: a small chunk keeps what a busy journal leaves waiting for the collector small
 * (bench/RESULTS.md, the viewer's follower).
 */
const FOLLOW_CHUNK_BYTES = 64 * 1024;

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Gives the event loop a turn, so catching up with a large journal does not stall requests. */
function breathe(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The view of some records: their span trees flattened, each span with its trace id. */
function view(records: ViewerRecord[], costOf: CostOf): TraceView {
  const traceIds = new Map<string, string>();
  for (const record of records) {
    const spanId = str(record.spanId);
    const traceId = str(record.traceId);
    if (spanId !== undefined && traceId !== undefined && record.kind !== "log") {
      traceIds.set(spanId, traceId);
    }
  }
  const result = flattenForest(reconstructTraces(records), costOf);
  for (const span of result.spans) {
    const traceId = traceIds.get(span.spanId);
    if (traceId !== undefined) span.traceId = traceId;
  }
  return result;
}

/**
 * A journal followed as a viewer source. `started` settles once the journal is known to be
 * readable (its first record, or the first wait for more), or rejects when it is not.
 *
 * @example
 * ```ts
 * import { JournalSource } from "./journal_source.ts";
 * import { createFakeFs } from "../testing/fake_fs.ts";
 * const fs = createFakeFs();
 * const handle = fs.open("app.jsonl");
 * fs.append(handle, JSON.stringify({
 *   kind: "span-open", spanId: "s", name: "turn", timestamp: 1, extensionId: "x", turnId: "t1",
 * }) + "\n");
 * const source = new JournalSource("app.jsonl", { fs, pollMs: 10 });
 * await source.started;
 * while (source.turns({ offset: 0, limit: 10 }).turns.length === 0) {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 * }
 * const [line] = source.turns({ offset: 0, limit: 10 }).turns;
 * await source.close();
 * if (line.turnId !== "t1" || line.status !== "open") throw new Error("an open turn");
 * ```
 */
export class JournalSource implements ViewerSource {
  /** Settles once the journal is known readable; rejects when it is not (no such journal). */
  readonly started: Promise<void>;
  private readonly path: string;
  private readonly fs: FsOps | undefined;
  private readonly maxTurns: number;
  private readonly maxRecords: number;
  /** The cost rule over `serve --prices`. */
  private readonly costOf: CostOf;
  /** Every line, least recently active first. */
  private readonly lines = new Map<string, TurnLine>();
  /** Lines whose records are kept, least recently active first. */
  private readonly cached = new Map<string, TurnLine>();
  /**
   * Lines dropped from the index (the last few times `maxTurns`): if one of them writes
   * again, its summary starts afresh but its records are read from the journal, since memory
   * no longer has them all.
   */
  private readonly forgotten: RecentMap<string, true>;
  /** Every turn and trace id indexed since start (keys as in `lines`). */
  private readonly seen = new IdFilter();
  private readonly inheritScope = scopeInheritance(MAX_SCOPES);
  private readonly controller = new AbortController();
  private readonly running: Promise<void>;
  /** Records kept in memory, over every line. */
  private kept = 0;
  /** Bumped by every record indexed. */
  private changes = 0;
  private failure: unknown;
  /** Records the reader passed that the viewer could not use (wrong shape, or indexing threw). */
  private unusable = 0;
  /** The follower's read statistics: lines it skipped never reach `index`. */
  private readerStats: { readonly skipped: number } | undefined;
  /** Whether the follower has read the whole journal once: only then is `seen` complete. */
  private caughtUp = false;
  /** Lines that stand for a trace without a turn (only they can be adopted). */
  private traceLines = 0;
  /** The most recently active line: the last entry of `lines`. */
  private newest: string | undefined;
  /** Every finished span followed, counted for `/stats` in bounded time buckets. */
  private readonly spanStats = new JournalStats();

  /**
   * Opens the journal at `path` and starts following it.
   *
   * @param path The live journal's path.
   * @param options Memory bounds and polling.
   */
  constructor(path: string, options: JournalSourceOptions = {}) {
    this.path = path;
    this.fs = options.fs;
    this.maxTurns = Math.max(1, options.maxTurns ?? 10_000);
    this.maxRecords = Math.max(0, options.maxRecords ?? 10_000);
    this.forgotten = new RecentMap(2 * this.maxTurns);
    this.costOf = spanCostOf(options.prices);
    let begin!: () => void;
    let refuse!: (error: unknown) => void;
    this.started = new Promise<void>((resolve, reject) => {
      begin = resolve;
      refuse = reject;
    });
    this.running = this.follow(options.pollMs ?? 200, begin, refuse);
  }

  /** A token that changes whenever a record arrives. */
  version(): string {
    return this.failure ? `failed` : String(this.changes);
  }

  /** Records skipped: by the reader (damage) and by the viewer (unusable). */
  skipped(): number {
    return this.unusable + (this.readerStats?.skipped ?? 0);
  }

  /** A token that changes whenever a record of this turn arrives, if the index has it. */
  turnVersion(id: string): string | undefined {
    // A turn no longer in the index may still be in the journal: unknown, not unchanged.
    const line = this.lines.get(turnKey(id));
    return this.failure || !line ? undefined : String(line.changed);
  }

  /** One page of the list, newest first. */
  turns(query: TurnQuery): TurnPage {
    if (this.failure) throw this.failure;
    const matching: TurnSummary[] = [];
    for (const line of this.lines.values()) {
      if (matchesQuery(line.summary, query, () => line.names, line)) matching.push(line.summary);
    }
    matching.sort((a, b) => b.start - a.start || (summaryId(a) < summaryId(b) ? -1 : 1));
    const page = matching.slice(query.offset, query.offset + query.limit);
    const wanted = new Set<string>();
    for (const turn of page) if (turn.conversationId !== undefined) wanted.add(turn.conversationId);
    const members = function* (lines: Iterable<TurnLine>) {
      for (const line of lines) yield line.summary;
    };
    return {
      turns: page.map((turn) => ({ ...turn, extensions: [...turn.extensions] })),
      more: matching.length > query.offset + query.limit,
      conversations: conversationTotals(wanted, members(this.lines.values())),
    };
  }

  /** One turn's spans: from memory when kept, else from the journal. */
  async turn(id: string): Promise<TraceView | undefined> {
    const line = this.lines.get(turnKey(id));
    if (!line && !this.mayHold(turnKey(id))) return undefined;
    const records = line?.records
      ? line.records.filter((record) => record.turnId === id)
      : await this.readTurn(id, line?.traceIds);
    return records.length === 0 ? undefined : view(records, this.costOf);
  }

  /** One trace's spans: from memory when the lines that carry it are kept, else the journal. */
  async trace(id: string): Promise<TraceView | undefined> {
    if (!this.mayHold(traceKey(id))) return undefined;
    let kept: ViewerRecord[] | undefined;
    for (const line of this.lines.values()) {
      if (line.summary.traceId !== id && !line.traceIds?.includes(id)) continue;
      if (!line.records) {
        kept = undefined;
        break;
      }
      (kept ??= []).push(...line.records);
    }
    const test = (record: ViewerRecord) => record.traceId === id;
    const records = kept ? kept.filter(test) : await this.readRecords(test);
    return records.length === 0 ? undefined : view(adoptOrphans(records).records, this.costOf);
  }

  /**
   * A conversation's chat view: its turns the index lists (the last `maxTurns` active), from
   * memory where their records are kept, the others in one read of the journal.
   */
  async conversation(id: string): Promise<ConversationView | undefined> {
    if (this.failure) throw this.failure;
    const byTurn = new Map<string, ViewerRecord[]>();
    const missing = new Set<string>();
    for (const line of this.lines.values()) {
      const turnId = line.summary.turnId;
      if (line.summary.conversationId !== id || turnId === undefined) continue;
      if (line.records) byTurn.set(turnId, line.records.filter((r) => r.turnId === turnId));
      else missing.add(turnId);
    }
    if (byTurn.size === 0 && missing.size === 0) return undefined;
    if (missing.size > 0) {
      for (const record of await this.readRecords((r) => missing.has(r.turnId as string))) {
        const turnId = record.turnId as string;
        let records = byTurn.get(turnId);
        if (!records) byTurn.set(turnId, records = []);
        records.push(record);
      }
    }
    const views = new Map<string, TraceView>();
    for (const [turnId, records] of byTurn) {
      if (records.length > 0) views.set(turnId, view(records, this.costOf));
    }
    return conversationView(id, views);
  }

  /**
   * `/stats` over the spans followed: exact counts and sums, percentiles from a histogram
   * (within `HISTOGRAM_ERROR`), the range widened to whole time buckets; the slowest and
   * costliest turns among those the index lists (the last `maxTurns` active).
   */
  stats(query: StatsQuery): Promise<StatsAnswer> {
    if (this.failure) return Promise.reject(this.failure);
    const lines = this.lines;
    const turns = function* (): Generator<StatsTurn> {
      for (const { summary } of lines.values()) {
        if (summary.turnId === undefined || summary.status === "open") continue;
        const turn: StatsTurn = {
          turnId: summary.turnId,
          start: summary.start,
          durationMs: summary.end - summary.start,
        };
        if (summary.costUsd !== undefined) turn.costUsd = summary.costUsd;
        yield turn;
      }
    };
    return Promise.resolve(this.spanStats.answer(query, turns()));
  }

  /** Stops following. */
  async close(): Promise<void> {
    this.controller.abort();
    await this.running;
  }

  /** Follows the journal, indexing each record. */
  private async follow(
    pollMs: number,
    begin: () => void,
    refuse: (error: unknown) => void,
  ): Promise<void> {
    let count = 0;
    try {
      const reader = readJournal(this.path, {
        follow: true,
        signal: this.controller.signal,
        pollMs,
        fs: this.fs,
        onIdle: () => {
          this.caughtUp = true;
          begin();
        },
        chunkSize: FOLLOW_CHUNK_BYTES,
      });
      this.readerStats = reader.stats;
      for await (const record of reader) {
        if (count === 0) begin();
        this.index(record);
        if (++count % 2000 === 0) await breathe();
      }
    } catch (error) {
      if (!this.controller.signal.aborted) this.failure = error;
      refuse(error);
    }
    begin();
  }

  /** Indexes one record read by the follower; a record it cannot use is skipped and counted. */
  private index(value: unknown): void {
    try {
      const record = viewerRecord(value);
      if (record === null) this.unusable++;
      if (!record) return;
      const scoped = this.inheritScope(record);
      this.add(scoped);
      if (this.traceLines > 0 && scoped.turnId !== undefined) this.adoptInto(scoped);
    } catch {
      this.unusable++;
    }
  }

  /** Counts a record in its line (created if new), keeps it if the line's records are kept. */
  private add(record: ViewerRecord): void {
    const turnId = str(record.turnId);
    const traceId = str(record.traceId);
    // A record without a turn is listed under its trace (OpenTelemetry writes no turns).
    const key = turnId !== undefined
      ? turnKey(turnId)
      : traceId !== undefined
      ? traceKey(traceId)
      : undefined;
    if (key === undefined) return;
    let line = this.lines.get(key);
    if (!line) {
      const keep = this.forgotten.get(key) === undefined;
      line = newTurnLine(turnId, traceId, record.timestamp as number, keep);
      if (turnId === undefined) this.traceLines++;
      this.seen.add(key);
    }
    if (traceId !== undefined && turnId !== undefined) {
      line.traceIds ??= [];
      if (!line.traceIds.includes(traceId)) {
        this.seen.add(traceKey(traceId));
        if (line.traceIds.length < 16) line.traceIds.push(traceId);
      }
    }
    const closed = countRecord(line, record, this.costOf);
    if (closed) {
      const durationMs = record.durationMs as number;
      this.spanStats.add({
        name: record.name as string,
        model: closed.usage.model,
        tool: closed.tool,
        start: (record.timestamp as number) - durationMs,
        durationMs,
        failed: record.status === "error",
        inputTokens: closed.usage.inputTokens ?? 0,
        outputTokens: closed.usage.outputTokens ?? 0,
        cost: closed.cost,
      });
    }
    if (line.records) {
      line.records.push(record);
      this.kept++;
    }
    this.touch(key, line);
    line.changed = ++this.changes;
  }

  /**
   * A span with a turn settles the records of its trace listed without one that are its own
   * or its descendants' (written before it): they move to its turn, and the trace's line goes
   * when nothing is left in it.
   */
  private adoptInto(record: ViewerRecord): void {
    const traceId = str(record.traceId);
    const spanId = str(record.spanId);
    if (record.kind === "log" || traceId === undefined || spanId === undefined) return;
    const key = traceKey(traceId);
    const orphans = this.lines.get(key);
    if (!orphans?.waiting?.has(spanId)) return;
    const turnId = record.turnId as string;
    const turn = this.lines.get(turnKey(turnId));
    if (!turn) return;
    if (orphans.records) {
      const adoption = adoptOrphans([record, ...orphans.records]);
      if (adoption.adopted === 0) return;
      this.drop(key, orphans);
      // Indexed again in their order: the adopted ones under the turn (their scopes then
      // known to their own later records), the rest under a fresh line of the trace.
      for (let i = 1; i < adoption.records.length; i++) {
        this.add(this.inheritScope(adoption.records[i]));
      }
    } else {
      // Their records are no longer in memory: the whole line is taken to be the span's
      // (the usual case), and the turn is read from the journal from then on.
      this.drop(key, orphans);
      mergeLine(turn, orphans);
      if (turn.records) {
        this.cached.delete(turnKey(turnId));
        this.kept -= evictRecords(turn);
      }
      turn.changed = ++this.changes;
    }
  }

  /** Removes a line from the index. */
  private drop(key: string, line: TurnLine): void {
    this.lines.delete(key);
    if (line.waiting) this.traceLines--;
    if (this.newest === key) this.newest = undefined;
    if (line.records) {
      this.cached.delete(key);
      this.kept -= line.records.length;
    }
  }

  /** Moves a line to the most recently active end and trims the index to its bounds. */
  private touch(key: string, line: TurnLine): void {
    // A turn's records mostly come one after another: moving a turn that is already the
    // newest would delete and re-add a Map entry per record, and rebuild the Map's table
    // every few thousand of those (bench/RESULTS.md, the viewer's follower).
    if (key !== this.newest) {
      this.newest = key;
      this.lines.delete(key);
      this.lines.set(key, line);
      if (line.records) {
        this.cached.delete(key);
        this.cached.set(key, line);
      }
      while (this.lines.size > this.maxTurns) {
        const [oldest, dropped] = this.lines.entries().next().value!;
        this.lines.delete(oldest);
        if (dropped.waiting) this.traceLines--;
        this.forgotten.set(oldest, true);
        if (dropped.records) {
          this.kept -= evictRecords(dropped);
          this.cached.delete(oldest);
        }
      }
    }
    // The most recently active turn keeps its records past the bound (up to four times it):
    // the turn just written is the one most likely opened, however big it is.
    while (
      this.kept > this.maxRecords && (this.cached.size > 1 || this.kept > 4 * this.maxRecords)
    ) {
      const [oldest, dropped] = this.cached.entries().next().value!;
      this.cached.delete(oldest);
      this.kept -= evictRecords(dropped);
    }
  }

  /** The records of the journal that pass `test`, after the steps the follower takes. */
  private async readRecords(test: (record: ViewerRecord) => boolean): Promise<ViewerRecord[]> {
    const out: ViewerRecord[] = [];
    let count = 0;
    // The same steps as the follower's, so a turn reads the same from memory and from disk.
    const inherit = scopeInheritance(MAX_SCOPES);
    for await (const value of readJournal(this.path, { fs: this.fs })) {
      if (++count % 5000 === 0) await breathe();
      const usable = viewerRecord(value);
      if (!usable) continue;
      const record = inherit(usable);
      if (test(record)) out.push(record);
    }
    return out;
  }

  /**
   * A turn's records from the journal. Its children written before its root carry no turn:
   * they are among the records without one of the turn's traces (`traceIds`, found by a
   * first read when the index no longer knows them), and adopted as the follower adopts them.
   */
  private async readTurn(id: string, traceIds: string[] | undefined): Promise<ViewerRecord[]> {
    if (traceIds === undefined) {
      const own = await this.readRecords((record) => record.turnId === id);
      const found = new Set<string>();
      for (const record of own) if (typeof record.traceId === "string") found.add(record.traceId);
      if (found.size === 0) return own;
      traceIds = [...found];
    }
    const traces = new Set(traceIds);
    const candidates = await this.readRecords((record) =>
      record.turnId === id ||
      (record.turnId === undefined && traces.has(record.traceId as string))
    );
    return adoptOrphans(candidates).records.filter((record) => record.turnId === id);
  }

  /** Whether the journal may hold `key`: false only once caught up and never seen. */
  private mayHold(key: string): boolean {
    return !this.caughtUp || this.failure !== undefined || this.seen.mayHave(key);
  }
}

/**
 * Opens a journal as a viewer source and starts following it.
 *
 * @param path The live journal's path.
 * @param options Memory bounds and polling.
 * @returns The source; `close()` stops the follower.
 *
 * @example
 * ```ts
 * import { openJournalSource } from "./journal_source.ts";
 * import { createFakeFs } from "../testing/fake_fs.ts";
 * const fs = createFakeFs();
 * const source = openJournalSource("missing.jsonl", { fs });
 * const refused = await source.started.then(() => false, () => true);
 * await source.close();
 * if (!refused) throw new Error("a journal that does not exist is refused");
 * ```
 */
export function openJournalSource(path: string, options: JournalSourceOptions = {}): JournalSource {
  return new JournalSource(path, options);
}
