// A store that cannot grow (disk full, or SQLite's max_page_count): the collector fails with
// SQLite's own "database or disk is full", not with the failed ROLLBACK after it (on a full
// disk SQLite rolls the transaction back itself: "cannot rollback - no transaction is
// active"), and its read position stays where the last commit left it, so the next run
// stores every record once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";

function append(path: string, from: number, to: number): void {
  const sink = createJournalSink({ path });
  for (let i = from; i < to; i++) {
    sink.emit({
      kind: "log",
      level: "info",
      msg: `r${i}`,
      timestamp: i,
      extensionId: "t",
      attributes: { text: "x".repeat(1000) },
    });
  }
  sink.close();
}

const logs = (store: TraceStore) =>
  Number(store.db.prepare("SELECT count(*) AS n FROM logs").get()?.n);

for (const worker of [false, true]) {
  test(`a full store ${worker ? "(worker)" : "(one thread)"} fails with "database or disk is full" and keeps its position`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "collect-full-"));
    const journal = join(dir, "j.jsonl");
    const store = await openTraceStore(join(dir, "s.db"));
    try {
      append(journal, 0, 10);
      assert.equal((await collectJournal(journal, { db: store, once: true, worker })).records, 10);
      const before = store.positions(journal);
      // No page more: the next batch's rows cannot be written.
      const pages = Number(store.db.prepare("PRAGMA page_count").get()?.page_count);
      store.db.exec(`PRAGMA max_page_count = ${pages}`);
      append(journal, 10, 2000);
      await assert.rejects(
        collectJournal(journal, { db: store, once: true, worker }),
        (error: Error) => {
          assert.match(error.message, /database or disk is full/);
          return true;
        },
      );
      assert.deepEqual(store.positions(journal), before, "the position did not advance");
      assert.equal(logs(store), 10, "no row of the failed batch");
      // Room again: the next run stores the rest, each record once.
      store.db.exec("PRAGMA max_page_count = 1073741823");
      assert.equal(
        (await collectJournal(journal, { db: store, once: true, worker })).records,
        1990,
      );
      assert.equal(logs(store), 2000);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const worker of [false, true]) {
  test(`an error after which SQLite rolled back the transaction itself is the error reported ${worker ? "(worker)" : "(one thread)"}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "collect-full-"));
    const journal = join(dir, "j.jsonl");
    const store = await openTraceStore(join(dir, "s.db"));
    try {
      append(journal, 0, 10);
      await collectJournal(journal, { db: store, once: true, worker });
      const before = store.positions(journal);
      // What a full disk does to a transaction: SQLite ends it before the error reaches us.
      store.db.exec(`CREATE TRIGGER full BEFORE INSERT ON logs WHEN NEW.msg = 'r15'
        BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full (injected)'); END`);
      append(journal, 10, 20);
      await assert.rejects(
        collectJournal(journal, { db: store, once: true, worker }),
        (error: Error) => {
          assert.equal(error.message.includes("cannot rollback"), false, error.message);
          assert.match(error.message, /database or disk is full \(injected\)/);
          return true;
        },
      );
      assert.deepEqual(store.positions(journal), before, "the position did not advance");
      assert.equal(logs(store), 10, "no row of the failed batch");
      store.db.exec("DROP TRIGGER full");
      assert.equal((await collectJournal(journal, { db: store, once: true, worker })).records, 10);
      assert.equal(logs(store), 20);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
