import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunFs, createJournalSink, defaultFsOps, denoFs, type FsOps, nodeFs } from "../mod.ts";
import { writeAll } from "../src/adapters/write_all.ts";
import { collectErrors, logEntry, parseLines } from "./_helpers.ts";

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** The adapters this runtime can run: node:fs works on all three, the others only at home. */
const adapters: [string, FsOps][] = [["nodeFs", nodeFs as FsOps]];
if (runtime === "deno") adapters.push(["denoFs", denoFs as FsOps]);
if (runtime === "bun") adapters.push(["bunFs", bunFs as FsOps]);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "journal-sink-"));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test(`defaultFsOps picks the ${runtime} adapter on ${runtime}`, () => {
  const expected = runtime === "deno" ? denoFs : runtime === "bun" ? bunFs : nodeFs;
  assert.equal(defaultFsOps(), expected);
});

for (const [name, fs] of adapters) {
  test(`${name} appends without truncating and reports exact UTF-8 bytes`, () => {
    const dir = tempDir();
    try {
      const path = join(dir, "a.jsonl");
      let handle = fs.open(path);
      assert.equal(fs.append(handle, "ascii\n"), 6);
      fs.close(handle);
      handle = fs.open(path);
      assert.equal(fs.append(handle, "é€😀\ud800\n"), 2 + 3 + 4 + 3 + 1);
      fs.fsync(handle);
      fs.close(handle);
      assert.equal(fs.size(path), 6 + 13);
      assert.equal(text(fs.readFile(path)), "ascii\né€😀\ufffd\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${name} writes a 4 MiB line whole in one append`, () => {
    const dir = tempDir();
    try {
      const path = join(dir, "big");
      const handle = fs.open(path);
      const line = "é".repeat(2 * 1024 * 1024) + "\n";
      assert.equal(fs.append(handle, line), 4 * 1024 * 1024 + 1);
      fs.close(handle);
      assert.equal(fs.size(path), 4 * 1024 * 1024 + 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${name} renames, removes, sizes and reads slices as the contract says`, () => {
    const dir = tempDir();
    try {
      const path = join(dir, "a");
      const handle = fs.open(path);
      fs.append(handle, "0123456789");
      fs.close(handle);
      assert.equal(text(fs.readAt!(path, 2, 3)), "234");
      assert.equal(fs.readAt!(path, 8, 100).length, 2);
      assert.equal(fs.readAt!(path, 50, 10).length, 0);
      fs.rename(path, path + ".1");
      assert.equal(fs.exists!(path), false);
      assert.equal(fs.size(path), 0, "a missing file has size 0");
      assert.equal(codeOf(() => fs.readFile(path)), "ENOENT");
      assert.equal(codeOf(() => fs.rename(path, path + ".2")), "ENOENT");
      fs.remove(path);
      fs.remove(path + ".1");
      assert.equal(fs.exists!(path + ".1"), false);
      fs.mkdir!(join(dir, "x", "y"));
      fs.mkdir!(join(dir, "x", "y"));
      fs.syncDir!(join(dir, "x"));
      assert.equal(codeOf(() => fs.syncDir!(join(dir, "missing"))), "ENOENT");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${name} carries a code on its errors so the sink can report them`, () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, "file"), "");
      assert.equal(codeOf(() => fs.open(join(dir, "file", "below"))), "ENOTDIR");
      assert.equal(codeOf(() => fs.open(join(dir, "none", "below"))), "ENOENT");
      assert.equal(codeOf(() => fs.open(dir)), "EISDIR");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`a sink on ${name} rotates real files and keeps every record`, () => {
    const dir = tempDir();
    try {
      const path = join(dir, "logs", "j.jsonl");
      const sink = createJournalSink({ path, fs, maxBytes: 1000, maxFiles: 20, fsync: "always" });
      for (let i = 0; i < 100; i++) {
        sink.emit(logEntry(`record ${i}`, { attributes: { i, s: "ü" } }));
      }
      sink.close();
      assert.ok(sink.stats.rotations >= 5);
      const files = [];
      for (let n = 20; n >= 1; n--) if (fs.exists!(`${path}.${n}`)) files.push(`${path}.${n}`);
      files.push(path);
      const records = files.flatMap((file) => parseLines(text(fs.readFile(file))));
      assert.deepEqual(
        records.map((r) => r.msg),
        Array.from({ length: 100 }, (_, i) => `record ${i}`),
      );
      for (const file of files) assert.ok(fs.size(file) <= 1000);
      assert.equal(sink.stats.bytes, files.reduce((sum, file) => sum + fs.size(file), 0));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`a sink on ${name} drops while its path cannot be opened and recovers once it can`, () => {
    const dir = tempDir();
    try {
      const blocker = join(dir, "blocker");
      writeFileSync(blocker, "a file where the directory should be");
      const errors = collectErrors();
      const path = join(blocker, "j.jsonl");
      const sink = createJournalSink({ path, fs, onError: errors.onError });
      for (let i = 0; i < 20; i++) sink.emit(logEntry(`lost ${i}`));
      assert.equal(sink.stats.dropped, 20);
      assert.deepEqual(errors.codes(), ["ENOTDIR"]);
      rmSync(blocker);
      sink.emit(logEntry("recovered"));
      sink.close();
      assert.deepEqual(parseLines(text(fs.readFile(path))).map((r) => r.msg), ["recovered"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("writeAll keeps writing after short writes until every byte is out", () => {
  const bytes = new TextEncoder().encode("0123456789");
  const out: number[] = [];
  const total = writeAll(bytes, 0, bytes.length, (b, offset, end) => {
    const n = Math.min(3, end - offset);
    out.push(...b.subarray(offset, offset + n));
    return n;
  });
  assert.equal(total, 10);
  assert.equal(new TextDecoder().decode(new Uint8Array(out)), "0123456789");
});

test("writeAll throws ENOSPC instead of spinning on a write that makes no progress", () => {
  const bytes = new Uint8Array(10);
  let calls = 0;
  const code = codeOf(() => writeAll(bytes, 0, 10, () => (++calls === 1 ? 4 : 0)));
  assert.equal(code, "ENOSPC");
  assert.equal(calls, 2);
});
