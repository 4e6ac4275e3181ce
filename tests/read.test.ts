import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, defaultFsOps, type FsOps, type LogRecord } from "../mod.ts";
import { createFakeFs, type FakeFs } from "../testing.ts";
import { readJournal } from "../src/reader/read_journal.ts";
import { JournalNotFoundError } from "../src/reader/journal_not_found_error.ts";
import type { JournalRecord } from "../src/reader/journal_record.ts";
import { LineSplitter } from "../src/reader/line_splitter.ts";
import { journalGenerations } from "../src/generations.ts";

function write(fs: FakeFs, path: string, text: string): void {
  const handle = fs.open(path);
  fs.append(handle, text);
  fs.close(handle);
}

function log(msg: string, extra: Record<string, unknown> = {}): LogRecord {
  return {
    kind: "log",
    level: "info",
    msg,
    timestamp: 1_000,
    extensionId: "test",
    ...extra,
  } as LogRecord;
}

function line(record: unknown): string {
  return JSON.stringify(record) + "\n";
}

async function collect(
  reader: AsyncIterable<JournalRecord>,
): Promise<JournalRecord[]> {
  const records: JournalRecord[] = [];
  for await (const record of reader) records.push(record);
  return records;
}

function msgOf(record: JournalRecord | undefined): unknown {
  return (record as { msg?: unknown } | undefined)?.msg;
}

