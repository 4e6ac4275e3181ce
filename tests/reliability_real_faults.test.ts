// Real faults on the real file system, with the running runtime's own adapter: a full
// file system (a 256 KiB tmpfs), a file-size limit (RLIMIT_FSIZE in a child), a read-only
// directory (a read-only bind mount) and a deleted directory. The promises are the fake
// fs's: emit never throws, each record is written or counted dropped, nothing torn is
// followed by a record, reports stay bounded, and the sink recovers when the fault clears.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, type JournalSinkOptions } from "../mod.ts";
import {
  checkJournal,
  type Event,
  lineCache,
  numbered,
  reportInto,
} from "./fixtures/reliability_shared.ts";

const isLinux = process.platform === "linux";
const isDeno = "Deno" in globalThis;
const PAD = 700;
const lineOf = lineCache(() => PAD);

function run(command: string, ...args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: "ignore" });
  return result.status === 0;
}

/** Whether this machine lets us mount (root with CAP_SYS_ADMIN, as in CI). */
const canMount = (() => {
  if (!isLinux) return false;
  const probe = mkdtempSync(join(tmpdir(), "journal-sink-mount-"));
  try {
    if (!run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe)) return false;
    run("umount", probe);
    return true;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();
const noMount = canMount ? false : "mount is not permitted here (needs Linux, root, CAP_SYS_ADMIN)";

function read(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

function reportsOf(timeline: Event[]) {
  return timeline.filter((e) => e.kind === "report");
}

test("a full file system (tmpfs) drops and counts, tears nothing, reports once, recovers", {
  skip: noMount,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-full-"));
  assert.ok(run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir));
  try {
    const ballast = join(dir, "ballast");
    writeFileSync(ballast, new Uint8Array(200 * 1024));
    const path = join(dir, "logs", "j.jsonl");
    const timeline: Event[] = [];
    const sink = createJournalSink({ path, fsync: "always", onError: reportInto(timeline) });
    const accepted: number[] = [];
    let i = 0;
    const emit = () => {
      const before = sink.stats.written;
      assert.doesNotThrow(() => sink.emit(numbered(i, PAD)));
      if (sink.stats.written === before + 1) accepted.push(i);
      i++;
    };
    while (sink.stats.dropped === 0 && i < 10_000) emit();
    assert.ok(sink.stats.dropped > 0, "the disk filled");
    for (let k = 0; k < 100; k++) emit();
    assert.equal(sink.stats.dropped, 101, "every record while full is a counted drop");
    const whileFull = reportsOf(timeline);
    assert.ok(whileFull.length <= 2, `${whileFull.length} reports for 101 failures`);
    assert.equal(whileFull[0].kind === "report" && whileFull[0].code, "ENOSPC");
    rmSync(ballast);
    const resumeFrom = i;
    for (let k = 0; k < 20; k++) emit();
    sink.close();
    assert.equal(sink.stats.written + sink.stats.dropped, i);
    const { found } = checkJournal([read(path)], lineOf, i);
    for (const k of accepted) assert.ok(found.includes(k), `r${k} counted written, lost`);
    for (let k = resumeFrom; k < i; k++) assert.ok(found.includes(k), `r${k} after recovery`);
    assert.ok(
      reportsOf(timeline).some((e) => e.kind === "report" && e.code === "RECOVERED"),
      "a note says appends work again",
    );
  } finally {
    run("umount", dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a file-size limit (RLIMIT_FSIZE, EFBIG) drops and counts, tears nothing, reports once", {
  skip: isLinux && existsSync("/bin/sh") ? false : "needs Linux and /bin/sh for ulimit -f",
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-fsize-"));
  try {
    const path = join(dir, "j.jsonl");
    const fixture = new URL("./fixtures/reliability_fsize_writer.ts", import.meta.url).pathname;
    const runtime = [process.execPath, ...(isDeno ? ["run", "-A"] : [])];
    const quoted = [...runtime, fixture, path, String(PAD)].map((a) => `'${a}'`).join(" ");
    // dash counts ulimit -f in 512-byte blocks: 128 blocks = 64 KiB.
    const child = spawnSync("/bin/sh", ["-c", `trap '' XFSZ; ulimit -f 128; exec ${quoted}`], {
      encoding: "utf8",
    });
    assert.equal(child.status, 0, child.stderr);
    const out = JSON.parse(child.stdout);
    assert.equal(out.full.dropped, 51, "the limit bit and every later record was dropped");
    assert.ok(out.reports.length <= 3, `${out.reports.length} reports`);
    // Deno's file errors for EFBIG carry no `code` (only "os error 27" in the message).
    assert.equal(out.reports[0].code, "EFBIG", "the report names the failure");
    assert.equal(out.stats.written + out.stats.dropped, out.emitted);
    assert.equal(out.stats.written - out.full.written, 20, "recovers in a fresh file");
    const full = read(path + ".full");
    assert.ok(Buffer.byteLength(full) <= 64 * 1024);
    const { found } = checkJournal([full, read(path)], lineOf, out.emitted);
    for (const k of out.accepted) assert.ok(found.includes(k), `r${k} counted written, lost`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a read-only directory (bind mount) drops and counts, then recovers when writable", {
  skip: noMount,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-ro-"));
  const ro = join(dir, "ro");
  const live = join(dir, "live");
  mkdirSync(ro);
  mkdirSync(live);
  const mounted: string[] = [];
  const readOnly = (target: string) => {
    assert.ok(run("mount", "--bind", target, target));
    mounted.push(target);
    assert.ok(run("mount", "-o", "remount,ro,bind", target));
  };
  try {
    // 1. A journal whose directory is read-only from the start.
    readOnly(ro);
    const timeline: Event[] = [];
    const sink = createJournalSink({
      path: join(ro, "j.jsonl"),
      fsync: "always",
      onError: reportInto(timeline),
    });
    for (let i = 0; i < 30; i++) assert.doesNotThrow(() => sink.emit(numbered(i, 10)));
    assert.equal(sink.stats.dropped, 30);
    assert.equal(reportsOf(timeline).length, 1, "one report for 30 failures");
    const [first] = reportsOf(timeline);
    assert.equal(first.kind === "report" && first.code, "EROFS");
    assert.ok(run("umount", ro));
    mounted.pop();
    sink.emit(numbered(30, 10));
    sink.close();
    assert.deepEqual(checkJournal([read(join(ro, "j.jsonl"))], lineOf, 31).found, [30]);

    // 2. A live journal whose directory turns read-only: the open file keeps taking
    // records; the rotation that cannot rename is reported, and the sink recovers.
    const liveTimeline: Event[] = [];
    const path = join(live, "j.jsonl");
    const rotating = createJournalSink({
      path,
      fsync: "always",
      maxBytes: 4000,
      maxFiles: 50,
      onError: reportInto(liveTimeline),
    });
    rotating.emit(numbered(0, 10));
    readOnly(live);
    for (let i = 1; i < 40; i++) assert.doesNotThrow(() => rotating.emit(numbered(i, PAD)));
    assert.ok(rotating.stats.errors > 0, "the read-only directory was noticed");
    assert.ok(reportsOf(liveTimeline).length <= 4, `${reportsOf(liveTimeline).length} reports`);
    assert.ok(run("umount", live));
    mounted.pop();
    const before = rotating.stats.written;
    for (let i = 40; i < 50; i++) rotating.emit(numbered(i, 10));
    rotating.close();
    assert.equal(rotating.stats.written - before, 10, "recovers once writable");
    assert.equal(rotating.stats.written + rotating.stats.dropped, 50);
    const files = [];
    for (let n = 50; n >= 1; n--) if (existsSync(`${path}.${n}`)) files.push(read(`${path}.${n}`));
    files.push(read(path));
    const { found } = checkJournal(files, lineOf, 50);
    assert.equal(found.length, rotating.stats.written, "every record counted written is kept");
  } finally {
    for (const target of mounted.reverse()) run("umount", target);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a journal directory deleted under a live sink is recreated and records land in it", async () => {
  const root = mkdtempSync(join(tmpdir(), "journal-sink-deleted-"));
  try {
    const dir = join(root, "logs");
    const path = join(dir, "j.jsonl");
    const timeline: Event[] = [];
    const options: JournalSinkOptions = {
      path,
      fsync: "always",
      onError: reportInto(timeline),
    };
    // Ask for a quick check of the journal's identity where the sink offers one.
    const sink = createJournalSink({ ...options, externalRotationCheckMs: 20 } as typeof options);
    for (let i = 0; i < 5; i++) sink.emit(numbered(i, 10));
    rmSync(dir, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 5; i < 10; i++) assert.doesNotThrow(() => sink.emit(numbered(i, 10)));
    sink.close();
    const { written, dropped } = sink.stats;
    assert.equal(written + dropped, 10);
    const { found } = checkJournal([read(path)], lineOf, 10);
    const after = found.filter((i) => i >= 5);
    assert.equal(
      after.length + dropped,
      5,
      "each record emitted after the deletion is in the recreated journal or counted dropped",
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
