// A read position is the promise "these bytes are in the store". It must hold however long the
// collector was away: a `collect --once` run a week after the last one reads only what is new.
// Positions are forgotten only when their file has left the journal (retention removed it) a day ago.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";

function append(path: string, from: number, to: number, maxBytes = 50 * 1024 * 1024): void {
  const sink = createJournalSink({ path, maxBytes, maxFiles: 2 });
  for (let i = from; i < to; i++) {
    sink.emit({
      kind: "log",
      level: "info",
      msg: `r${i}`,
      timestamp: i,
      extensionId: "t",
      attributes: { text: "x".repeat(200) },
    });
  }
  sink.close();
}

for (const worker of [false, true]) {
  test(`a collect run a week after the last reads only the new records ${worker ? "(worker)" : "(one thread)"}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "collect-week-"));
    const journal = join(dir, "j.jsonl");
    const store = await openTraceStore(join(dir, "s.db"));
    try {
      append(journal, 0, 100);
      assert.equal((await collectJournal(journal, { db: store, once: true, worker })).records, 100);
      // A week passes: every position was last seen long ago.
      const weekAgo = Date.now() - 7 * 24 * 60 * 60 * 1000;
      store.db.exec(`UPDATE positions SET seen_ms = ${weekAgo}`);
      append(journal, 100, 150);
      assert.equal((await collectJournal(journal, { db: store, once: true, worker })).records, 50);
      const rows = Number(store.db.prepare("SELECT count(*) AS n FROM logs").get()?.n);
      assert.equal(rows, 150, "each record stored once");
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("the position of a generation retention removed is forgotten once it has been missing a day", async () => {
  const dir = mkdtempSync(join(tmpdir(), "collect-gone-"));
  const journal = join(dir, "j.jsonl");
  const store = await openTraceStore(join(dir, "s.db"));
  try {
    // Small files: a few rotations, maxFiles 2, so the first generations are removed.
    append(journal, 0, 40, 4096);
    await collectJournal(journal, { db: store, once: true });
    append(journal, 40, 200, 4096);
    await collectJournal(journal, { db: store, once: true });
    // A day later the removed generations are still missing: their positions go.
    const dayAgo = Date.now() - 25 * 60 * 60 * 1000;
    store.db.exec(`UPDATE positions SET seen_ms = ${dayAgo}`);
    append(journal, 200, 210, 4096);
    await collectJournal(journal, { db: store, once: true });
    const files = Number(
      store.db.prepare("SELECT count(*) AS n FROM positions").get()?.n,
    );
    assert.ok(files <= 3, `positions kept only for the live file and its 2 generations: ${files}`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
