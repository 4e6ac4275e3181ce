// The collector's rows and its read positions are one transaction: a failure between
// them rolls back both, so a restarted collector neither loses nor doubles a record.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createJournalSink } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";

test("a failure while writing positions rolls back the rows, and a restart ingests each record once", async () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "app.jsonl", fs });
  for (let i = 0; i < 5; i++) {
    sink.emit({ kind: "log", level: "info", msg: `record ${i}`, timestamp: i, extensionId: "t" });
  }
  sink.close();
  const store = await openTraceStore(":memory:");
  try {
    // The rows go in first, then the positions: make the positions fail.
    store.db.exec(
      "CREATE TRIGGER fail_positions BEFORE INSERT ON positions BEGIN SELECT RAISE(ABORT, 'injected'); END",
    );
    await assert.rejects(collectJournal("app.jsonl", { db: store, once: true, fs }), /injected/);
    const count = () => Number(store.db.prepare("SELECT count(*) AS n FROM logs").get()?.n);
    assert.equal(count(), 0, "rows of the failed batch stayed");
    store.db.exec("DROP TRIGGER fail_positions");
    const stats = await collectJournal("app.jsonl", { db: store, once: true, fs });
    assert.equal(stats.records, 5);
    assert.equal(count(), 5);
    await collectJournal("app.jsonl", { db: store, once: true, fs });
    assert.equal(count(), 5, "a second restart ingests nothing again");
  } finally {
    store.close();
  }
});
