/**
 * Waits `ms`, or less if `signal` aborts first: the pause between polls of a follower
 * (reader, collector, exporter) that must stop at once when asked.
 *
 * @param ms How long to wait.
 * @param signal Ends the wait early when aborted.
 * @returns Resolves (never rejects) when the time is up or the signal aborted.
 */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
