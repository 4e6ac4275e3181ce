// The real logrotate against a live sink, in `create` and `copytruncate` modes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, type JournalSinkOptions } from "../mod.ts";
import { readJournal } from "../src/reader/read_journal.ts";
import { logEntry, parseLines } from "./_helpers.ts";

const LOGROTATE = ["/usr/sbin/logrotate", "/usr/bin/logrotate", "/sbin/logrotate"].find((path) =>
  existsSync(path)
);
const skip = LOGROTATE
  ? false
  : "logrotate is not installed: apt-get install -y logrotate (CI installs it)";

const CHECK_MS = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const messages = (path: string) => parseLines(readFileSync(path, "utf8")).map((r) => r.msg);

/** A private directory (logrotate refuses world-writable ones) with a config for `log`. */
function setup(directives: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-logrotate-"));
  const log = join(dir, "app.jsonl");
  const config = join(dir, "logrotate.conf");
  writeFileSync(config, `${log} {\n${directives.map((d) => `  ${d}\n`).join("")}}\n`, {
    mode: 0o600,
  });
  const rotate = () => {
    const run = spawnSync(LOGROTATE!, ["-f", "-s", join(dir, "state"), config], {
      encoding: "utf8",
    });
    assert.equal(run.status, 0, `logrotate failed: ${run.stderr}`);
  };
  return { dir, log, rotate, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function sink(path: string, extra: Partial<JournalSinkOptions> = {}) {
  return createJournalSink({ path, fsync: "none", maxBytes: 1 << 30, ...extra });
}

async function readAll(path: string): Promise<unknown[]> {
  const read: unknown[] = [];
  for await (const record of readJournal(path)) if (record.kind === "log") read.push(record.msg);
  return read;
}

test(
  "logrotate create mode, then reopen() as a postrotate script would ask",
  { skip },
  async () => {
    const { log, rotate, cleanup } = setup(["create", "rotate 3", "missingok"]);
    try {
      const journal = sink(log, { externalRotationCheckMs: Infinity });
      for (let i = 0; i < 3; i++) journal.emit(logEntry(`old${i}`));
      rotate();
      journal.emit(logEntry("late")); // before the signal: still the renamed file
      journal.reopen();
      for (let i = 0; i < 3; i++) journal.emit(logEntry(`new${i}`));
      journal.close();
      assert.deepEqual(messages(`${log}.1`), ["old0", "old1", "old2", "late"]);
      assert.deepEqual(messages(log), ["new0", "new1", "new2"]);
      assert.deepEqual(await readAll(log), [
        "old0",
        "old1",
        "old2",
        "late",
        "new0",
        "new1",
        "new2",
      ]);
    } finally {
      cleanup();
    }
  },
);

test("logrotate create mode is followed without reopen(): the sink notices", { skip }, async () => {
  const { log, rotate, cleanup } = setup(["create", "rotate 3"]);
  try {
    const journal = sink(log, { externalRotationCheckMs: CHECK_MS });
    journal.emit(logEntry("old"));
    rotate();
    await sleep(CHECK_MS * 10);
    journal.emit(logEntry("new"));
    journal.close();
    assert.deepEqual(messages(`${log}.1`), ["old"]);
    assert.deepEqual(messages(log), ["new"]);
  } finally {
    cleanup();
  }
});

test("logrotate with compress and delaycompress leaves a journal the reader reads whole", {
  skip,
}, async () => {
  const { log, rotate, cleanup } = setup(["create", "rotate 5", "compress", "delaycompress"]);
  try {
    const journal = sink(log, { externalRotationCheckMs: Infinity });
    for (const round of ["a", "b", "c"]) {
      journal.emit(logEntry(round));
      rotate();
      journal.reopen();
    }
    journal.emit(logEntry("d"));
    journal.close();
    assert.ok(existsSync(`${log}.3.gz`) && existsSync(`${log}.2.gz`) && existsSync(`${log}.1`));
    assert.deepEqual(await readAll(log), ["a", "b", "c", "d"]);
  } finally {
    cleanup();
  }
});

test("logrotate copytruncate: old records in path.1, new ones at the start of path", {
  skip,
}, async () => {
  const { log, rotate, cleanup } = setup(["copytruncate", "rotate 3"]);
  try {
    const line = JSON.stringify(logEntry("old0")) + "\n";
    // Had the sink kept its pre-truncation byte count, these limits would force a rotation.
    const journal = sink(log, { maxBytes: line.length * 8, externalRotationCheckMs: CHECK_MS });
    for (let i = 0; i < 6; i++) journal.emit(logEntry(`old${i}`));
    rotate();
    await sleep(CHECK_MS * 10);
    for (let i = 0; i < 6; i++) journal.emit(logEntry(`new${i}`));
    journal.close();
    assert.equal(journal.stats.rotations, 0, "the truncation was noticed");
    assert.deepEqual(messages(`${log}.1`), ["old0", "old1", "old2", "old3", "old4", "old5"]);
    const text = readFileSync(log, "utf8");
    assert.ok(!text.includes("\0"), "O_APPEND: no hole of NUL bytes before the new records");
    assert.deepEqual(messages(log), ["new0", "new1", "new2", "new3", "new4", "new5"]);
  } finally {
    cleanup();
  }
});
