// What the CLI answers when there is nothing to answer: a turn or conversation the store does
// not hold, a file that is not a journal; and durations written by one rule in every command.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeFs, type FakeFs } from "../testing.ts";
import { runCli } from "./fixtures/run_cli.ts";

const T = Date.UTC(2025, 5, 1, 9, 30, 0);

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "cli-answers-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A turn with a span of a fractional duration, collected into a store. */
async function store(dir: string): Promise<string> {
  const journal = join(dir, "j.jsonl");
  const db = join(dir, "s.db");
  const scope = { extensionId: "host", conversationId: "c1", turnId: "t1" };
  const records = [
    { kind: "span-open", spanId: "s1", name: "chat", timestamp: T, ...scope },
    {
      kind: "span-close",
      spanId: "s1",
      name: "chat",
      timestamp: T + 127,
      durationMs: 126.95849609375,
      status: "error",
      ...scope,
    },
    { kind: "span-open", spanId: "s2", name: "tool", timestamp: T + 200, ...scope },
    {
      kind: "span-close",
      spanId: "s2",
      name: "tool",
      timestamp: T + 3_000,
      durationMs: 2_750.4001,
      status: "ok",
      ...scope,
    },
  ];
  writeFileSync(journal, records.map((record) => JSON.stringify(record) + "\n").join(""));
  const collected = await runCli(["collect", "--db", db, "--once", journal]);
  assert.equal(collected.code, 0, collected.err);
  return db;
}

function fakeFile(text: string): FakeFs {
  const fs = createFakeFs();
  const handle = fs.open("f");
  fs.append(handle, text);
  fs.close(handle);
  return fs;
}

describe("journal-sink query answers", () => {
  test("durations are rounded as tail and spans write them, in every text answer", async () => {
    using tmp = tempDir();
    const db = await store(tmp.dir);
    for (const question of [["--turn", "t1"], ["--conversation", "c1"], ["--slowest", "2"]]) {
      const run = await runCli(["query", "--db", db, ...question]);
      assert.equal(run.code, 0, run.err);
      assert.match(run.out, /chat \[error\] 127ms /, run.out);
      assert.match(run.out, /tool \[ok\] 2\.75s /, run.out);
      assert.doesNotMatch(run.out, /126\.9|2750/, run.out);
    }
    const errors = await runCli(["query", "--db", db, "--errors"]);
    assert.match(errors.out, /chat \[error\] 127ms /, errors.out);
    const json = await runCli(["query", "--db", db, "--slowest", "1", "--json"]);
    assert.equal(JSON.parse(json.out)[0].durationMs, 2_750.4001, "--json keeps the exact value");
  });

  test("a turn or conversation the store does not hold is exit 1 with one line on stderr", async () => {
    using tmp = tempDir();
    const db = await store(tmp.dir);
    const asked = [
      [["--turn", "nope"], `journal-sink: no turn nope in ${db}\n`],
      [
        ["--turn", "t1", "--conversation", "nope"],
        `journal-sink: no turn t1 in conversation nope in ${db}\n`,
      ],
      [["--conversation", "nope"], `journal-sink: no conversation nope in ${db}\n`],
      [["--turn", "nope", "--json"], `journal-sink: no turn nope in ${db}\n`],
    ] as const;
    for (const [question, message] of asked) {
      const run = await runCli(["query", "--db", db, ...question]);
      assert.equal(run.code, 1, `${question.join(" ")}: ${run.out}`);
      assert.equal(run.out, "");
      assert.equal(run.err, message);
    }
    const found = await runCli(["query", "--db", db, "--turn", "t1"]);
    assert.equal(found.code, 0, found.err);
    const none = await runCli(["query", "--db", db, "--open"]);
    assert.equal(none.code, 0, "an empty list is an answer");
    assert.equal(none.out, "0 spans\n");
  });
});

describe("journal-sink on a file that is not a journal", () => {
  const passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n";

  for (const command of ["stats", "spans", "tail"]) {
    test(`${command} says no line is a journal record and exits 1`, async () => {
      for (const json of [[], ["--json"]]) {
        const run = await runCli([command, ...json, "f"], { fs: fakeFile(passwd) });
        assert.equal(run.code, 1, `${command} ${json.join(" ")}: ${run.out}`);
        assert.equal(run.out, "");
        assert.equal(
          run.err,
          "journal-sink: f is not a journal: none of its 2 lines is a journal record\n",
        );
      }
    });
  }

  test("an empty journal, or one whose every record the filter left out, is exit 0", async () => {
    const empty = await runCli(["stats", "f"], { fs: fakeFile("") });
    assert.equal(empty.code, 0, empty.err);
    assert.match(empty.out, /records\s+0/);
    const record = JSON.stringify({
      kind: "log",
      level: "info",
      msg: "hi",
      timestamp: T,
      extensionId: "host",
    });
    const filtered = await runCli(["stats", "--level", "error", "f"], {
      fs: fakeFile(`${record}\nnot json\n`),
    });
    assert.equal(filtered.code, 0, filtered.err);
    const damaged = await runCli(["stats", "f"], { fs: fakeFile(`${record}\nnot json\n`) });
    assert.equal(damaged.code, 0, "a journal with a damaged line is still a journal");
    assert.match(damaged.out, /skipped\s+1 \(torn 0, invalid 1/);
  });
});