function msgs(records: JournalRecord[]): unknown[] {
  return records.map((record) => msgOf(record) ?? record.kind);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "journal-sink-read-"));
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("readJournal", () => {
  test("yields the records of every generation, oldest first", async () => {
    const fs = createFakeFs();
    const size = line(log("record 0")).length;
    const sink = createJournalSink({
      path: "j",
      fs,
      maxBytes: size * 2,
      maxFiles: 5,
      fsync: "none",
    });
    for (let i = 0; i < 9; i++) sink.emit(log(`record ${i}`));
    sink.close();
    assert.deepEqual(fs.paths(), ["j", "j.1", "j.2", "j.3", "j.4"]);
    const reader = readJournal("j", { fs });
    const records = await collect(reader);
    assert.deepEqual(msgs(records), Array.from({ length: 9 }, (_, i) => `record ${i}`));
    assert.deepEqual(reader.stats.files, ["j.4", "j.3", "j.2", "j.1", "j"]);
    assert.equal(reader.stats.records, 9);
    assert.equal(reader.stats.skipped, 0);
  });

  test("a torn last line is skipped and counted as torn", async () => {
    const fs = createFakeFs();
    write(fs, "j", line(log("kept")) + '{"kind":"log","level":"in');
    const reader = readJournal("j", { fs });
    assert.deepEqual(msgs(await collect(reader)), ["kept"]);
    assert.equal(reader.stats.torn, 1);
    assert.equal(reader.stats.skipped, 1);
    assert.equal(reader.stats.invalid, 0);
  });

  test("an unterminated last line that is a whole record is kept", async () => {
    const fs = createFakeFs();
    write(fs, "j", line(log("one")) + JSON.stringify(log("two")));
    const reader = readJournal("j", { fs });
    assert.deepEqual(msgs(await collect(reader)), ["one", "two"]);
    assert.equal(reader.stats.skipped, 0);
  });

  test("a run of NUL bytes is cut out and the records on both sides survive", async () => {
    const fs = createFakeFs();
    const text = line(log("before")) + '{"kind":"log","ms' + "\0".repeat(300) +
      line(log("glued after the zeros")) + "\0".repeat(40) + "\n" + line(log("after"));
    write(fs, "j", text);
    const reader = readJournal("j", { fs, chunkSize: 64 });
    assert.deepEqual(msgs(await collect(reader)), ["before", "glued after the zeros", "after"]);
    assert.equal(reader.stats.nulRuns, 2);
    assert.equal(reader.stats.invalid, 1, "the line cut by the zeros");
    assert.equal(reader.stats.skipped, 3);
  });

  test("a file that ends in NUL bytes reads its records and counts the run", async () => {
    const fs = createFakeFs();
    write(fs, "j", line(log("only")) + "\0".repeat(4096));
    const reader = readJournal("j", { fs, chunkSize: 1000 });
    assert.deepEqual(msgs(await collect(reader)), ["only"]);
    assert.equal(reader.stats.nulRuns, 1);
    assert.equal(reader.stats.torn, 0);
  });

  test("invalid lines and JSON that is not a record are skipped and counted", async () => {
    const fs = createFakeFs();
    write(
      fs,
      "j",
      ["not json", "42", "[1,2]", "null", '{"no":"kind"}', '{"kind":7}', "", "   "].join("\n") +
        "\n" + line(log("valid")),
    );
    const reader = readJournal("j", { fs });
    assert.deepEqual(msgs(await collect(reader)), ["valid"]);
    assert.equal(reader.stats.invalid, 6, "blank lines are not counted");
    assert.equal(reader.stats.skipped, 6);
  });

  test("records of an unknown kind pass through unchanged", async () => {
    const fs = createFakeFs();
    const metric = { kind: "metric", name: "tokens", value: 12, timestamp: 5 };
    write(fs, "j", line(metric) + line(log("after")));
    const records = await collect(readJournal("j", { fs }));
    assert.deepEqual(records[0], metric);
    assert.equal(records.length, 2);
  });

  test("filters by kind, level, time range, conversation, turn and extension", async () => {
    const fs = createFakeFs();
    const records = [
      log("debug", { level: "debug", timestamp: 10 }),
      log("warn", { level: "warn", timestamp: 20, conversationId: "c1", turnId: "t1" }),
      log("error", { level: "error", timestamp: 30, conversationId: "c2", extensionId: "x" }),
      { kind: "span-open", spanId: "s", name: "span", timestamp: 25, extensionId: "test" },
      log("fatal", { level: "fatal", timestamp: 40 }),
    ];
    write(fs, "j", records.map(line).join(""));
    const read = async (filter: Parameters<typeof readJournal>[1]) =>
      msgs(await collect(readJournal("j", { fs, ...filter })));
    assert.deepEqual(await read({ kinds: ["span-open"] }), ["span-open"]);
    assert.deepEqual(await read({ minLevel: "warn" }), ["warn", "error", "span-open", "fatal"]);
    assert.deepEqual(await read({ kinds: ["log"], minLevel: "error" }), ["error", "fatal"]);
    assert.deepEqual(await read({ since: 20, until: 30 }), ["warn", "span-open"]);
    assert.deepEqual(await read({ since: new Date(30) }), ["error", "fatal"]);
    assert.deepEqual(await read({ conversationId: "c1" }), ["warn"]);
    assert.deepEqual(await read({ turnId: "t1", conversationId: "c2" }), []);
    assert.deepEqual(await read({ extensionId: "x" }), ["error"]);
    const reader = readJournal("j", { fs, kinds: ["log"], minLevel: "warn" });
    await collect(reader);
    assert.equal(reader.stats.filtered, 2);
    assert.equal(reader.stats.records, 3);
  });

  test("an unknown minimum level is rejected", async () => {
    const fs = createFakeFs();
    write(fs, "j", line(log("x")));
    // deno-lint-ignore no-explicit-any
    await assert.rejects(collect(readJournal("j", { fs, minLevel: "loud" as any })), TypeError);
  });

  test("a journal with no file at all rejects with JournalNotFoundError, code ENOENT", async () => {
    const fs = createFakeFs();
    await assert.rejects(collect(readJournal("nowhere.jsonl", { fs })), (error: unknown) => {
      assert.ok(error instanceof JournalNotFoundError);
      assert.equal(error.code, "ENOENT");
      assert.equal(error.path, "nowhere.jsonl");
      assert.match(error.message, /nowhere\.jsonl/);
      return true;
    });
  });

  test("a missing live file with rotated generations reads the generations", async () => {
    const fs = createFakeFs();
    write(fs, "j.1", line(log("rotated")));
    assert.deepEqual(msgs(await collect(readJournal("j", { fs }))), ["rotated"]);
  });

  test("an empty journal yields nothing and is not an error", async () => {
    const fs = createFakeFs();
    write(fs, "j", "");
    const reader = readJournal("j", { fs });
    assert.deepEqual(await collect(reader), []);
    assert.deepEqual(reader.stats.files, ["j"]);
  });

  test("any chunk size gives the same records, multi-byte text and long lines included", async () => {
    const fs = createFakeFs();
    const records = [
      log("héllo wörld ✓ 日本語 🎉"),
      log("long", { body: "ü".repeat(500) }),
      { kind: "span-open", spanId: "s", name: "𝄞", timestamp: 1, extensionId: "e" },
    ];
    write(fs, "j", records.map(line).join("") + "\0\0" + line(log("end")));
    const expected = await collect(readJournal("j", { fs }));
    assert.equal(expected.length, 4);
    for (let chunkSize = 1; chunkSize <= 40; chunkSize++) {
      const reader = readJournal("j", { fs, chunkSize });
      assert.deepEqual(await collect(reader), expected, `chunkSize ${chunkSize}`);
      assert.equal(reader.stats.nulRuns, 1, `chunkSize ${chunkSize}`);
    }
  });

  test("reads in chunks through readAt and never loads a whole file", async () => {
    const fs = createFakeFs();
    write(fs, "j", Array.from({ length: 200 }, (_, i) => line(log(`r${i}`))).join(""));
    const reader = readJournal("j", { fs, chunkSize: 512 });
    assert.equal((await collect(reader)).length, 200);
    assert.equal(fs.calls.readFile ?? 0, 0);
    assert.ok(fs.calls.readAt > fs.size("j") / 512);
  });

  test("an FsOps without readAt or exists falls back to readFile", async () => {
    const fake = createFakeFs();
    write(fake, "j.1", line(log("old")));
    write(fake, "j", line(log("new")));
    const { readAt: _readAt, exists: _exists, ...rest } = fake;
    const fs: FsOps = rest;
    const reader = readJournal("j", { fs, chunkSize: 4 });
    assert.deepEqual(msgs(await collect(reader)), ["old", "new"]);
    assert.deepEqual(reader.stats.files, ["j.1", "j"]);
  });

  test("the stats are the iteration's return value", async () => {
    const fs = createFakeFs();
    write(fs, "j", line(log("a")) + "junk\n");
    const reader = readJournal("j", { fs });
    let result = await reader.next();
    while (!result.done) result = await reader.next();
    assert.equal(result.value, reader.stats);
    assert.equal(result.value.invalid, 1);
  });

  test("file-system errors other than a missing file are thrown", async () => {
    const fs = createFakeFs();
    write(fs, "j", line(log("a")));
    fs.fail("readAt", "EIO");
    await assert.rejects(collect(readJournal("j", { fs })), { code: "EIO" });
  });
});

