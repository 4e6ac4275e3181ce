import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { createFakeFs, type FakeFs } from "../testing.ts";
import { type CliIo, main } from "../cli.ts";
import { type CliRun, runCli } from "./fixtures/run_cli.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/agent.jsonl", import.meta.url));
const ESC = "\x1b";
const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));

/** The CLI with "now" fixed a minute after the fixture's last record, for `--since`. */
function run(argv: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  return runCli(argv, { now: Date.UTC(2025, 5, 1, 9, 31, 0), ...io });
}

function runtimeArgs(): string[] {
  return "Deno" in globalThis ? ["run", "-A", CLI] : [CLI];
}

function journal(records: LogRecord[]): FakeFs {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j.jsonl", fs });
  for (const record of records) sink.emit(record);
  sink.close();
  return fs;
}

function log(msg: string, timestamp: number, extra: Partial<LogRecord> = {}): LogRecord {
  return { kind: "log", level: "info", msg, timestamp, extensionId: "host", ...extra } as LogRecord;
}

describe("journal-sink tail", () => {
  test("prints the last 10 records, one line each, oldest first", async () => {
    const { code, out, err } = await run(["tail", FIXTURE]);
    assert.equal(code, 0);
    const lines = out.trimEnd().split("\n");
    assert.equal(lines.length, 10);
    assert.match(lines[0], /^2025-06-01T09:30:01\.412Z SPAN {2}host ◀ llm-call ok 1\.40s/);
    assert.match(lines[9], /ERROR shell child process exceeded memory limit/);
    assert.match(err, /skipped 1 damaged line .*torn 1/);
  });

  test("-n picks how many; --json prints the records as NDJSON", async () => {
    const { out } = await run(["tail", "-n", "2", "--json", FIXTURE]);
    const records = out.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(records.map((record) => record.spanId), ["tool-2", "tool-2"]);
    const all = await run(["tail", "-n", "all", "--json", FIXTURE]);
    assert.equal(all.out.trimEnd().split("\n").length, 14);
  });

  test("filters narrow the records", async () => {
    const { out } = await run(["tail", "--kind", "log", "--level=warn", "--json", FIXTURE]);
    const levels = out.trimEnd().split("\n").map((line) => JSON.parse(line).level);
    assert.deepEqual(levels, ["warn", "error"]);
    const turn = await run([
      "tail",
      "-n",
      "all",
      "--json",
      "--turn",
      "t2",
      "--extension",
      "shell",
      FIXTURE,
    ]);
    assert.equal(turn.out.trimEnd().split("\n").length, 2);
    const since = await run([
      "tail",
      "--json",
      "--since",
      "2025-06-01T09:30:06Z",
      "--until",
      "52s",
      FIXTURE,
    ]);
    assert.deepEqual(since.out.trimEnd().split("\n").map((line) => JSON.parse(line).spanId), [
      "llm-2",
      "tool-2",
    ]);
  });

  test("colours only when the output may be coloured", async () => {
    const plain = await run(["tail", "-n", "1", FIXTURE]);
    assert.ok(!plain.out.includes(ESC));
    const coloured = await run(["tail", "-n", "1", FIXTURE], { color: true });
    assert.ok(coloured.out.includes(`${ESC}[31mERROR${ESC}[39m`));
    const refused = await run(["tail", "-n", "1", "--no-color", FIXTURE], { color: true });
    assert.ok(!refused.out.includes(ESC));
  });

  test("-f prints the last records, then new ones, across a rotation", async () => {
    const fs = createFakeFs();
    const line = JSON.stringify(log("record 0", 0)) + "\n";
    const sink = createJournalSink({ path: "j.jsonl", fs, maxBytes: line.length * 2, maxFiles: 4 });
    for (let i = 0; i < 3; i++) sink.emit(log(`record ${i}`, i));
    const controller = new AbortController();
    let out = "";
    let written = 3;
    const code = await main(["tail", "-f", "-n", "2", "j.jsonl"], {
      fs,
      color: false,
      signal: controller.signal,
      pollMs: 1,
      error: () => {},
      write(text) {
        out += text;
        // Each time output catches up, the writer adds one more record, until 7.
        if (written < 7) sink.emit(log(`record ${written++}`, written));
        else controller.abort();
      },
    });
    sink.close();
    assert.equal(code, 0);
    const msgs = out.trimEnd().split("\n").map((line) => /record \d+/.exec(line)?.[0]);
    assert.deepEqual(msgs, [
      "record 1",
      "record 2",
      "record 3",
      "record 4",
      "record 5",
      "record 6",
    ]);
  });
});

