// flush() promises that everything emitted so far survives power loss, whatever the
// fsync policy: the file's data, and the directory entries a create or a rotation made.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createJournalSink, type FsOps, type FsyncPolicy, type LogRecord } from "../mod.ts";
import { createFakeFs, type FakeFs } from "../testing.ts";
import { readJournal } from "../src/reader/read_journal.ts";

function log(i: number): LogRecord {
  return { kind: "log", level: "info", msg: `record ${i}`, timestamp: i, extensionId: "t" };
}

async function messages(fs: ReturnType<typeof createFakeFs>, path: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const record of readJournal(path, { fs })) out.push((record as { msg?: unknown }).msg);
  return out;
}

const POLICIES: FsyncPolicy[] = ["none", "periodic", "always"];

/** An FsOps of the first contract: the required methods and syncDir, no optional probes. */
function minimal(fs: FakeFs): FsOps<number> {
  const { open, append, fsync, close, rename, remove, size, readFile, syncDir } = fs;
  return { open, append, fsync, close, rename, remove, size, readFile, syncDir };
}

const SETUPS = [
  { name: "the fake fs", ops: (fs: FakeFs): FsOps<number> => fs },
  { name: "an FsOps without optional methods", ops: minimal },
];

describe("flush makes a new journal durable", () => {
  for (const fsync of POLICIES) {
    for (const setup of SETUPS) {
      test(`under "${fsync}" on ${setup.name}, a journal created, written and flushed survives a crash`, async () => {
        const fs = createFakeFs();
        const sink = createJournalSink({ path: "app.jsonl", fs: setup.ops(fs), fsync });
        for (let i = 0; i < 5; i++) sink.emit(log(i));
        sink.flush();
        fs.crash();
        assert.ok(fs.exists("app.jsonl"), "the journal file is gone");
        assert.deepEqual(
          await messages(fs, "app.jsonl"),
          [0, 1, 2, 3, 4].map((i) => `record ${i}`),
        );
      });

      test(`under "${fsync}" on ${setup.name}, records flushed after rotations survive a crash`, async () => {
        const fs = createFakeFs();
        const size = JSON.stringify(log(0)).length + 1;
        const sink = createJournalSink({
          path: "app.jsonl",
          fs: setup.ops(fs),
          fsync,
          maxBytes: size * 3,
          maxFiles: 5,
        });
        for (let i = 0; i < 10; i++) sink.emit(log(i));
        assert.ok(sink.stats.rotations >= 3);
        sink.flush();
        fs.crash();
        assert.deepEqual(
          await messages(fs, "app.jsonl"),
          Array.from({ length: 10 }, (_, i) => `record ${i}`),
        );
      });
    }
  }
});

test('under "always" on an FsOps without optional methods, every rotation survives a crash', async () => {
  const fs = createFakeFs();
  const size = JSON.stringify(log(0)).length + 1;
  const sink = createJournalSink({
    path: "app.jsonl",
    fs: minimal(fs),
    fsync: "always",
    maxBytes: size * 2,
    maxFiles: 5,
  });
  for (let i = 0; i < 6; i++) sink.emit(log(i));
  assert.equal(sink.stats.rotations, 2);
  fs.crash();
  assert.deepEqual(
    await messages(fs, "app.jsonl"),
    Array.from({ length: 6 }, (_, i) => `record ${i}`),
  );
});
