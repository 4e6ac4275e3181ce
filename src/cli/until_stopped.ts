/**
 * Runs a server command until SIGINT/SIGTERM (or the caller's signal): what `receive` and
 * `serve` share.
 *
 * @module
 */

import { CommandFailure } from "./failure.ts";
import type { CliIo } from "./io.ts";
import { stopSignal } from "./stop_signal.ts";

/** What a listening server gives back: its URL and how to stop it. */
export interface RunningServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Starts a server, prints its URL as one line on stdout, waits for the stop signal, closes
 * it. A failure to listen (`EADDRINUSE`…) becomes a {@linkcode CommandFailure} naming the
 * address.
 *
 * @param io The CLI's I/O.
 * @param address `host:port`, for the message.
 * @param start Starts the server.
 * @returns Exit code 0 once closed.
 */
export async function serveUntilStopped(
  io: CliIo,
  address: string,
  start: () => Promise<RunningServer>,
): Promise<number> {
  const { signal, release } = stopSignal(io);
  try {
    let server: RunningServer;
    try {
      server = await start();
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      const message = error instanceof Error ? error.message : String(error);
      throw new CommandFailure(
        `cannot listen on ${address}: ${
          typeof code === "string" && !message.includes(code) ? `${code}: ` : ""
        }${message}`,
      );
    }
    try {
      await io.write(`${server.url}\n`);
      if (!signal.aborted) {
        await new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => resolve(), { once: true })
        );
      }
    } finally {
      await server.close();
    }
    return 0;
  } finally {
    release();
  }
}
