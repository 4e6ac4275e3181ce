/**
 * The collector's side of its worker ({@link ./collect_worker.ts}): start it, and take its
 * planned batches one at a time, acknowledging each once committed.
 *
 * @module
 */

import type { FilePosition } from "../reader/file_identity.ts";
import { startWorker, type WorkerThread } from "../runtime/worker.ts";
import type { WorkerAck, WorkerBatch, WorkerStart } from "./collect_worker.ts";
import { decodePlan, type RowPlan, transferablesOf } from "./row_plan.ts";

/** A batch the worker read and planned. */
export interface PlannedBatch {
  /** Its row operations. */
  plan: RowPlan;
  /** Every known file position after it. */
  positions: FilePosition[];
  /** Records read. */
  records: number;
  /** Damaged lines skipped. */
  skipped: number;
}

type Message =
  | WorkerBatch
  | { type: "pass" }
  | { type: "done" }
  | { type: "failed"; name?: string; message: string; code?: string };

/**
 * Starts a worker that reads and plans the journal, and waits until it runs.
 *
 * @param start What to read, from where.
 * @param signal Stops waiting for more (following).
 * @param onPass Called as each of the worker's passes starts.
 * @param url The worker's module (another one in tests).
 * @returns Its batches, in order; each is acknowledged when the next is asked for, so
 *   commit it before. `undefined` when no worker could start here (its module did not
 *   load, or the runtime has none): then plan on this thread.
 */
export async function startPlanningWorker(
  start: Omit<WorkerStart, "type">,
  signal: AbortSignal | undefined,
  onPass: () => void,
  url: URL = new URL("./collect_worker.ts", import.meta.url),
): Promise<AsyncGenerator<PlannedBatch> | undefined> {
  const queue: Message[] = [];
  let failure: Error | undefined;
  let notify: (() => void) | undefined;
  const wakeUp = () => {
    notify?.();
    notify = undefined;
  };
  let worker: WorkerThread;
  try {
    worker = startWorker(url, {
      message: (message) => {
        queue.push(message as Message);
        wakeUp();
      },
      error: (error) => {
        failure = error;
        wakeUp();
      },
    });
  } catch {
    return undefined;
  }
  signal?.addEventListener("abort", wakeUp, { once: true });
  const stop = () => {
    worker.terminate();
    signal?.removeEventListener("abort", wakeUp);
  };
  /** The next message; `undefined` once the worker failed or `signal` stopped the wait. */
  const next = async (): Promise<Message | undefined> => {
    while (queue.length === 0 && failure === undefined && !signal?.aborted) {
      await new Promise<void>((resolve) => notify = resolve);
    }
    return queue.shift();
  };
  worker.post({ type: "start", ...start } satisfies WorkerStart);
  // The worker posts as soon as it runs: a failure before then means it never did.
  const first = await next();
  if (first === undefined) {
    stop();
    return failure === undefined ? (async function* () {})() : undefined;
  }
  queue.unshift(first);
  return (async function* () {
    try {
      for (let message = await next(); message !== undefined; message = await next()) {
        if (message.type === "pass") onPass();
        else if (message.type === "batch") {
          yield {
            plan: decodePlan(message.plan),
            positions: message.positions,
            records: message.records,
            skipped: message.skipped,
          };
          const buffers = transferablesOf(message.plan);
          worker.post({ type: "ack", buffers } satisfies WorkerAck, buffers);
        } else if (message.type === "done") return;
        else {
          const error = new Error(message.message) as Error & { code?: string };
          if (message.name !== undefined) error.name = message.name;
          if (message.code !== undefined) error.code = message.code;
          throw error;
        }
      }
      if (failure !== undefined) throw failure;
    } finally {
      stop();
    }
  })();
}
