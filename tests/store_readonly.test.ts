// A trace store where nothing can be written (a read-only mount, a copy on a CD, a
// container's read-only volume) still answers `query` and the viewer: a WAL store whose
// `-wal`/`-shm` cannot be created is opened with SQLite's `immutable=1`, unless its `-wal`
// still holds transactions, which is refused with a message that says what to do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "../mod.ts";
import { openTraceStore } from "../src/collector/trace_store.ts";
import { queryTurn } from "../src/collector/query.ts";
import { runCli as run } from "./fixtures/run_cli.ts";

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "store-readonly-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

const scope = { extensionId: "host", conversationId: "c", turnId: "t1" };
const RECORDS: LogRecord[] = [
  { kind: "span-open", spanId: "a", name: "chat", timestamp: 1000, ...scope },
  {
    kind: "span-close",
    spanId: "a",
    name: "chat",
    timestamp: 1005,
    durationMs: 5,
    status: "ok",
    ...scope,
    attributes: { "gen_ai.usage.input_tokens": 7, "gen_ai.usage.output_tokens": 3 },
  },
];

/** A store with one turn, closed cleanly (its `-wal` and `-shm` gone). */
async function writeStore(path: string): Promise<void> {
  const store = await openTraceStore(path);
  store.ingest(RECORDS);
  store.close();
  assert.equal(existsSync(`${path}-wal`), false, "a clean close leaves no -wal");
}

/** What a reader finds in the store at `path`, through the API and the CLI. */
async function readBack(path: string): Promise<void> {
  const store = await openTraceStore(path, { readOnly: true });
  assert.equal(queryTurn(store, "t1").spanCount, 1);
  store.close();
  const usage = await run(["query", "--db", path, "--usage", "--by", "turn", "--json"]);
  assert.equal(usage.code, 0, usage.err);
  assert.deepEqual(
    JSON.parse(usage.out).map((r: { key: string; inputTokens: number }) => [r.key, r.inputTokens]),
    [["t1", 7]],
  );
}

/** `dir` mounted read-only at a new directory (root, Linux), or undefined where not allowed. */
function readOnlyMount(
  dir: string,
  at: string,
): { path: string; [Symbol.dispose](): void } | undefined {
  mkdirSync(at);
  const mounted = spawnSync("mount", ["--bind", "-o", "ro", dir, at], { stdio: "ignore" });
  if (mounted.status !== 0) return undefined;
  const unmount = () => {
    // Lazily when something still holds a file there: a failed test leaves no mount behind.
    if (spawnSync("umount", [at]).status !== 0) spawnSync("umount", ["-l", at]);
  };
  return { path: at, [Symbol.dispose]: unmount };
}

test("a store whose write-ahead log cannot be created is read, by the API and by query --db", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "traces.db");
  await writeStore(path);
  // What a read-only directory does to SQLite: its first read cannot open the -wal. A
  // directory in its place stands for that on any machine and any user (chmod does not
  // stop root).
  mkdirSync(`${path}-wal`);
  await readBack(path);
});

test("a store on a read-only mount is read; one whose -wal still holds transactions is refused, naming the way out", async (t) => {
  using tmp = tempDir();
  const source = join(tmp.dir, "source");
  mkdirSync(source);
  await writeStore(join(source, "traces.db"));
  // A second store whose writer is still running: its -wal holds the rows, and a copy of
  // the db and -wal without the -shm is what a snapshot taken meanwhile would hold.
  const live = join(tmp.dir, "live.db");
  const writer = await openTraceStore(live);
  writer.ingest(RECORDS);
  copyFileSync(live, join(source, "pending.db"));
  copyFileSync(`${live}-wal`, join(source, "pending.db-wal"));
  writer.close();
  const mount = readOnlyMount(source, join(tmp.dir, "ro"));
  if (mount === undefined) {
    t.skip("mounting needs root on Linux: the test above covers the fallback");
    return;
  }
  using _unmount = mount;
  const probe = spawnSync("touch", [join(mount.path, "probe")]);
  assert.notEqual(probe.status, 0, "the mount is read-only, for root too");
  await readBack(join(mount.path, "traces.db"));
  const pending = join(mount.path, "pending.db");
  const refusal = /cannot read .*pending\.db: its -wal holds transactions.*wal_checkpoint/;
  await assert.rejects(openTraceStore(pending, { readOnly: true }), refusal);
  const query = await run(["query", "--db", pending, "--usage"]);
  assert.equal(query.code, 1);
  assert.match(query.err, refusal);
});
