// pino.transport({ target: "@dispatch/journal-sink/pino" }): pino loads the entry point in a
// worker thread and calls its default export. Real pino, real worker threads, a real journal.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import pinoTransport from "../pino.ts";
import type { LogEntry } from "../src/records.ts";
import { readJournal } from "../src/reader/read_journal.ts";

const TARGET = fileURLToPath(new URL("../pino.ts", import.meta.url));

async function entriesOf(path: string): Promise<LogEntry[]> {
  const records: LogEntry[] = [];
  for await (const record of readJournal(path)) records.push(record as LogEntry);
  return records;
}

function tempJournal(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "pino-transport-"));
  return { path: join(dir, "app.jsonl"), cleanup: () => rmSync(dir, { recursive: true }) };
}

/**
 * Ends pino's thread stream and waits until its worker has closed the journal. pino unrefs the
 * worker once it is ready; ref it again so the runtime waits for its exit (Deno would not).
 */
async function endTransport(transport: ReturnType<typeof pino.transport>): Promise<void> {
  const closed = once(transport, "close");
  if (!(transport as unknown as { ready?: boolean }).ready) await once(transport, "ready");
  (transport as unknown as { ref(): void }).ref();
  transport.end();
  await closed;
}

describe("pino.transport with the pino entry point as its target", () => {
  test("pino's lines reach the journal through the worker thread", async () => {
    const { path, cleanup } = tempJournal();
    try {
      const transport = pino.transport({ target: TARGET, options: { path, extensionId: "api" } });
      const logger = pino({ base: null }, transport);
      logger.child({ requestId: "r1" }).warn({ ms: 812 }, "slow query");
      logger.error(new Error("connection reset"));
      await endTransport(transport);
      const entries = await entriesOf(path);
      assert.deepEqual(entries.map((e) => [e.level, e.msg, e.extensionId]), [
        ["warn", "slow query", "api"],
        ["error", "connection reset", "api"],
      ]);
      assert.equal(entries[0].attributes?.requestId, "r1");
      assert.equal(entries[0].attributes?.ms, 812);
      assert.equal((entries[1].attributes?.err as { type: string }).type, "Error");
    } finally {
      cleanup();
    }
  });

  test("the logger's messageKey and custom levels reach the worker before its first line", async () => {
    const { path, cleanup } = tempJournal();
    try {
      const transport = pino.transport({ target: TARGET, options: { path } });
      const logger = pino(
        { base: null, messageKey: "message", customLevels: { audit: 35 } },
        transport,
      );
      logger.audit("user deleted");
      logger.info("plain");
      await endTransport(transport);
      const entries = await entriesOf(path);
      assert.deepEqual(entries.map((e) => [e.level, e.msg]), [["info", "user deleted"], [
        "info",
        "plain",
      ]]);
      assert.equal(entries[0].attributes?.pinoLevel, "audit");
      assert.equal(entries[0].attributes?.message, undefined, "the message is not an attribute");
    } finally {
      cleanup();
    }
  });

  test("a logger made only after the transport is ready still writes: the worker waits a while, not forever", async () => {
    const { path, cleanup } = tempJournal();
    try {
      const transport = pino.transport({ target: TARGET, options: { path } });
      await once(transport, "ready");
      const logger = pino({ base: null }, transport);
      logger.info("made after ready");
      await endTransport(transport);
      assert.deepEqual((await entriesOf(path)).map((e) => e.msg), ["made after ready"]);
    } finally {
      cleanup();
    }
  });

  test("as one of several targets, with a level of its own", async () => {
    const { path, cleanup } = tempJournal();
    const other = tempJournal();
    try {
      const transport = pino.transport({
        targets: [
          { target: TARGET, level: "warn", options: { path } },
          { target: TARGET, level: "info", options: { path: other.path } },
        ],
      });
      const logger = pino({ base: null }, transport);
      logger.info("routine");
      logger.error("broken");
      await endTransport(transport);
      assert.deepEqual((await entriesOf(path)).map((e) => e.msg), ["broken"]);
      assert.deepEqual((await entriesOf(other.path)).map((e) => e.msg), ["routine", "broken"]);
    } finally {
      cleanup();
      other.cleanup();
    }
  });
});

describe("the pino entry point's default export, called as pino's worker calls it", () => {
  test("resolves to a stream that writes, flushes, ends once and then emits close", async () => {
    const { path, cleanup } = tempJournal();
    try {
      const stream = await pinoTransport({ path, extensionId: "worker" });
      const events: string[] = [];
      stream.on("close", () => events.push("close"));
      stream.once("finish", () => events.push("finish"));
      assert.equal(stream.write('{"level":30,"time":1700000000000,"msg":"one"}\n'), true);
      let flushed = false;
      stream.flush((error) => flushed = error == null);
      assert.equal(flushed, true);
      stream.end();
      stream.end();
      await new Promise((resolve) => stream.once("close", resolve));
      assert.deepEqual(events, ["finish", "close"]);
      assert.equal(stream.writable, false);
      const entries = await entriesOf(path);
      assert.deepEqual(entries.map((e) => [e.msg, e.extensionId, e.timestamp]), [[
        "one",
        "worker",
        1700000000000,
      ]]);
    } finally {
      cleanup();
    }
  });

  test("outside a worker thread no config will come, so lines are not held back", async () => {
    const { path, cleanup } = tempJournal();
    try {
      const stream = await pinoTransport({ path, pinoWillSendConfig: true });
      stream.write('{"level":30,"msg":"now"}\n');
      assert.equal(stream.stats.lines, 1);
      stream.end();
      await new Promise((resolve) => stream.once("close", resolve));
    } finally {
      cleanup();
    }
  });

  test("rejects options without a path: the worker cannot be handed a sink", async () => {
    await assert.rejects(
      pinoTransport({} as unknown as { path: string }),
      /pino transport needs options\.path/,
    );
  });
});
