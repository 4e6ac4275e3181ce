/**
 * Every probe of the running runtime, in one place (Deno std keeps its own in one
 * `_utils.ts`): which runtime this is, the Deno namespace and the `process` object, the
 * built-in modules reached through `process.getBuiltinModule` (the file system, SQLite,
 * workers: what differs per runtime or must not load until used), and timers that do not
 * keep the process alive. The rest of `src/` asks this module and never looks at
 * `globalThis`. A static `node:` import is left only where all three runtimes provide the
 * same module and its user needs it at load: `node:async_hooks` (the span context),
 * `node:http` (the local server), `node:zlib` and `node:crypto` (the viewer's assets).
 *
 * @module
 */

/** The runtimes journal-sink runs on. */
export type RuntimeName = "deno" | "bun" | "node";

/** The members of Node's `process` that journal-sink uses (Deno 2 and Bun provide it too). */
export interface ProcessLike {
  platform?: string;
  pid: number;
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: ProcessStream;
  stderr: ProcessStream;
  exitCode?: number | string;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
  getBuiltinModule?(id: string): unknown;
}

/** A standard stream of {@linkcode ProcessLike}. */
export interface ProcessStream {
  write(text: string): boolean;
  isTTY?: boolean;
  once?(event: string, listener: (...args: unknown[]) => void): unknown;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The members of the `Deno` namespace that journal-sink uses outside its Deno adapter. */
export interface DenoLike {
  build: { os: string };
  pid: number;
  addSignalListener(signal: string, handler: () => void): void;
  removeSignalListener(signal: string, handler: () => void): void;
  kill(pid: number, signal: string): void;
  unrefTimer(id: number): void;
  env: { toObject(): Record<string, string> };
}

const scope = globalThis as { Deno?: unknown; Bun?: unknown; process?: ProcessLike };

/** Which runtime this is: Deno, then Bun (which also has `process`), else Node. */
export const runtimeName: RuntimeName = scope.Deno !== undefined
  ? "deno"
  : scope.Bun !== undefined
  ? "bun"
  : "node";

/**
 * The `Deno` namespace, typed as `T` (the Deno adapter asks for `typeof Deno`).
 *
 * @returns It, or `undefined` on other runtimes.
 */
export function denoNamespace<T = DenoLike>(): T | undefined {
  return scope.Deno as T | undefined;
}

/**
 * The global `process` object (Deno 2, Node and Bun all have one).
 *
 * @returns It, or `undefined` where there is none.
 */
export function currentProcess(): ProcessLike | undefined {
  return scope.process;
}

/**
 * The process's environment variables. On Deno without `--allow-env` it is empty, so a
 * setting read from the environment falls back to its default instead of throwing.
 *
 * @returns Name → value.
 */
export function environment(): Record<string, string | undefined> {
  const deno = denoNamespace();
  if (deno !== undefined) {
    try {
      return deno.env.toObject();
    } catch {
      return {};
    }
  }
  return scope.process?.env ?? {};
}

/**
 * A built-in module (`node:fs`, `node:sqlite`, `bun:sqlite`…) through
 * `process.getBuiltinModule`, loaded only when asked for.
 *
 * @param id The module's specifier.
 * @returns The module; throws when the runtime has no such module.
 */
export function builtinModule<T>(id: string): T {
  const load = scope.process?.getBuiltinModule;
  const module = load?.call(scope.process, id);
  if (module === undefined) throw new Error(`journal-sink: this runtime has no ${id}`);
  return module as T;
}

/**
 * Whether the platform is Windows (where a directory cannot be fsynced).
 *
 * @returns True on Windows.
 */
export function isWindows(): boolean {
  if (runtimeName === "deno") return denoNamespace()?.build.os === "windows";
  return scope.process?.platform === "win32";
}

/**
 * `setTimeout` whose timer does not keep the process alive: background housekeeping
 * (fsync, batch, rotation timers) never should.
 *
 * @param callback Run when the time is up.
 * @param ms The delay.
 * @returns The timer, for `clearTimeout`.
 */
export function backgroundTimeout(callback: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(callback, ms);
  if (typeof timer === "object" && timer !== null && "unref" in timer) {
    (timer as { unref(): void }).unref();
  } else if (typeof timer === "number") {
    denoNamespace()?.unrefTimer(timer);
  }
  return timer;
}

/**
 * This process as a lock file records it: its pid and its host's name, so another process can
 * tell whether the holder of a lock still runs ({@linkcode processGone}).
 *
 * @returns The pid (0 where there is no `process`) and the host name ("" where unknown).
 *
 * @example
 * ```ts
 * import { processIdentity } from "./runtime.ts";
 * if (processIdentity().pid <= 0) throw new Error("a pid");
 * ```
 */
export function processIdentity(): { pid: number; host: string } {
  let host = "";
  try {
    host = builtinModule<{ hostname(): string }>("node:os").hostname();
  } catch {
    // No os module (or no permission): a lock from here is then never judged gone.
  }
  return { pid: scope.process?.pid ?? 0, host };
}

/**
 * Whether the process `pid` of `host` has certainly ended: only a pid gone from this very host
 * says so. A holder on another host, one of an unknown host, or one that cannot be signalled
 * is taken as alive.
 *
 * @param pid The holder's pid.
 * @param host The holder's host name.
 * @returns True when the holder no longer runs.
 *
 * @example
 * ```ts
 * import { processGone, processIdentity } from "./runtime.ts";
 * const me = processIdentity();
 * if (processGone(me.pid, me.host)) throw new Error("this process runs");
 * if (processGone(me.pid, "another-host")) throw new Error("another host is taken at its word");
 * ```
 */
export function processGone(pid: number, host: string): boolean {
  const me = processIdentity();
  if (host === "" || host !== me.host || !(pid > 0) || scope.process === undefined) return false;
  if (pid === me.pid) return false;
  try {
    scope.process.kill(pid, 0 as unknown as string);
    return false;
  } catch (error) {
    return (error as { code?: unknown })?.code === "ESRCH";
  }
}
