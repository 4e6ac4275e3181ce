// Real processes of the running runtime: a writer killed with SIGKILL at random points
// across rotations loses no record that emit returned for (write-through); 2 and 8
// processes appending to one journal (rotation off) never merge or tear a line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkJournal, generations, lineCache } from "./fixtures/reliability_shared.ts";

const isDeno = "Deno" in globalThis;
const runtime = [process.execPath, ...(isDeno ? ["run", "-A"] : [])];
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const lineOf = lineCache((i) => (i * 31) % 200);

/** Seeded, so a failure can be replayed: kill points come from here. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

/** Runs a writer from `start` and SIGKILLs it after `killAfter` acknowledgements. */
function killWriter(path: string, start: number, policy: string, killAfter: number) {
  return new Promise<number[]>((resolve, reject) => {
    const child = spawn(runtime[0], [
      ...runtime.slice(1),
      fixture("reliability_kill_writer.ts"),
      path,
      String(start),
      policy,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    const acked: number[] = [];
    let pending = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => void (stderr += chunk));
    child.stdout.on("data", (chunk) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) acked.push(Number(line));
      if (acked.length >= killAfter && child.exitCode === null) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`writer ended by itself: ${stderr}`));
      else resolve(acked);
    });
  });
}

/** The journal's files' texts, oldest generation first. */
function readJournal(path: string): string[] {
  const candidates = [path, ...Array.from({ length: 200 }, (_, n) => `${path}.${n + 1}`)];
  return generations(candidates.filter(existsSync), path).map((name) => readFileSync(name, "utf8"));
}

test("writers killed with SIGKILL at random points across rotations lose no acknowledged record", async () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-kill-"));
  try {
    const path = join(dir, "j.jsonl");
    const next = random(20260101);
    const acked: number[] = [];
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      const policy = round % 2 === 0 ? "none" : "always";
      const killAfter = 1 + Math.floor(next() * 300);
      acked.push(...await killWriter(path, round * 1000, policy, killAfter));
    }
    const texts = readJournal(path);
    assert.ok(texts.length > rounds, "the kills fell across rotations");
    const { found, torn } = checkJournal(texts, lineOf, rounds * 1000);
    const have = new Set(found);
    const lost = acked.filter((i) => !have.has(i));
    assert.deepEqual(lost, [], "no acknowledged record is lost");
    assert.ok(torn <= rounds, "at most one torn tail per kill");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Starts `writers` processes on one journal together; resolves with their stats. */
async function appendTogether(path: string, writers: number, count: number) {
  const children = Array.from(
    { length: writers },
    (_, id) =>
      spawn(runtime[0], [
        ...runtime.slice(1),
        fixture("reliability_append_writer.ts"),
        path,
        String(id),
        String(count),
      ], { stdio: ["pipe", "pipe", "inherit"] }),
  );
  const outputs = children.map((child) =>
    new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk) => void (out += chunk));
      child.on("error", reject);
      child.on("close", (code) => code === 0 ? resolve(out) : reject(new Error(`exit ${code}`)));
    })
  );
  await Promise.all(children.map((child) =>
    new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        if (String(chunk).includes("ready")) {
          child.stdout!.off("data", onData);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
    })
  ));
  for (const child of children) child.stdin!.end("g");
  return (await Promise.all(outputs)).map((out) => JSON.parse(out.trim().split("\n").at(-1)!));
}

for (const [writers, count] of [[2, 1500], [8, 400]] as const) {
  test(`${writers} processes appending to one journal never merge or tear a line`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-sink-multi-"));
    try {
      const path = join(dir, "j.jsonl");
      const stats = await appendTogether(path, writers, count);
      for (const s of stats) assert.deepEqual([s.written, s.dropped], [count, 0]);
      const text = readFileSync(path, "utf8");
      assert.ok(text.endsWith("\n"));
      const lines = text.slice(0, -1).split("\n");
      assert.equal(lines.length, writers * count, "one line per record");
      const next = new Array(writers).fill(0);
      let switches = 0;
      let last = -1;
      for (const line of lines) {
        const record = JSON.parse(line); // throws on a merged or torn line
        const [, id, n] = /^w(\d+)-(\d+)$/.exec(record.msg)!.map(Number);
        assert.equal(n, next[id], `writer ${id}'s records in order, none missing`);
        next[id]++;
        if (id !== last) switches++;
        last = id;
        if (n % 25 === 0) assert.equal(record.body.length, 32 * 1024, "a big record whole");
      }
      assert.ok(switches > writers, "the writers really interleaved");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
