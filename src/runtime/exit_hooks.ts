/**
 * Flushes buffered sinks when the process ends, on every runtime: normal exit,
 * `process.exit()` / `Deno.exit()`, and the signals a host commonly forwards (SIGINT,
 * SIGTERM, SIGHUP). After flushing on a signal, the default action is restored and the
 * signal raised again when nobody else listens, so the process still dies as it would
 * have; a host with its own handler keeps control.
 *
 * @module
 */

import { currentProcess, type DenoLike, denoNamespace, type ProcessLike } from "./runtime.ts";

/** Something with buffered lines to write out before the process goes. */
export interface ExitFlushable {
  flushOnExit(): void;
}

type SignalName = "SIGINT" | "SIGTERM" | "SIGHUP";
const SIGNALS: readonly SignalName[] = ["SIGINT", "SIGTERM", "SIGHUP"];

const live = new Set<ExitFlushable>();
let uninstall: (() => void) | undefined;

function flushAll(): void {
  for (const sink of live) {
    try {
      sink.flushOnExit();
    } catch {
      // Exiting anyway; a sink reports its own failures.
    }
  }
}

function installDeno(deno: DenoLike): () => void {
  const onUnload = () => flushAll();
  globalThis.addEventListener("unload", onUnload);
  const signals = deno.build.os === "windows" ? ["SIGINT" as const] : SIGNALS;
  const handlers = signals.map((signal) => {
    const handler = () => {
      flushAll();
      deno.removeSignalListener(signal, handler);
      deno.kill(deno.pid, signal);
    };
    deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    globalThis.removeEventListener("unload", onUnload);
    for (const [signal, handler] of handlers) deno.removeSignalListener(signal, handler);
  };
}

function installNode(process: ProcessLike): () => void {
  const onExit = () => flushAll();
  process.on("exit", onExit);
  const signals = process.platform === "win32" ? ["SIGINT" as const] : SIGNALS;
  const handlers = signals.map((signal) => {
    const handler = () => {
      flushAll();
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    process.removeListener("exit", onExit);
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}

/**
 * Flush `sink` when the process ends, until the returned function is called. The hooks
 * are installed with the first sink and removed with the last, so a program without
 * buffered sinks has no signal handlers of ours.
 */
export function flushOnExit(sink: ExitFlushable): () => void {
  live.add(sink);
  if (!uninstall) {
    try {
      const deno = denoNamespace();
      const process = currentProcess();
      if (deno) uninstall = installDeno(deno);
      else if (process?.on) uninstall = installNode(process);
    } catch {
      // No hooks on this platform: flush() and close() remain the way to persist.
    }
  }
  return () => {
    live.delete(sink);
    if (live.size === 0 && uninstall) {
      uninstall();
      uninstall = undefined;
    }
  };
}
