/**
 * What the viewer's server asks of where the records are: a journal it follows, or a
 * SQLite store that `collect` fills.
 *
 * @module
 */

import type { TraceView, TurnPage, TurnQuery } from "./view_model.ts";
import type { ConversationView } from "./conversation_view.ts";
import type { StatsAnswer, StatsQuery } from "./stats_view.ts";

/** A read-only source of turns and traces. */
export interface ViewerSource {
  /** A token that changes whenever new records have arrived (the page polls it). */
  version(): string;
  /**
   * A token that changes whenever a record of this turn arrives, or `undefined` when the
   * source cannot tell (the server then compares the turn's content instead). It lets the
   * server answer an unchanged turn with 304 without building it.
   */
  turnVersion?(turnId: string): string | undefined;
  /** Records skipped because the viewer could not use them, when the source counts them. */
  skipped?(): number;
  /** One page of the turn list (turns, and traces without a turn), newest first. */
  turns(query: TurnQuery): TurnPage;
  /** One turn's spans, or `undefined` when no record names it. */
  turn(turnId: string): Promise<TraceView | undefined>;
  /** One trace's spans, or `undefined` when no record names it. */
  trace(traceId: string): Promise<TraceView | undefined>;
  /** A conversation's turns in order, chat-style, or `undefined` when no turn names it. */
  conversation(conversationId: string): Promise<ConversationView | undefined>;
  /** `/stats`: per span name, model and tool over a time range; the slowest, costliest turns. */
  stats(query: StatsQuery): Promise<StatsAnswer>;
  /** Stops following and releases files. */
  close(): Promise<void>;
}
