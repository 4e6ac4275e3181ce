/**
 * Worker threads, the same way on the three runtimes: `node:worker_threads` on Node, the
 * web `Worker` on Deno and Bun (both run a `.ts` module URL as a worker).
 *
 * @module
 */

import { builtinModule, runtimeName } from "./runtime.ts";

/** A worker thread, from the thread that started it. */
export interface WorkerThread {
  /** Sends `message` to the worker (structured clone), moving the `transfer` buffers. */
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /** Stops the worker at once. */
  terminate(): void;
}

/** What the starting thread hears from its worker. */
export interface WorkerHandlers {
  /** A message the worker posted. */
  message(message: unknown): void;
  /** The worker failed: its module did not load, or it threw. */
  error(error: Error): void;
}

/** The members of `node:worker_threads`' Worker used here. */
interface NodeWorker {
  on(event: "message", handler: (message: unknown) => void): void;
  on(event: "error", handler: (error: Error) => void): void;
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  terminate(): unknown;
}

/** The members of a web Worker used here. */
interface WebWorker {
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: { message?: string; error?: unknown; preventDefault(): void }) => void) | null;
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  terminate(): void;
}

/**
 * Starts the module at `url` in a worker thread.
 *
 * @param url The worker's module.
 * @param handlers Its messages and its failure.
 * @returns The worker; throws when this runtime cannot start one.
 *
 * @example
 * ```ts ignore
 * import { startWorker } from "./worker.ts";
 * const worker = startWorker(new URL("./my_worker.ts", import.meta.url), {
 *   message: (m) => console.log(m),
 *   error: (e) => console.error(e),
 * });
 * worker.post({ start: true });
 * ```
 */
export function startWorker(url: URL, handlers: WorkerHandlers): WorkerThread {
  if (runtimeName === "node") {
    const { Worker } = builtinModule<{ Worker: new (url: URL) => NodeWorker }>(
      "node:worker_threads",
    );
    const worker = new Worker(url);
    worker.on("message", handlers.message);
    worker.on("error", handlers.error);
    return {
      post: (message, transfer) => worker.postMessage(message, transfer),
      terminate: () => worker.terminate(),
    };
  }
  const Web = (globalThis as { Worker?: new (url: string, options: object) => WebWorker })
    .Worker;
  if (Web === undefined) throw new Error("journal-sink: this runtime has no Worker");
  const worker = new Web(url.href, { type: "module" });
  worker.onmessage = (event) => handlers.message(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    const error = event.error instanceof Error
      ? event.error
      : new Error(event.message ?? "worker failed");
    handlers.error(error);
  };
  return {
    post: (message, transfer) => worker.postMessage(message, transfer ?? []),
    terminate: () => worker.terminate(),
  };
}

/** A worker's channel to the thread that started it. */
export interface ParentChannel {
  /** Sends `message` (structured clone), moving the `transfer` buffers rather than copying. */
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /** Calls `handler` with each message from the starting thread. */
  listen(handler: (message: unknown) => void): void;
}

/**
 * Inside a worker started by {@linkcode startWorker}: the channel to its starter.
 *
 * @returns The channel.
 */
export function parentChannel(): ParentChannel {
  if (runtimeName === "node") {
    const { parentPort } = builtinModule<{
      parentPort: {
        postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
        on(event: "message", handler: (message: unknown) => void): void;
      } | null;
    }>("node:worker_threads");
    if (parentPort === null) throw new Error("journal-sink: not in a worker");
    return {
      post: (message, transfer) => parentPort.postMessage(message, transfer),
      listen: (handler) => parentPort.on("message", handler),
    };
  }
  const scope = globalThis as unknown as {
    postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
    onmessage: ((event: { data: unknown }) => void) | null;
  };
  return {
    post: (message, transfer) => scope.postMessage(message, transfer ?? []),
    listen: (handler) => {
      scope.onmessage = (event) => handler(event.data);
    },
  };
}
