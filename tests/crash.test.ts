import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { readJournal } from "../src/reader/read_journal.ts";
import type { JournalRecord } from "../src/reader/journal_record.ts";
import { reconstructTraces, type TraceSpan } from "../src/traces/traces.ts";

const WRITER = fileURLToPath(new URL("./fixtures/crash_writer.ts", import.meta.url));

/** Runs the writer with this test's runtime, kills it with SIGKILL once it has reported
 * `records` records, and resolves to the sequence numbers it reported. */
function runAndKill(
  path: string,
  records: number,
): Promise<{ reported: number[]; signal: string | null }> {
  const args = "Deno" in globalThis ? ["run", "-A", WRITER, path] : [WRITER, path];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  let killed = false;
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (data: string) => {
      text += data;
      if (!killed && text.length > records * 6) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      // Only whole lines were reported; a cut last line was not.
      const lines = text.split("\n").slice(0, -1);
      resolve({ reported: lines.map(Number), signal });
    });
  });
}

function seqOf(record: JournalRecord): number {
  return (record as { attributes?: { seq?: number } }).attributes?.seq ?? -1;
}

function allSpans(roots: TraceSpan[]): TraceSpan[] {
  return roots.flatMap((span) => [span, ...allSpans(span.children)]);
}

describe("a writer killed with SIGKILL mid-work", () => {
  test("every record it reported is in the journal and its open spans read as open", async () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-sink-crash-"));
    try {
      const path = join(dir, "crash.jsonl");
      const { reported, signal } = await runAndKill(path, 3000);
      assert.equal(signal, "SIGKILL", "the writer was killed, it did not finish");
      assert.ok(reported.length >= 3000, `only ${reported.length} records reported`);

      const reader = readJournal(path);
      const records: JournalRecord[] = [];
      for await (const record of reader) records.push(record);
      assert.ok(reader.stats.files.length > 1, "the journal rotated at least once");

      const inJournal = new Set(records.map(seqOf));
      const missing = reported.filter((seq) => !inJournal.has(seq));
      assert.deepEqual(missing, [], "reported records missing from the journal");
      const seqs = records.map(seqOf);
      assert.deepEqual(seqs, seqs.toSorted((a, b) => a - b), "records read back in order");
      assert.equal(reader.stats.invalid, 0);

      const forest = reconstructTraces(records);
      assert.equal(forest.roots.length, 1);
      const [session] = forest.roots;
      assert.equal(session.spanId, "session");
      assert.equal(session.status, "open");
      const closed = new Set(
        records.filter((record) => record.kind === "span-close").map((record) => record.spanId),
      );
      for (const span of allSpans(forest.roots)) {
        assert.equal(span.status, closed.has(span.spanId) ? "ok" : "open", span.spanId);
        assert.deepEqual(span.anomalies, [], span.spanId);
      }
      // The turn that was running when the writer died is open, unless the kill fell
      // exactly between one turn's close and the next turn's open.
      const lastTurn = session.children.at(-1);
      assert.ok(lastTurn);
      const last = records.at(-1);
      const diedBetweenTurns = last?.kind === "span-close" && last.spanId === lastTurn.spanId;
      if (!diedBetweenTurns) assert.equal(lastTurn.status, "open");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("power loss on the fake file system", () => {
  test('with fsync "always" every emitted record survives and the open spans read as open', async () => {
    const fs = createFakeFs();
    const sink = createJournalSink({
      path: "logs/j.jsonl",
      fs,
      fsync: "always",
      maxBytes: 600,
      maxFiles: 50,
    });
    const base = { extensionId: "host", timestamp: 1 };
    const emitted: LogRecord[] = [
      { kind: "span-open", spanId: "turn", name: "turn", ...base },
      { kind: "span-open", spanId: "done", parentSpanId: "turn", name: "step", ...base },
      {
        kind: "span-close",
        spanId: "done",
        parentSpanId: "turn",
        name: "step",
        durationMs: 0,
        status: "ok",
        ...base,
      },
      { kind: "span-open", spanId: "tool", parentSpanId: "turn", name: "tool", ...base },
    ];
    for (let i = 0; i < 20; i++) {
      emitted.push({ kind: "log", level: "info", msg: `log ${i}`, spanId: "tool", ...base });
    }
    for (const record of emitted) sink.emit(record);
    assert.equal(sink.stats.written, emitted.length);
    fs.crash();

    const reader = readJournal("logs/j.jsonl", { fs });
    const records: JournalRecord[] = [];
    for await (const record of reader) records.push(record);
    assert.deepEqual(records, emitted);
    assert.ok(reader.stats.files.length > 1, "rotations survived the power loss");
    const forest = reconstructTraces(records);
    assert.deepEqual(forest.open.map((span) => span.spanId), ["turn", "tool"]);
    assert.equal(forest.roots[0].children.find((span) => span.spanId === "tool")?.logs.length, 20);
  });

  test('with fsync "none" what survives still reads without damage counted as records', async () => {
    const fs = createFakeFs();
    fs.close(fs.open("j.jsonl"));
    fs.syncDir("."); // the file itself exists durably; only its contents are at stake
    const sink = createJournalSink({ path: "j.jsonl", fs, fsync: "none" });
    sink.emit({ kind: "log", level: "info", msg: "synced", timestamp: 1, extensionId: "host" });
    sink.flush();
    sink.emit({ kind: "log", level: "info", msg: "lost", timestamp: 2, extensionId: "host" });
    fs.crash();
    const reader = readJournal("j.jsonl", { fs });
    const msgs: unknown[] = [];
    for await (const record of reader) msgs.push((record as { msg?: unknown }).msg);
    assert.deepEqual(msgs, ["synced"]);
    assert.equal(reader.stats.skipped, 0);
  });
});
