/**
 * pino's worker-thread transport: `pino.transport({ target: "@dispatch/journal-sink/pino" })`
 * loads the `./pino` entry point in a worker and awaits its default export with the
 * transport's `options`; what it resolves to receives pino's lines. That contract is
 * `pino-abstract-transport`'s, met here without it: the pino destination, plus the few events
 * pino's worker listens for (`close` ends the worker, `error` reaches the logger's thread).
 *
 * @module
 */

import { builtinModule } from "../runtime/runtime.ts";
import {
  createPinoDestination,
  type PinoDestination,
  type PinoPathOptions,
} from "./pino_destination.ts";

/**
 * Options of a pino transport: {@linkcode PinoPathOptions} that survive the copy into pino's
 * worker thread (no functions, so no `fs`, `clock` or `onError`: failures are reported with
 * one `console.warn` line in the worker, which pino forwards to the process's stderr).
 *
 * @example
 * ```ts
 * import type { PinoTransportOptions } from "@dispatch/journal-sink/pino";
 * const options: PinoTransportOptions = { path: "logs/app.jsonl", fsync: "always" };
 * if (options.path !== "logs/app.jsonl") throw new Error("unreachable");
 * ```
 */
export interface PinoTransportOptions extends Omit<PinoPathOptions, "fs" | "clock" | "onError"> {
  /**
   * Set by `pino.transport`: the logger will post its `messageKey` and custom levels to the
   * worker, so the stream waits for them (at most a second) before taking lines.
   */
  pinoWillSendConfig?: boolean;
}

/**
 * The stream a pino transport resolves to: a {@linkcode PinoDestination} that also emits
 * `finish` and `close` after `end()`, as pino's worker thread waits for.
 *
 * @example
 * ```ts
 * import pinoTransport, { type PinoTransportStream } from "@dispatch/journal-sink/pino";
 * const path = `${await Deno.makeTempDir()}/app.jsonl`;
 * const stream: PinoTransportStream = await pinoTransport({ path });
 * let closed = false;
 * stream.on("close", () => closed = true);
 * stream.end();
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * if (!closed) throw new Error("no close after end");
 * ```
 */
export interface PinoTransportStream extends PinoDestination {
  /**
   * Adds a listener (`close`, `finish`, `error`, `drain`…).
   *
   * @param event The event's name.
   * @param listener Called with the event's arguments.
   * @returns The stream.
   */
  on(event: string | symbol, listener: (...args: unknown[]) => void): this;
  /**
   * Adds a listener called at most once.
   *
   * @param event The event's name.
   * @param listener Called with the event's arguments.
   * @returns The stream.
   */
  once(event: string | symbol, listener: (...args: unknown[]) => void): this;
  /**
   * Removes a listener.
   *
   * @param event The event's name.
   * @param listener The listener given to `on` or `once`.
   * @returns The stream.
   */
  off(event: string | symbol, listener: (...args: unknown[]) => void): this;
  /**
   * Same as `off`.
   *
   * @param event The event's name.
   * @param listener The listener given to `on` or `once`.
   * @returns The stream.
   */
  removeListener(event: string | symbol, listener: (...args: unknown[]) => void): this;
  /**
   * Calls the event's listeners; a `message` carrying pino's `PINO_CONFIG` also configures the
   * destination.
   *
   * @param event The event's name.
   * @param args The event's arguments.
   * @returns Whether a listener or the destination took it.
   */
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/** The part of `node:worker_threads` read here. */
interface WorkerThreads {
  parentPort: {
    on(event: "message", listener: (message: unknown) => void): unknown;
    off(event: "message", listener: (message: unknown) => void): unknown;
  } | null;
}

/** The message pino posts to its transport's worker once the logger exists. */
interface PinoConfigMessage {
  code: "PINO_CONFIG";
  config: unknown;
}

function isPinoConfig(message: unknown): message is PinoConfigMessage {
  return (message as { code?: unknown } | null)?.code === "PINO_CONFIG";
}

/**
 * How long the worker waits for pino's config before taking lines without it. pino posts it
 * when the logger is made, normally in the same tick as `pino.transport()`, so it is there
 * long before the worker has started; it is late only when the logger is made after waiting
 * for the transport's `ready` (or never reaches the worker: `pino.multistream`).
 */
const PINO_CONFIG_WAIT_MS = 1000;

/**
 * In pino's worker, resolves once `apply` has had the logger's config message, or after
 * {@linkcode PINO_CONFIG_WAIT_MS} (a config that arrives later is still applied, to the lines
 * after it); elsewhere resolves at once.
 *
 * The wait has to come before the stream exists: pino's lines and its end travel through
 * shared memory that the worker reads before it handles a posted message, so a stream that
 * took lines first would write them before the config arrived.
 */
function pinoConfig(expected: boolean, apply: (message: PinoConfigMessage) => void) {
  let port: WorkerThreads["parentPort"] = null;
  try {
    if (expected) port = builtinModule<WorkerThreads>("node:worker_threads").parentPort;
  } catch {
    // A runtime without worker threads cannot be pino's worker.
  }
  if (port === null) return Promise.resolve();
  const parent = port;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, PINO_CONFIG_WAIT_MS);
    const listener = (message: unknown): void => {
      if (!isPinoConfig(message)) return;
      parent.off("message", listener);
      clearTimeout(timer);
      apply(message);
      resolve();
    };
    parent.on("message", listener);
  });
}

