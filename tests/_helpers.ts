// Shared by the tests: record factories, an error collector and a movable clock.
import type { Clock, LogEntry } from "../mod.ts";

export function logEntry(msg: string, extra: Partial<LogEntry> = {}): LogEntry {
  return {
    kind: "log",
    level: "info",
    msg,
    timestamp: 1_700_000_000_000,
    extensionId: "test",
    ...extra,
  };
}

export interface Collected {
  errors: { error: unknown; record?: unknown }[];
  onError: (error: unknown, record?: unknown) => void;
  codes(): string[];
}

export function collectErrors(): Collected {
  const errors: { error: unknown; record?: unknown }[] = [];
  return {
    errors,
    onError: (error, record) => void errors.push({ error, record }),
    codes: () => errors.map(({ error }) => (error as { code?: string }).code ?? "?"),
  };
}

export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function manualClock(start = 1_000_000): ManualClock {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

/** The journal's lines, each parsed; throws if any line is not valid JSON. */
export function parseLines(text: string): Record<string, unknown>[] {
  if (text === "") return [];
  if (!text.endsWith("\n")) {
    throw new Error(`journal does not end in a newline: ${JSON.stringify(text.slice(-40))}`);
  }
  return text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
}
