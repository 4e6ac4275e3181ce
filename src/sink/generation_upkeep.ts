/**
 * Looking after the rotated generations: retention (`maxFiles`, `maxAgeMs`), the
 * compression queue, and the leftovers of a crash, at start and after each rotation.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { CompleteFs } from "../complete_fs.ts";
import { errorCode } from "../fs_ops.ts";
import { findRotated, firstFreeGeneration } from "../generations.ts";
import { compressionTempPath, type Naming, rotatedPath } from "../naming.ts";
import { type GenerationAge, generationsToRemove } from "../retention.ts";
import { rotationSteps } from "../rotation.ts";
import { Compressor } from "./compressor.ts";
import type { ResolvedSinkOptions } from "./options.ts";
import type { SinkLedger } from "./sink_ledger.ts";

/** How far past `maxFiles` leftovers are looked for (an `FsOps` that finds every name ends). */
const PROBE_LIMIT = 1000;

export class GenerationUpkeep {
  private readonly path: string;
  private readonly naming: Naming;
  private readonly maxFiles: number;
  private readonly maxAgeMs: number | undefined;
  private readonly fs: CompleteFs;
  private readonly clock: Clock;
  private readonly ledger: SinkLedger;
  private readonly syncDir: () => void;
  private readonly compressor: Compressor | undefined;
  /** Rotation also shifts `.gz` generations (compression is on, or some exist). */
  private shiftGzip: boolean;
  /** The last shift moved the generations below this number (the others kept theirs). */
  private shifted = Infinity;

  /**
   * @param options The sink's options.
   * @param ledger Counts and reports failures.
   * @param syncDir Makes the directory's renames and removes durable.
   */
  constructor(options: ResolvedSinkOptions, ledger: SinkLedger, syncDir: () => void) {
    this.path = options.path;
    this.naming = options.naming;
    this.maxFiles = options.maxFiles;
    this.maxAgeMs = options.maxAgeMs;
    this.fs = options.fs;
    this.clock = options.clock;
    this.ledger = ledger;
    this.syncDir = syncDir;
    this.compressor = options.compress ? this.createCompressor() : undefined;
    this.shiftGzip = this.compressor !== undefined;
  }

  /**
   * Shifts the generations up by one: the live file becomes generation 1 and, when every
   * kept number is taken, the oldest goes. Only the generations below the first free number
   * move (a probe each, not one per `maxFiles`). A missing rotated generation is skipped;
   * any other failure stops the shift and is returned (the live file then stays in place).
   *
   * @returns The failure, or `undefined` when every step succeeded.
   */
  shift(): unknown {
    let firstFree;
    try {
      firstFree = firstFreeGeneration(this.path, this.fs, this.naming, this.maxFiles);
    } catch (error) {
      return error ?? new Error("cannot look for the rotated generations");
    }
    this.shifted = firstFree;
    const steps = rotationSteps(this.path, this.maxFiles, {
      naming: this.naming,
      gzip: this.shiftGzip,
      firstFree,
    });
    for (const step of steps) {
      try {
        if (step.op === "remove") this.fs.remove(step.path);
        else this.fs.rename(step.from, step.to);
      } catch (error) {
        if (step.op === "rename" && step.from !== this.path && this.missing(step.from, error)) {
          continue;
        }
        // Only the live file stayed put: the rotated generations were shifted already.
        if (step.op === "rename" && step.from === this.path) {
          this.compressor?.shift(this.maxFiles, firstFree);
        }
        return error ?? new Error("rotation step failed");
      }
    }
    return undefined;
  }

  /**
   * Whether a rename failed because its generation is not there (a `.gz` twin that never
   * was): `ENOENT`, and the file is indeed gone. An `ENOENT` for a file that is there is a
   * real failure, and going on would rename the live file over a generation.
   */
  private missing(path: string, error: unknown): boolean {
    if (errorCode(error) !== "ENOENT") return false;
    try {
      return !this.fs.exists(path);
    } catch {
      return false;
    }
  }

  /** A rotation shifted the generations (and opened a new live file). */
  rotated(): void {
    if (this.maxFiles > 0 && this.compressor) {
      this.compressor.shift(this.maxFiles, this.shifted);
      this.compressor.enqueue(1);
    }
    if (this.maxAgeMs !== undefined) this.maintain(false);
  }

  /** Resolves once the compression queue is empty. */
  idle(): Promise<void> {
    return this.compressor?.idle() ?? Promise.resolve();
  }

  /**
   * Retention and leftovers: removes the generations beyond `maxFiles` or older than
   * `maxAgeMs`; at start also queues plain generations for compression and removes a
   * compression's temporary file that a crash left behind.
   */
  maintain(atStart: boolean): void {
    const { path, naming, fs } = this;
    try {
      const found = findRotated(path, fs, [naming], this.maxFiles + PROBE_LIMIT);
      const present: GenerationAge[] = found.map(({ n, mtimeMs }) => ({ n, mtimeMs }));
      const plain = found.filter((file) => !file.gzip).map((file) => file.n);
      if (found.some((file) => file.gzip)) this.shiftGzip = true;
      const policy = { maxFiles: this.maxFiles, maxAgeMs: this.maxAgeMs };
      const doomed = generationsToRemove(present, policy, this.clock.now());
      for (const n of doomed) {
        fs.remove(rotatedPath(path, n, naming, true));
        fs.remove(rotatedPath(path, n, naming));
      }
      if (doomed.length > 0) {
        this.compressor?.cancelFrom(doomed[0]);
        this.syncDir();
      }
      if (atStart && this.compressor) {
        fs.remove(compressionTempPath(path));
        for (const n of plain) if (!doomed.includes(n)) this.compressor.enqueue(n);
      }
      this.ledger.recovered("retention");
    } catch (error) {
      this.ledger.errors++;
      this.ledger.report("retention", errorCode(error), "removing old generations failed", error);
    }
  }

  private createCompressor(): Compressor | undefined {
    if (!Compressor.supported(this.fs)) {
      this.ledger.report(
        "compress",
        "ENOTSUP",
        "compression needs CompressionStream and FsOps.appendBytes: generations stay plain",
      );
      return undefined;
    }
    return new Compressor({
      path: this.path,
      naming: this.naming,
      fs: this.fs,
      syncDir: () => this.syncDir(),
      report: (operation, code, message, cause) => {
        this.ledger.errors++;
        this.ledger.report(operation, code, message, cause);
      },
    });
  }
}