/**
 * The stream pino's transport worker writes into: the journal at `options.path`, written
 * the way {@linkcode createPinoDestination} writes it, with pino's `messageKey` and custom
 * levels taken from the logger: pino posts them to the worker when the logger is made, and
 * the stream waits for them (at most a second: make the logger before awaiting the
 * transport's `ready`, or lines before the config arrives are read with pino's defaults).
 *
 * @param options The journal (`path` and the journal's options) and `extensionId`, as given
 * to `pino.transport({ target, options })`.
 * @returns The stream, once pino's config has arrived.
 * @throws {TypeError} When `options.path` is missing, or an option is invalid.
 *
 * @example Called as pino's worker calls it
 * ```ts
 * import pinoTransport from "@dispatch/journal-sink/pino";
 * import { readJournal } from "@dispatch/journal-sink";
 * const path = `${await Deno.makeTempDir()}/app.jsonl`;
 * const stream = await pinoTransport({ path, extensionId: "api" });
 * stream.write('{"level":40,"time":1700000000000,"msg":"slow query"}\n');
 * stream.end();
 * const [record] = await Array.fromAsync(readJournal(path));
 * if (record?.kind !== "log" || record.level !== "warn") throw new Error("not written");
 * ```
 */
export async function pinoTransport(options: PinoTransportOptions): Promise<PinoTransportStream> {
  if (typeof options?.path !== "string") {
    throw new TypeError("pino transport needs options.path: the journal to write");
  }
  const { pinoWillSendConfig, ...journal } = options;
  const destination = createPinoDestination(journal);
  await pinoConfig(pinoWillSendConfig === true, (message) => {
    destination.emit("message", message);
  });

  const listeners = new Map<
    string | symbol,
    { listener: (...args: unknown[]) => void; once: boolean }[]
  >();
  const add = (event: string | symbol, listener: (...args: unknown[]) => void, once: boolean) => {
    listeners.set(event, [...listeners.get(event) ?? [], { listener, once }]);
    return stream;
  };
  const remove = (event: string | symbol, listener: (...args: unknown[]) => void) => {
    const kept = (listeners.get(event) ?? []).filter((entry) => entry.listener !== listener);
    listeners.set(event, kept);
    return stream;
  };
  const stream: PinoTransportStream = {
    write: (chunk) => destination.write(chunk),
    flush: (callback) => destination.flush(callback),
    flushSync: () => destination.flushSync(),
    end(): void {
      if (!destination.writable) return;
      destination.end();
      queueMicrotask(() => {
        stream.emit("finish");
        stream.emit("close");
      });
    },
    get writable(): boolean {
      return destination.writable;
    },
    sink: destination.sink,
    stats: destination.stats,
    on: (event, listener) => add(event, listener, false),
    once: (event, listener) => add(event, listener, true),
    off: remove,
    removeListener: remove,
    emit(event: string | symbol, ...args: unknown[]): boolean {
      const configured = destination.emit(event, args[0]);
      const current = listeners.get(event) ?? [];
      listeners.set(event, current.filter((entry) => !entry.once));
      for (const { listener } of current) listener(...args);
      return configured || current.length > 0;
    },
  };
  return stream;
}
