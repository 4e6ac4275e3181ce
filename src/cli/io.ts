/**
 * The CLI's contact with the outside world, behind one small interface so the commands
 * run the same on Deno, Node and Bun, and in tests without a process.
 *
 * @module
 */

import type { FsOps } from "../fs_ops.ts";
import { currentProcess as runtimeProcess, type ProcessLike } from "../runtime/runtime.ts";

/**
 * Where the CLI reads and writes. {@linkcode processIo} is the real one; tests pass their own.
 *
 * @example Capturing the output of a command in a test
 * ```ts
 * import { main, type CliIo } from "@dispatch/journal-sink/cli";
 * import { createFakeFs } from "@dispatch/journal-sink/testing";
 * let out = "";
 * let err = "";
 * const io: CliIo = { write: (text) => void (out += text), error: (text) => void (err += text), color: false, fs: createFakeFs() };
 * const code = await main(["stats", "missing.jsonl"], io);
 * if (code !== 1 || !err.includes("missing.jsonl") || out !== "") throw new Error("expected exit 1");
 * ```
 */
export interface CliIo {
  /** Standard output; may return a promise to apply back-pressure. */
  write(text: string): void | Promise<void>;
  /** Standard error. */
  error(text: string): void;
  /** Whether colour may be used: stdout is a terminal and `NO_COLOR` is unset. */
  color: boolean;
  /** The file system to read journals through; the runtime's by default. */
  fs?: FsOps;
  /** Ends `tail -f` (otherwise it runs until the process is interrupted). */
  signal?: AbortSignal;
  /** The current time, for `--since 15m`; `Date.now()` by default. */
  now?: number;
  /** The polling interval of `tail -f`, in milliseconds. */
  pollMs?: number;
  /** The environment `export` reads `OTEL_*` from; the process's by default. */
  env?: Record<string, string | undefined>;
}

/**
 * The running process (`process` exists on Deno 2, Node and Bun alike).
 *
 * @returns The global `process`.
 */
export function currentProcess(): ProcessLike {
  const proc = runtimeProcess();
  if (!proc) throw new Error("journal-sink: no process object in this runtime");
  return proc;
}

/**
 * The CLI's I/O on the real process: stdout with back-pressure, a closed pipe
 * (`journal-sink tail … | head`) ending the output quietly, colour only on a terminal
 * without `NO_COLOR`.
 *
 * @returns The process's I/O.
 */
export function processIo(): CliIo {
  const proc = currentProcess();
  let closed = false;
  proc.stdout.on?.("error", (error) => {
    if ((error as { code?: string }).code === "EPIPE") closed = true;
    else throw error;
  });
  const noColor = proc.env.NO_COLOR;
  return {
    color: proc.stdout.isTTY === true && (noColor === undefined || noColor === ""),
    write(text) {
      if (closed) return;
      if (proc.stdout.write(text) || !proc.stdout.once) return;
      return new Promise<void>((resolve) => {
        const done = () => resolve();
        proc.stdout.once?.("drain", done);
        proc.stdout.once?.("error", done);
        proc.stdout.once?.("close", done);
      });
    },
    error(text) {
      proc.stderr.write(text);
    },
  };
}

/** Lines gathered into large writes: one write per ~64 KiB instead of one per record. */
export class Output {
  private io: CliIo;
  private buffer: string[] = [];
  private size = 0;

  /**
   * Creates the instance.
   *
   * @param io Where the text goes.
   */
  constructor(io: CliIo) {
    this.io = io;
  }

  /**
   * Adds one line (a newline is appended); writes the batch once it is large.
   *
   * @param text The line.
   * @returns A promise when the batch was written and stdout asks to wait.
   */
  line(text: string): void | Promise<void> {
    this.buffer.push(text, "\n");
    this.size += text.length + 1;
    if (this.size >= 65536) return this.flush();
  }

  /**
   * Writes what is gathered.
   *
   * @returns A promise when stdout asks to wait.
   */
  flush(): void | Promise<void> {
    if (this.size === 0) return;
    const text = this.buffer.join("");
    this.buffer = [];
    this.size = 0;
    return this.io.write(text);
  }
}
