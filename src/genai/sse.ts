/**
 * Server-sent events read incrementally, as the WHATWG specification parses them: the text of
 * a stream fed in pieces of any size, events out as soon as their blank line arrives. Pure:
 * `captureFetch` feeds it the decoded chunks it passes on to the caller.
 *
 * @module
 */

/** One event of a stream: its `event` and `id` fields when given, its `data` lines joined. */
export interface SseEvent {
  /** The `event:` field (`message_start`, `response.completed`, …); absent for a plain message. */
  event?: string;
  /** The `id:` field, when given. */
  id?: string;
  /** The `data:` lines, joined with `"\n"`. */
  data: string;
}

/**
 * Splits a stream's text into events. Lines end in `\n`, `\r\n` or `\r` (a `\r` at the end
 * of one piece and a `\n` at the start of the next are one line end); `:` comments and
 * unknown fields are skipped; an event without a `data:` line is not dispatched.
 *
 * @example Pieces cut anywhere give the same events
 * ```ts
 * import { SseParser } from "./sse.ts";
 * const parser = new SseParser();
 * const events = [
 *   ...parser.feed("event: ping\nda"),
 *   ...parser.feed("ta: {\"a\":1}\r"),
 *   ...parser.feed("\n\r\ndata: [DONE]\n\n"),
 * ];
 * if (events.length !== 2 || events[0].event !== "ping" || events[0].data !== '{"a":1}') {
 *   throw new Error(JSON.stringify(events));
 * }
 * ```
 */
export class SseParser {
  /** The unfinished last line. */
  private rest = "";
  /** The previous piece ended in `\r`: a `\n` starting this one belongs to that line end. */
  private afterCr = false;
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;

  /**
   * Parses the next piece of the stream's text.
   *
   * @param text The piece.
   * @returns The events it completed.
   */
  feed(text: string): SseEvent[] {
    const out: SseEvent[] = [];
    let at = 0;
    if (this.afterCr && text.charCodeAt(0) === 10) at = 1;
    this.afterCr = false;
    const n = text.length;
    // Line ends found by the native indexOf: "\n" is what every provider sends, "\r" rare.
    let cr = text.indexOf("\r", at);
    let line = this.rest;
    while (at < n) {
      const lf = text.indexOf("\n", at);
      if (cr >= 0 && cr < at) cr = text.indexOf("\r", at);
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        end = cr;
        if (cr + 1 < n) next = text.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        else {
          next = n;
          this.afterCr = true;
        }
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else break;
      this.line(line === "" ? text.slice(at, end) : line + text.slice(at, end), out);
      line = "";
      at = next;
    }
    this.rest = at < n ? line + text.slice(at) : line;
    return out;
  }

  /**
   * The end of the stream: an event whose blank line never came is dropped, as the
   * specification says.
   *
   * @returns Always empty; here so a caller can treat the end like a piece.
   */
  end(): SseEvent[] {
    this.rest = "";
    this.data = [];
    this.event = undefined;
    return [];
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) {
        const event: SseEvent = { data: this.data.join("\n") };
        if (this.event !== undefined) event.event = this.event;
        if (this.id !== undefined) event.id = this.id;
        out.push(event);
      }
      this.data = [];
      this.event = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ":" comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }
}
