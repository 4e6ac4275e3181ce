import { test } from "node:test";
import assert from "node:assert/strict";
import { createFakeFs } from "../testing.ts";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

test("fake fs: a crash keeps only the bytes an fsync made durable", () => {
  const fs = createFakeFs();
  const handle = fs.open("a.log");
  fs.syncDir(".");
  fs.append(handle, "one\n");
  fs.fsync(handle);
  fs.append(handle, "two\n");
  fs.crash();
  assert.equal(fs.text("a.log"), "one\n");
  assert.equal(codeOf(() => fs.append(handle, "x")), "EBADF", "handles die in a crash");
});

test("fake fs: a created file is lost in a crash unless its directory was synced", () => {
  const fs = createFakeFs();
  fs.mkdir("logs");
  const handle = fs.open("logs/a.log");
  fs.append(handle, "data\n");
  fs.fsync(handle);
  fs.crash();
  assert.equal(fs.exists("logs/a.log"), false);
  const again = fs.open("logs/a.log");
  fs.append(again, "data\n");
  fs.fsync(again);
  fs.syncDir("logs");
  fs.crash();
  assert.equal(fs.text("logs/a.log"), "data\n");
});

test("fake fs: a rename is undone by a crash unless its directory was synced", () => {
  const fs = createFakeFs();
  const handle = fs.open("a.log");
  fs.append(handle, "x\n");
  fs.fsync(handle);
  fs.syncDir(".");
  fs.rename("a.log", "a.log.1");
  fs.crash();
  assert.deepEqual(fs.paths(), ["a.log"]);
  fs.rename("a.log", "a.log.1");
  fs.syncDir(".");
  fs.crash();
  assert.deepEqual(fs.paths(), ["a.log.1"]);
  assert.equal(fs.text("a.log.1"), "x\n");
});

test("fake fs: an injected fault fires the given number of times, then clears itself", () => {
  const fs = createFakeFs();
  fs.fail("open", "EMFILE", 2);
  assert.equal(codeOf(() => fs.open("a")), "EMFILE");
  assert.equal(codeOf(() => fs.open("a")), "EMFILE");
  assert.equal(codeOf(() => fs.open("a")), undefined);
  assert.equal(fs.calls.open, 3);
});

test("fake fs: a fault without a count lasts until clearFaults", () => {
  const fs = createFakeFs();
  const handle = fs.open("a");
  fs.fail("fsync", "EIO");
  for (let i = 0; i < 5; i++) assert.equal(codeOf(() => fs.fsync(handle)), "EIO");
  fs.clearFaults();
  assert.equal(codeOf(() => fs.fsync(handle)), undefined);
});

test("fake fs: a full disk writes what still fits, then throws ENOSPC", () => {
  const fs = createFakeFs();
  const handle = fs.open("a");
  fs.append(handle, "12345");
  fs.diskFull(8);
  assert.equal(codeOf(() => fs.append(handle, "abcdef")), "ENOSPC");
  assert.equal(fs.text("a"), "12345abc");
  fs.remove("a");
  const other = fs.open("b");
  assert.equal(
    codeOf(() => fs.append(other, "x")),
    "ENOSPC",
    "an open handle keeps a removed file's space",
  );
  fs.close(handle);
  assert.equal(fs.append(other, "freed"), 5, "removing a file frees its space once unreferenced");
});

test("fake fs: opening in a missing directory fails with ENOENT until mkdir", () => {
  const fs = createFakeFs();
  assert.equal(codeOf(() => fs.open("no/such/a.log")), "ENOENT");
  fs.mkdir("no/such");
  fs.close(fs.open("no/such/a.log"));
  assert.deepEqual(fs.paths(), ["no/such/a.log"]);
});

test("fake fs: an open handle keeps writing to its file after a rename, as on POSIX", () => {
  const fs = createFakeFs();
  const handle = fs.open("a");
  fs.append(handle, "1\n");
  fs.rename("a", "a.1");
  fs.append(handle, "2\n");
  assert.equal(fs.text("a.1"), "1\n2\n");
  assert.equal(fs.exists("a"), false);
  assert.equal(fs.size("a"), 0);
  assert.equal(codeOf(() => fs.readFile("a")), "ENOENT");
});

test("fake fs: readAt returns the requested slice and nothing past the end", () => {
  const fs = createFakeFs();
  const handle = fs.open("a");
  fs.append(handle, "0123456789");
  assert.equal(new TextDecoder().decode(fs.readAt("a", 3, 4)), "3456");
  assert.equal(fs.readAt("a", 8, 10).length, 2);
  assert.equal(fs.readAt("a", 20, 10).length, 0);
});
