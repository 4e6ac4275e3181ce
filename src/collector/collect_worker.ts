/**
 * The collector's worker: reads the journal and plans each batch (parsing, row values,
 * JSON text, trace ids), then hands the SQLite thread the plan as one string and three
 * transferred arrays. At most
 * {@linkcode AHEAD} batches wait for their commit.
 *
 * Protocol, in order: the starter posts a {@linkcode WorkerStart}; the worker posts
 * `{ type: "pass" }` as each pass starts, a {@linkcode WorkerBatch} per batch, and
 * `{ type: "done" }` (or `{ type: "failed" }`); the starter posts a {@linkcode WorkerAck}
 * after committing each batch, and terminates the worker when it has what it wants.
 *
 * @module
 */

import { defaultFsOps } from "../adapters/default.ts";
import { type FilePosition, matchPosition } from "../reader/file_identity.ts";
import { parentChannel } from "../runtime/worker.ts";
import { BatchPlanner } from "./batch_planner.ts";
import { type EncodedPlan, encodePlan, transferablesOf } from "./row_plan.ts";
import { tailLoop } from "../reader/tail_loop.ts";

/**
 * Batches planned but not yet committed, at most: 8 MiB of journal at the default batch size,
 * enough that the SQLite thread rarely waits while the worker reads a slower stretch (a gzip
 * generation; measured against 2: bench/RESULTS.md, collector).
 */
const AHEAD = 8;

/** What the collector tells its worker to do. */
export interface WorkerStart {
  type: "start";
  /** The live journal's path. */
  path: string;
  /** Its files' positions, as committed. */
  positions: FilePosition[];
  /** Every position the store has (any journal), most recently seen first: see `movedFrom`. */
  known: FilePosition[];
  chunkSize: number;
  pollMs: number;
  once: boolean;
}

/** A planned batch, from the worker. */
export interface WorkerBatch {
  type: "batch";
  plan: EncodedPlan;
  positions: FilePosition[];
  records: number;
  skipped: number;
}

/** A batch committed: its plan's arrays come back to be written again. */
export interface WorkerAck {
  type: "ack";
  /** The buffers of the batch's encoded plan (`transferablesOf`), transferred back. */
  buffers: ArrayBuffer[];
}

const channel = parentChannel();
let credits = AHEAD;
let wake: (() => void) | undefined;
/** Buffers of committed plans, to encode the next ones into. */
const spare: ArrayBuffer[][] = [];

async function run(start: WorkerStart): Promise<void> {
  const planner = new BatchPlanner();
  for await (
    const batch of tailLoop(start.path, start.positions, {
      fs: defaultFsOps(),
      chunkSize: start.chunkSize,
      pollMs: start.pollMs,
      once: start.once,
      movedFrom: (head) => matchPosition(start.known, head),
      onPass: () => channel.post({ type: "pass" }),
    })
  ) {
    while (credits === 0) await new Promise<void>((resolve) => wake = resolve);
    credits--;
    const plan = encodePlan(planner.plan(batch.records), spare.pop());
    const message: WorkerBatch = {
      type: "batch",
      plan,
      positions: batch.positions,
      records: batch.records.length,
      skipped: batch.skipped,
    };
    channel.post(message, transferablesOf(plan));
  }
  channel.post({ type: "done" });
}

channel.listen((message) => {
  const { type } = message as { type: string };
  if (type === "ack") {
    spare.push((message as WorkerAck).buffers);
    credits++;
    wake?.();
    wake = undefined;
  } else if (type === "start") {
    run(message as WorkerStart).catch((error: { name?: string; message?: string; code?: string }) =>
      channel.post({
        type: "failed",
        name: error?.name,
        message: error?.message ?? String(error),
        code: error?.code,
      })
    );
  }
});