describe("readJournal on disk", () => {
  test("gzip generations are decompressed in order with the plain ones", async () => {
    const dir = tempDir();
    try {
      const path = join(dir, "app.jsonl");
      writeFileSync(`${path}.3.gz`, await gzip(line(log("oldest")) + line(log("older"))));
      writeFileSync(`${path}.2.gz`, await gzip(line(log("middle"))));
      writeFileSync(`${path}.1`, line(log("newer")));
      writeFileSync(path, line(log("live")));
      const reader = readJournal(path, { fs: defaultFsOps(), chunkSize: 16 });
      assert.deepEqual(msgs(await collect(reader)), ["oldest", "older", "middle", "newer", "live"]);
      assert.deepEqual(reader.stats.files.map((file) => file.slice(dir.length + 1)), [
        "app.jsonl.3.gz",
        "app.jsonl.2.gz",
        "app.jsonl.1",
        "app.jsonl",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a truncated gzip generation yields what decompressed and counts a torn tail", async () => {
    const dir = tempDir();
    try {
      const path = join(dir, "app.jsonl");
      const many = Array.from({ length: 2000 }, (_, i) => line(log(`r${i} ${Math.random()}`)));
      const compressed = await gzip(many.join(""));
      writeFileSync(`${path}.1.gz`, compressed.subarray(0, Math.floor(compressed.length / 2)));
      writeFileSync(path, line(log("live")));
      const reader = readJournal(path, { chunkSize: 4096 });
      const records = await collect(reader);
      assert.equal(reader.stats.torn, 1);
      assert.equal(msgOf(records.at(-1)), "live");
      assert.ok(records.length > 1, "records before the damage are kept");
      for (let i = 0; i < records.length - 1; i++) {
        assert.match(String(msgOf(records[i])), new RegExp(`^r${i} `));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the default file system is the running runtime's", async () => {
    const dir = tempDir();
    try {
      const path = join(dir, "app.jsonl");
      const sink = createJournalSink({ path, fsync: "always" });
      sink.emit(log("written by the sink"));
      sink.close();
      assert.deepEqual(msgs(await collect(readJournal(path))), ["written by the sink"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("readJournal with follow", () => {
  test("yields records appended later and across rotations until aborted", async () => {
    const fs = createFakeFs();
    const size = line(log("record 00")).length;
    const sink = createJournalSink({
      path: "j",
      fs,
      maxBytes: size * 3,
      maxFiles: 3,
      fsync: "none",
    });
    sink.emit(log("record 00"));
    const controller = new AbortController();
    const reader = readJournal("j", { fs, follow: true, pollMs: 1, signal: controller.signal });
    const seen: unknown[] = [];
    let next = 1;
    for await (const record of reader) {
      seen.push(msgOf(record));
      if (next > 11) {
        controller.abort();
        continue;
      }
      // Write the next record (every third one rotates) once this one is seen.
      sink.emit(log(`record ${String(next++).padStart(2, "0")}`));
    }
    sink.close();
    assert.deepEqual(
      seen,
      Array.from({ length: 12 }, (_, i) => `record ${String(i).padStart(2, "0")}`),
    );
    assert.ok(reader.stats.rotationsFollowed >= 2, `${reader.stats.rotationsFollowed} rotations`);
    assert.equal(reader.stats.skipped, 0);
  });

  test("an unterminated last line is awaited, not counted as torn", async () => {
    const fs = createFakeFs();
    const whole = line(log("split across two writes"));
    write(fs, "j", whole.slice(0, 20));
    const controller = new AbortController();
    const reader = readJournal("j", { fs, follow: true, pollMs: 1, signal: controller.signal });
    const first = reader.next();
    write(fs, "j", whole.slice(20));
    const result = await first;
    assert.equal(result.done, false);
    assert.equal(msgOf(result.value as JournalRecord), "split across two writes");
    controller.abort();
    assert.equal((await reader.next()).done, true);
    assert.equal(reader.stats.torn, 0);
  });
});

describe("LineSplitter", () => {
  test("reports lines and NUL runs, and hands back the unterminated rest", () => {
    const events: string[] = [];
    const splitter = new LineSplitter({
      line: (text) => events.push(`line:${text}`),
      nulRun: () => events.push("nul"),
    });
    const encode = (text: string) => new TextEncoder().encode(text);
    splitter.push(encode("a\nb"));
    splitter.push(encode("c\n\0\0d\ne"));
    assert.equal(splitter.pendingBytes, 1);
    assert.equal(splitter.end(), "e");
    assert.deepEqual(events, ["line:a", "line:bc", "line:", "nul", "line:d"]);
  });
});

describe("journalGenerations", () => {
  test("bridges a small hole in the numbering left by a crash mid-rotation", () => {
    const fs = createFakeFs();
    for (const path of ["j", "j.1", "j.4", "j.9"]) write(fs, path, "");
    assert.deepEqual(journalGenerations("j", fs).map((g) => g.path), ["j.4", "j.1", "j"]);
  });

  test("prefers the plain file when both it and its .gz exist", () => {
    const fs = createFakeFs();
    for (const path of ["j", "j.1", "j.1.gz"]) write(fs, path, "");
    assert.deepEqual(journalGenerations("j", fs), [
      { path: "j.1", n: 1, gzip: false },
      { path: "j", n: 0, gzip: false },
    ]);
  });
});

describe("readJournal with follow, writer ahead", () => {
  test("a file rotated several times between two reads is followed to its new name", async () => {
    const fs = createFakeFs();
    const size = line(log("record 00")).length;
    const sink = createJournalSink({
      path: "j",
      fs,
      maxBytes: size * 2,
      maxFiles: 9,
      fsync: "none",
    });
    sink.emit(log("record 00"));
    sink.emit(log("record 01"));
    const controller = new AbortController();
    const reader = readJournal("j", { fs, follow: true, pollMs: 1, signal: controller.signal });
    const seen: unknown[] = [];
    for await (const record of reader) {
      seen.push(msgOf(record));
      if (seen.length === 1) {
        // While the reader sits on record 00, three rotations move its file to j.3.
        for (let i = 2; i < 8; i++) sink.emit(log(`record ${String(i).padStart(2, "0")}`));
      }
      if (seen.length === 8) controller.abort();
    }
    sink.close();
    assert.deepEqual(
      seen,
      Array.from({ length: 8 }, (_, i) => `record ${String(i).padStart(2, "0")}`),
    );
  });
});

test("a generation compressed while it is being read is finished from its .gz twin", async () => {
  const fs = createFakeFs();
  const lines = Array.from(
    { length: 50 },
    (_, i) =>
      JSON.stringify({
        kind: "log",
        level: "info",
        msg: `old ${i}`,
        timestamp: i,
        extensionId: "x",
      }) +
      "\n",
  ).join("");
  let handle = fs.open("j.1");
  fs.append(handle, lines);
  fs.close(handle);
  handle = fs.open("j");
  fs.append(
    handle,
    JSON.stringify({ kind: "log", level: "info", msg: "live", timestamp: 99, extensionId: "x" }) +
      "\n",
  );
  fs.close(handle);
  const gz = new Uint8Array(
    await new Response(
      new Blob([lines]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  // After the reader's first chunk of j.1, the compressor swaps it for j.1.gz.
  let reads = 0;
  const racing: typeof fs = {
    ...fs,
    readAt(path, offset, length) {
      const chunk = fs.readAt(path, offset, length);
      if (path === "j.1" && offset > 0 && ++reads === 1) {
        const out = fs.open("j.1.gz");
        fs.appendBytes!(out, gz);
        fs.close(out);
        fs.remove("j.1");
      }
      return chunk;
    },
  };
  const msgs: unknown[] = [];
  for await (const record of readJournal("j", { fs: racing, chunkSize: 200 })) {
    msgs.push((record as { msg?: unknown }).msg);
  }
  assert.deepEqual(msgs, [...Array.from({ length: 50 }, (_, i) => `old ${i}`), "live"]);
});

describe("readJournal with follow, both naming schemes", () => {
  for (const naming of ["suffix", "before-ext"] as const) {
    test(`a follower sees every record of a ${naming} journal written in bursts`, async () => {
      const fs = createFakeFs();
      const sink = createJournalSink({
        path: "logs/app.jsonl",
        fs,
        maxBytes: 4096,
        maxFiles: 100,
        naming,
        fsync: "none",
      });
      const controller = new AbortController();
      const reader = readJournal("logs/app.jsonl", {
        fs,
        follow: true,
        pollMs: 1,
        signal: controller.signal,
      });
      const seen: unknown[] = [];
      const reading = (async () => {
        for await (const record of reader) {
          seen.push(msgOf(record));
          if (seen.length === 1200) controller.abort();
        }
      })();
      for (let burst = 0; burst < 12; burst++) {
        for (let i = 0; i < 100; i++) sink.emit(log(`r${burst * 100 + i}`));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const deadline = setTimeout(() => controller.abort(), 2000);
      await reading;
      clearTimeout(deadline);
      sink.close();
      assert.equal(sink.stats.rotations > 5, true);
      assert.equal(seen.length, 1200);
      assert.deepEqual(seen, Array.from({ length: 1200 }, (_, i) => `r${i}`));
    });
  }
});

describe("readJournal at the end of a rotated generation", () => {
  test("a torn last line of a rotated file is not glued onto the newer file's first record", async () => {
    const fs = createFakeFs();
    write(fs, "j.1", line(log("old")) + '{"kind":"log","lev');
    write(fs, "j", line(log("new")));
    const reader = readJournal("j", { fs });
    const msgs = (await collect(reader)).map(msgOf);
    assert.deepEqual(msgs, ["old", "new"]);
    assert.equal(reader.stats.torn, 1);
  });

  test("a whole record without its newline ends a rotated file on its own", async () => {
    const fs = createFakeFs();
    write(fs, "j.2", line(log("oldest")).trimEnd());
    write(fs, "j.1", line(log("older")));
    write(fs, "j", line(log("live")));
    const reader = readJournal("j", { fs });
    assert.deepEqual((await collect(reader)).map(msgOf), ["oldest", "older", "live"]);
    assert.equal(reader.stats.skipped, 0);
  });
});

describe("the traceId filter", () => {
  test("keeps the records of one trace, matching any case, and drops records without one", async () => {
    const id = "5b8efff798038103d269b633813fc60c";
    const fs = createFakeFs();
    const sink = createJournalSink({ path: "t.jsonl", fs });
    const entry = (msg: string, traceId?: string) => ({
      kind: "log" as const,
      level: "info" as const,
      msg,
      timestamp: 1,
      extensionId: "h",
      ...(traceId === undefined ? {} : { traceId }),
    });
    sink.emit(entry("mine", id));
    sink.emit(entry("other", "0af7651916cd43dd8448eb211c80319c"));
    sink.emit(entry("none"));
    sink.close();
    const kept: string[] = [];
    for await (const record of readJournal("t.jsonl", { fs, traceId: id.toUpperCase() })) {
      kept.push((record as { msg: string }).msg);
    }
    assert.deepEqual(kept, ["mine"]);
  });
});
