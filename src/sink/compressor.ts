/**
 * Compressing rotated generations in the background: one at a time, in small chunks
 * between the host's own work, so `emit` never waits for it.
 *
 * Crash safety: the compressed bytes go to a temporary file that no reader takes for a
 * generation; only once they are synced is it renamed to `path.N.gz`, the directory synced,
 * and then the plain `path.N` removed. A crash at any point leaves the plain generation, or
 * the complete `.gz`, or both (readers then prefer the plain one); never neither.
 *
 * @module
 */

import { errorCode, type FsOps } from "../fs_ops.ts";
import { compressionTempPath, type Naming, rotatedPath } from "../naming.ts";

/** Bytes read from the plain generation per step: small, so each step is short. */
const CHUNK_BYTES = 64 * 1024;
/**
 * The longest the compressor works before letting timers and I/O run. Some runtimes
 * compress in microtasks, which would otherwise starve the host's event loop for the whole
 * file (measured: 100 MiB held Deno's loop for 330 ms, Bun's for 240 ms).
 */
const SLICE_MS = 4;

/** Lets the event loop run timers and I/O before the compressor goes on. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** One generation waiting for, or undergoing, compression. */
interface Job {
  /** Its current number: rotations shift it up while it waits or runs. */
  n: number;
  /** Set when the generation was removed (retention) before the job finished. */
  cancelled: boolean;
}

/** What the compressor needs from its sink. */
export interface CompressorOptions {
  /** The live journal's path. */
  path: string;
  /** How generations are named. */
  naming: Naming;
  /** The file system; needs `appendBytes`, and `readAt` or `readFile`. */
  fs: FsOps;
  /** Syncs the journal's directory, reporting its own failures. */
  syncDir(): void;
  /** Reports a failure (once per kind, as the sink's other failures). */
  report(operation: string, code: string, message: string, cause?: unknown): void;
  /** Called after a generation was compressed. */
  done?(n: number): void;
}

/**
 * Compresses rotated generations one after another, off the hot path. The sink tells it
 * about each rotation ({@linkcode Compressor.shift}) and removal
 * ({@linkcode Compressor.cancelFrom}), so a job always works on the name its generation has
 * now.
 */
export class Compressor {
  private options: CompressorOptions;
  private queue: Job[] = [];
  private current: Job | undefined = undefined;
  private running: Promise<void> | undefined = undefined;

  /**
   * @param options The journal, file system and reporting hooks.
   */
  constructor(options: CompressorOptions) {
    this.options = options;
  }

  /** Whether this runtime and `FsOps` can compress at all. */
  static supported(fs: FsOps): boolean {
    return typeof CompressionStream === "function" && typeof fs.appendBytes === "function" &&
      (typeof fs.readAt === "function" || typeof fs.readFile === "function");
  }

  /**
   * Queue generation `n` (plain on disk) for compression.
   *
   * @param n The generation number.
   */
  enqueue(n: number): void {
    if (this.current?.n === n || this.queue.some((job) => job.n === n)) return;
    this.queue.push({ n, cancelled: false });
    this.running ??= this.drain();
  }

  /**
   * A rotation shifted the generations below `below` up by one: follow it, and drop the
   * jobs whose generation the rotation removed (numbered above `maxFiles` now).
   *
   * @param maxFiles The generations kept.
   * @param below The first free number the rotation shifted into (all of them by default).
   */
  shift(maxFiles: number, below = Infinity): void {
    for (const job of this.jobs()) {
      if (job.n >= below) continue;
      job.n++;
      if (job.n > maxFiles) job.cancelled = true;
    }
    this.queue = this.queue.filter((job) => !job.cancelled);
  }

  /**
   * Generations from `n` up were removed: drop their jobs.
   *
   * @param n The lowest removed generation.
   */
  cancelFrom(n: number): void {
    for (const job of this.jobs()) if (job.n >= n) job.cancelled = true;
    this.queue = this.queue.filter((job) => !job.cancelled);
  }

  /**
   * Resolves once every queued generation has been compressed (or given up).
   *
   * @returns A promise that never rejects.
   */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private jobs(): Job[] {
    return this.current ? [this.current, ...this.queue] : [...this.queue];
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const job = this.queue.shift()!;
        this.current = job;
        await this.compress(job);
        this.current = undefined;
      }
    } finally {
      this.current = undefined;
      this.running = undefined;
    }
  }

  private read(job: Job, offset: number): Uint8Array {
    const { fs, path, naming } = this.options;
    const plain = rotatedPath(path, job.n, naming);
    if (fs.readAt) return fs.readAt(plain, offset, CHUNK_BYTES);
    return fs.readFile(plain).subarray(offset, offset + CHUNK_BYTES);
  }

  private async compress(job: Job): Promise<void> {
    const { fs, path, naming } = this.options;
    const temp = compressionTempPath(path);
    let handle: unknown = undefined;
    try {
      fs.remove(temp);
      handle = fs.open(temp);
      let offset = 0;
      let sliceStart = performance.now();
      const source = new ReadableStream<Uint8Array>({
        pull: async (controller) => {
          if (performance.now() - sliceStart >= SLICE_MS) {
            await yieldToEventLoop();
            sliceStart = performance.now();
          }
          if (job.cancelled) return controller.close();
          const chunk = this.read(job, offset);
          if (chunk.length === 0) return controller.close();
          offset += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const gzip = new CompressionStream("gzip") as unknown as TransformStream<
        Uint8Array,
        Uint8Array
      >;
      const reader = source.pipeThrough(gzip).getReader();
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!job.cancelled) fs.appendBytes!(handle, value);
      }
      if (job.cancelled) {
        fs.close(handle);
        handle = undefined;
        fs.remove(temp);
        return;
      }
      // No await from here on: the names below are the generation's names right now.
      fs.fsync(handle);
      fs.close(handle);
      handle = undefined;
      fs.rename(temp, rotatedPath(path, job.n, naming, true));
      // The .gz must be durably in place before the plain file may durably go.
      this.options.syncDir();
      fs.remove(rotatedPath(path, job.n, naming));
      this.options.syncDir();
      this.options.done?.(job.n);
    } catch (error) {
      this.options.report(
        "compress",
        errorCode(error),
        `compressing generation ${job.n} failed: it stays uncompressed`,
        error,
      );
      try {
        if (handle !== undefined) fs.close(handle);
      } catch {
        // The handle is gone already (the failure was about it).
      }
      try {
        fs.remove(temp);
      } catch {
        // Removed again before the next compression and at the next start.
      }
    }
  }
}