describe("journal-sink spans", () => {
  test("draws the trace trees with durations and flags the open spans", async () => {
    const { code, out } = await run(["spans", FIXTURE]);
    assert.equal(code, 0);
    assert.match(out, /^turn \[turn-1\] ok 3\.09s host/m);
    assert.match(out, /^└─ tool:search \[tool-1\] error 1\.60s weather/m);
    assert.match(out, /^turn \[turn-2\] OPEN ≥ 4\.11s host/m);
    assert.match(out, /^└─ tool:shell \[tool-2\] OPEN ≥ 3\.00s shell/m);
    assert.match(out, /2 traces, 6 spans, 2 open\n$/);
    assert.doesNotMatch(out, /prompt sent/);
  });

  test("--logs puts each span's log entries under it", async () => {
    const { out } = await run(["spans", "--logs", FIXTURE]);
    assert.match(
      out,
      /├─ llm-call \[llm-1\].*\n│ {5}· 2025-06-01T09:30:00\.013Z debug prompt sent/,
    );
  });

  test("--json gives the forest and the open span ids", async () => {
    const { out } = await run(["spans", "--json", FIXTURE]);
    const forest = JSON.parse(out);
    assert.deepEqual(forest.open, ["turn-2", "tool-2"]);
    assert.equal(forest.roots[1].children[1].status, "open");
    assert.equal(forest.read.torn, 1);
  });

  test("--logs shows a turn's log entries written outside any span under that turn", async () => {
    const fs = journal([
      log("turn begins", 1, { turnId: "t1" }),
      {
        kind: "span-open",
        spanId: "root",
        name: "turn",
        timestamp: 2,
        extensionId: "host",
        turnId: "t1",
      },
      log("inside", 3, { turnId: "t1", spanId: "root" }),
      {
        kind: "span-close",
        spanId: "root",
        name: "turn",
        timestamp: 4,
        durationMs: 2,
        status: "ok",
        extensionId: "host",
        turnId: "t1",
      },
      log("turn ends", 5, { turnId: "t1" }),
      log("spanless turn", 6, { turnId: "t2" }),
    ]);
    const { out } = await run(["spans", "--logs", "j.jsonl"], { fs });
    assert.match(
      out,
      /^turn \[root\].*\n {3}· \S+ info turn begins {2}\(in the turn, outside any span\)\n {3}· \S+ info inside\n {3}· \S+ info turn ends {2}\(in the turn/m,
    );
    assert.match(out, /^turn t2 \(no span of this turn was read\)\n {3}· \S+ info spanless turn$/m);
    const stats = JSON.parse((await run(["stats", "--json", "j.jsonl"], { fs })).out);
    const json = JSON.parse((await run(["spans", "--json", "j.jsonl"], { fs })).out);
    const shown = json.roots[0].logs.length +
      json.turnLogs.reduce((n: number, turn: { logs: unknown[] }) => n + turn.logs.length, 0);
    assert.equal(shown, stats.byKind.log);
  });

  test("anomalies are shown next to the span", async () => {
    const fs = createFakeFs();
    const handle = fs.open("j.jsonl");
    fs.append(
      handle,
      JSON.stringify({
        kind: "span-close",
        spanId: "x",
        name: "lost",
        timestamp: 10,
        durationMs: 5,
        status: "ok",
        extensionId: "host",
      }) + "\n",
    );
    fs.close(handle);
    const { out } = await run(["spans", "j.jsonl"], { fs });
    assert.match(out, /lost \[x\] ok 5ms host ⚠ close-without-open/);
  });
});

describe("journal-sink stats", () => {
  test("counts kinds, levels and extensions, the time range, open spans and damage", async () => {
    const { code, out } = await run(["stats", "--json", FIXTURE]);
    assert.equal(code, 0);
    const stats = JSON.parse(out);
    assert.deepEqual(stats.byKind, { "span-open": 6, log: 4, "span-close": 4 });
    assert.deepEqual(stats.byLevel, { debug: 1, error: 1, info: 1, warn: 1 });
    assert.deepEqual(stats.byExtension, { host: 9, weather: 3, shell: 2 });
    assert.equal(stats.firstTimestamp, Date.UTC(2025, 5, 1, 9, 30, 0));
    assert.deepEqual(stats.spans.open.map((span: { spanId: string }) => span.spanId), [
      "turn-2",
      "tool-2",
    ]);
    assert.deepEqual(stats.skipped, { total: 1, torn: 1, invalid: 0, nulRuns: 0 });
  });

  test("the text form lists the same facts", async () => {
    const { out } = await run(["stats", FIXTURE]);
    assert.match(out, /^records {6}14$/m);
    assert.match(out, /^ {2}extensions {1}host 9 · weather 3 · shell 2$/m);
    assert.match(out, /^open {9}2$/m);
    assert.match(out, /tool:shell \[tool-2\] open ≥ 3\.00s/);
    assert.match(out, /^skipped {6}1 \(torn 1, invalid 0, NUL runs 0\)$/m);
  });

  test("an empty journal has no time range and no spans", async () => {
    const fs = journal([]);
    fs.close(fs.open("j.jsonl"));
    const stats = JSON.parse((await run(["stats", "--json", "j.jsonl"], { fs })).out);
    assert.equal(stats.records, 0);
    assert.equal(stats.firstTimestamp, null);
  });
});

describe("journal-sink errors and exit codes", () => {
  test("a missing journal exits 1 with a message naming it", async () => {
    const { code, out, err } = await run(["stats", "nope.jsonl"], { fs: createFakeFs() });
    assert.equal(code, 1);
    assert.equal(out, "");
    assert.match(err, /^journal-sink: no journal at nope\.jsonl/);
  });

  test("an unreadable journal exits 1 with the error code", async () => {
    const fs = journal([log("x", 1)]);
    fs.fail("readAt", "EACCES");
    const { code, err } = await run(["tail", "j.jsonl"], { fs });
    assert.equal(code, 1);
    assert.match(err, /cannot read j\.jsonl: EACCES/);
  });

  for (
    const [argv, message] of [
      [[], /no command given/],
      [["frob", "j"], /unknown command: frob/],
      [["tail"], /tail: no <journal> given/],
      [["tail", "a", "b"], /unexpected argument: b/],
      [["tail", "--bogus", "j"], /unknown option: --bogus/],
      [["tail", "-n", "many", "j"], /-n needs a number or "all"/],
      [["tail", "--level", "loud", "j"], /--level must be one of debug, info, warn, error/],
      [["tail", "--kind", "lgo", "j"], /--kind takes log, span-open, span-close, not lgo/],
      [["stats", "--kind", "log,spam", "j"], /--kind takes .*, not spam/],
      [["tail", "--since", "yesterday-ish", "j"], /not a time: yesterday-ish/],
      [["stats", "-f", "j"], /stats: unknown option: -f/],
      [["tail", "--kind"], /--kind needs a value/],
      [["tail", "--json=yes", "j"], /--json takes no value/],
      [["tail", "-n", "1", "-n", "2", "j"], /-n given twice/],
      [["collect", "j"], /collect needs --db/],
      [["collect", "--db", "x.db", "--poll-ms", "0", "j"], /--poll-ms needs a whole number/],
      [["query", "--db", "x.db"], /ask one of --turn/],
      [["query", "--db", "x.db", "--open", "j"], /unexpected argument: j/],
      [["query", "--db", "x.db", "--slowest", "-3"], /--slowest needs a whole number/],
      [["export", "--otlp", "ftp://x", "j"], /--otlp needs an http\(s\):\/\/ URL/],
      [
        ["export", "--otlp", "http://x", "--header", "nocolon", "j"],
        /--header takes 'Name: value'/,
      ],
    ] as const
  ) {
    test(`bad arguments exit 2 with one message and the usage line: ${argv.join(" ") || "(none)"}`, async () => {
      const { code, out, err } = await run([...argv], { fs: createFakeFs() });
      assert.equal(code, 2);
      assert.equal(out, "");
      assert.match(err, message);
      const lines = err.trimEnd().split("\n");
      assert.equal(lines.length, 2, err);
      assert.match(lines[0], /^journal-sink: /);
      assert.match(lines[1], /^Usage: journal-sink (<command>|[a-z]+ \[options\])/);
    });
  }

  test("--help prints the usage on stdout and exits 0", async () => {
    const { code, out } = await run(["--help"]);
    assert.equal(code, 0);
    assert.match(out, /^Usage: journal-sink <command> \[options\] \[<journal>\]/);
  });
});

describe("cli.ts as a program on this runtime", () => {
  test("prints to stdout and sets the exit code", () => {
    const ok = spawnSync(process.execPath, [...runtimeArgs(), "stats", "--json", FIXTURE], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).records, 14);
    const missing = spawnSync(process.execPath, [...runtimeArgs(), "tail", "/nonexistent/j"], {
      encoding: "utf8",
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no journal at \/nonexistent\/j/);
    const usage = spawnSync(process.execPath, [...runtimeArgs(), "tail"], { encoding: "utf8" });
    assert.equal(usage.status, 2);
  });

  test("output piped into a reader that stops early ends quietly", () => {
    const result = spawnSync(
      "sh",
      [
        "-c",
        `"$0" "$@" | head -n 1`,
        process.execPath,
        ...runtimeArgs(),
        "tail",
        "-n",
        "all",
        FIXTURE,
      ],
      { encoding: "utf8" },
    );
    assert.equal(result.status, 0);
    assert.equal(result.stdout.trimEnd().split("\n").length, 1);
    assert.doesNotMatch(result.stderr, /EPIPE|Error/);
  });
});

describe("typos fail loudly", () => {
  function tempDir(): { dir: string; [Symbol.dispose](): void } {
    const dir = mkdtempSync(join(tmpdir(), "cli-typo-"));
    return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
  }

  test("query on a missing store exits 1, says so, and creates no file", async () => {
    using tmp = tempDir();
    const db = join(tmp.dir, "missing.db");
    const { code, out, err } = await run(["query", "--db", db, "--open"]);
    assert.equal(code, 1);
    assert.equal(out, "");
    assert.match(err, /^journal-sink: no trace store at .*missing\.db/);
    assert.equal(existsSync(db), false);
  });

  for (const command of ["collect", "export"]) {
    test(`${command} on a missing journal exits 1 and creates nothing`, async () => {
      using tmp = tempDir();
      const journalPath = join(tmp.dir, "typo.jsonl");
      const argv = command === "collect"
        ? ["collect", "--once", "--db", join(tmp.dir, "t.db"), journalPath]
        : ["export", "--once", "--otlp", "http://127.0.0.1:9", journalPath];
      const { code, out, err } = await run(argv);
      assert.equal(code, 1);
      assert.equal(out, "");
      assert.match(err, /^journal-sink: no journal at .*typo\.jsonl/);
      assert.deepEqual(readdirSync(tmp.dir), []);
    });
  }

  test("collect prints its result on stdout and nothing on stderr", async () => {
    using tmp = tempDir();
    const journalPath = join(tmp.dir, "app.jsonl");
    writeFileSync(journalPath, JSON.stringify(log("hello", 1)) + "\n");
    const db = join(tmp.dir, "t.db");
    const { code, out, err } = await run(["collect", "--once", "--db", db, journalPath]);
    assert.equal(code, 0);
    assert.equal(err, "");
    assert.match(out, /^collected 1 records \(1 logs, 0 span records\)/);
    const query = await run(["query", "--db", db, "--slowest", "1", "--json"]);
    assert.equal(query.code, 0, query.err);
    assert.deepEqual(JSON.parse(query.out), []);
  });
});
