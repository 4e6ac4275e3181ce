/**
 * Splits a stream of UTF-8 byte chunks into lines without holding more than one chunk and
 * one partial line, and recognises the debris a crash leaves (NUL runs, a torn tail).
 *
 * @module
 */

const NEWLINE = 0x0a;
const NUL = 0x00;

/**
 * What a chunk of bytes held: text segments that may each be a record, and how many runs
 * of NUL bytes separated them.
 */
export interface LineSink {
  /** One complete line (no `"\n"`) or a segment between NUL runs. */
  line(text: string): void;
  /** A run of NUL bytes was cut out of the stream. */
  nulRun(): void;
}

/**
 * Incremental line splitter over bytes. UTF-8 never uses the byte 0x0A inside a multi-byte
 * sequence, so cutting at newlines never splits a character; each chunk is decoded in one
 * call and split with `String#split`, which keeps the per-record cost near `JSON.parse`.
 *
 * A raw NUL byte can never appear in a JSON line (JSON escapes control characters), so a
 * NUL run is what a crash leaves where the file size was committed before the data: the
 * splitter treats each run as a separator and reports it, so the records on either side
 * of it survive.
 *
 * @example Splitting two chunks
 * ```ts
 * import { LineSplitter } from "./line_splitter.ts";
 * const lines: string[] = [];
 * const splitter = new LineSplitter({ line: (text) => lines.push(text), nulRun() {} });
 * const bytes = new TextEncoder().encode('{"a":1}\n{"b"');
 * splitter.push(bytes);
 * splitter.push(new TextEncoder().encode(":2}\n"));
 * if (lines.join("|") !== '{"a":1}|{"b":2}') throw new Error("wrong lines");
 * ```
 */
export class LineSplitter {
  private sink: LineSink;
  private decoder = new TextDecoder("utf-8", { fatal: false });
  private carry: Uint8Array[] = [];
  private carryBytes = 0;

  /**
   * Creates the instance.
   *
   * @param sink Receives the lines and NUL runs.
   */
  constructor(sink: LineSink) {
    this.sink = sink;
  }

  /** Bytes of the partial line held back until its newline arrives. */
  get pendingBytes(): number {
    return this.carryBytes;
  }

  /**
   * Feed the next chunk; every line it completes is handed to the sink.
   *
   * @param chunk The next bytes of the file.
   */
  push(chunk: Uint8Array): void {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.hold(chunk);
      return;
    }
    let start = 0;
    if (this.carryBytes > 0) {
      const first = chunk.indexOf(NEWLINE);
      this.hold(chunk.subarray(0, first));
      this.emit(this.takeCarry());
      start = first + 1;
    }
    if (start < last) this.emit(chunk.subarray(start, last), true);
    if (last + 1 < chunk.length) this.hold(chunk.subarray(last + 1));
  }

  /**
   * The bytes after the last newline, decoded, and forgotten: the caller decides whether
   * an unterminated last line is a record or a torn tail. NUL runs in it are reported and
   * cut away first.
   *
   * @returns The unterminated rest, `""` when the input ended with a newline.
   */
  end(): string {
    if (this.carryBytes === 0) return "";
    const bytes = this.takeCarry();
    if (bytes.indexOf(NUL) < 0) return this.decoder.decode(bytes);
    // Only what follows the last NUL run is the candidate tail; what precedes it is handed
    // to the sink as ordinary segments.
    let previous: string | undefined;
    this.splitNul(bytes, (text) => {
      if (previous !== undefined) this.sink.line(previous);
      previous = text;
    });
    return previous ?? "";
  }

  private hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    // Copy: the caller may reuse or release the chunk.
    this.carry.push(bytes.slice());
    this.carryBytes += bytes.length;
  }

  private takeCarry(): Uint8Array {
    const parts = this.carry;
    let bytes: Uint8Array;
    if (parts.length === 1) {
      bytes = parts[0];
    } else {
      bytes = new Uint8Array(this.carryBytes);
      let offset = 0;
      for (const part of parts) {
        bytes.set(part, offset);
        offset += part.length;
      }
    }
    this.carry = [];
    this.carryBytes = 0;
    return bytes;
  }

  private emit(bytes: Uint8Array, many = false): void {
    if (bytes.indexOf(NUL) >= 0) {
      this.splitNul(bytes, (segment) => {
        if (many) { for (const line of segment.split("\n")) this.sink.line(line); }
        else this.sink.line(segment);
      });
      return;
    }
    const text = this.decoder.decode(bytes);
    if (!many) {
      this.sink.line(text);
      return;
    }
    for (const line of text.split("\n")) this.sink.line(line);
  }

  /** Cuts `bytes` at every NUL run; hands each piece and each run over in stream order. */
  private splitNul(bytes: Uint8Array, piece: (text: string) => void): void {
    let start = 0;
    let index = bytes.indexOf(NUL);
    while (index >= 0) {
      piece(this.decoder.decode(bytes.subarray(start, index)));
      let end = index;
      while (end < bytes.length && bytes[end] === NUL) end++;
      this.sink.nulRun();
      start = end;
      index = bytes.indexOf(NUL, start);
    }
    piece(this.decoder.decode(bytes.subarray(start)));
  }
}
