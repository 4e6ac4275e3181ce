// File descriptors on the real file system, counted in /proc/self/fd: 1000 sinks opened
// and closed leak none, a sink held open through a long run with rotations holds exactly
// one, and failure paths (unopenable path, failed appends) hold none extra.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, defaultFsOps, type FsOps } from "../mod.ts";
import { numbered } from "./fixtures/reliability_shared.ts";

const canCount = existsSync("/proc/self/fd");
const skip = canCount ? false : "needs /proc/self/fd to count open file descriptors";

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "journal-sink-fd-"));
}

test("1000 sinks opened, written, rotated and closed leak no file descriptor", { skip }, () => {
  const dir = tempDir();
  try {
    const base = openFds();
    for (let k = 0; k < 1000; k++) {
      const sink = createJournalSink({
        path: join(dir, `j${k % 10}.jsonl`),
        fsync: k % 2 ? "always" : "periodic",
        maxBytes: 400,
        maxFiles: 2,
      });
      sink.emit(numbered(k, 100));
      sink.emit(numbered(k, 100));
      sink.close();
    }
    assert.equal(openFds(), base);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "a sink held open through a long run with rotations holds exactly one descriptor",
  { skip },
  () => {
    const dir = tempDir();
    try {
      const base = openFds();
      const sink = createJournalSink({
        path: join(dir, "j.jsonl"),
        fsync: "periodic",
        maxBytes: 16 * 1024,
        maxFiles: 3,
      });
      for (let i = 0; i < 5000; i++) {
        sink.emit(numbered(i, 50));
        if (i % 500 === 0) assert.equal(openFds(), base + 1, `after ${i} records`);
      }
      assert.ok(sink.stats.rotations > 10);
      sink.close();
      assert.equal(openFds(), base);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test("failure paths hold no extra descriptor: unopenable path, failed appends", { skip }, () => {
  const dir = tempDir();
  try {
    const base = openFds();
    const blocker = join(dir, "blocker");
    writeFileSync(blocker, "a file where a directory should be");
    const unopenable = createJournalSink({ path: join(blocker, "j.jsonl"), onError: () => {} });
    for (let i = 0; i < 1000; i++) unopenable.emit(numbered(i));
    assert.equal(unopenable.stats.dropped, 1000);
    assert.equal(openFds(), base, "no descriptor while the path cannot be opened");
    unopenable.close();

    // Every other append fails after the real file was opened: each failure releases the
    // handle and the next emit reopens it.
    const real = defaultFsOps() as FsOps<unknown>;
    let appends = 0;
    const flaky: FsOps<unknown> = {
      ...real,
      append(handle, text) {
        if (appends++ % 2) throw Object.assign(new Error("injected"), { code: "EIO" });
        return real.append(handle, text);
      },
    };
    const sink = createJournalSink({ path: join(dir, "j.jsonl"), fs: flaky, onError: () => {} });
    for (let i = 0; i < 1000; i++) sink.emit(numbered(i));
    assert.equal(sink.stats.dropped, 500);
    assert.ok(openFds() <= base + 1, "at most the journal's own descriptor");
    sink.close();
    assert.equal(openFds(), base);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
