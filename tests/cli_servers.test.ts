// `journal-sink receive` and `journal-sink serve`: one URL line once listening, until a
// signal, then closed; as a child process and in-process.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createJournalSink } from "../mod.ts";
import { type CliIo, main } from "../cli.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));

function runtimeArgs(): string[] {
  return "Deno" in globalThis ? ["run", "-A", CLI] : [CLI];
}

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "cli-servers-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The first line the child prints on stdout. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    let err = "";
    child.stderr!.on("data", (chunk) => void (err += chunk));
    child.stdout!.on("data", (chunk) => {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline >= 0) resolve(text.slice(0, newline));
    });
    child.on("exit", (code) => reject(new Error(`exited ${code} before a line: ${err}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | string | null> {
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
}

/** Runs `main` in-process until `stop` aborts, handing back the printed URL first. */
function runInProcess(argv: string[]) {
  const stop = new AbortController();
  let out = "";
  let err = "";
  let announce: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (announce = resolve));
  const io: CliIo = {
    write: (text) => {
      out += text;
      if (out.includes("\n")) announce(out.slice(0, out.indexOf("\n")));
    },
    error: (text) => void (err += text),
    color: false,
    signal: stop.signal,
  };
  const code = main(argv, io).then((value) => {
    announce("");
    return value;
  });
  return { url, code, stop, output: () => ({ out, err }) };
}

const SPAN_REQUEST = {
  resourceSpans: [{
    resource: { attributes: [{ key: "service.name", value: { stringValue: "agent" } }] },
    scopeSpans: [{
      spans: [{
        traceId: "5b8efff798038103d269b633813fc60c",
        spanId: "eee19b7ec3c1b174",
        name: "grep",
        startTimeUnixNano: "1700000000000000000",
        endTimeUnixNano: "1700000000250000000",
      }],
    }],
  }],
};

describe("journal-sink receive", () => {
  test("as a program it prints its URL, appends what it is sent, and exits 0 on SIGTERM", async () => {
    using tmp = tempDir();
    const journal = join(tmp.dir, "otlp.jsonl");
    const child = spawn(
      process.execPath,
      [...runtimeArgs(), "receive", "--journal", journal, "--port", "0"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = exitCode(child);
    try {
      const url = await firstLine(child);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${url}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(SPAN_REQUEST),
      });
      assert.equal(response.status, 200);
      await response.text();
    } finally {
      // process.kill, not child.kill: Deno's ChildProcess reports a child it signalled
      // itself as killed, whatever its exit code.
      process.kill(child.pid!, "SIGTERM");
    }
    assert.equal(await exited, 0);
    const records = readFileSync(journal, "utf8").trim().split("\n").map((line) =>
      JSON.parse(line)
    );
    assert.deepEqual(records.map((r) => r.kind), ["span-open", "span-close"]);
    assert.equal(records[0].name, "grep");
    assert.equal(records[0].traceId, "5b8efff798038103d269b633813fc60c");
  });

  test("a port already in use is exit 1 with the address and the cause on stderr", async () => {
    using tmp = tempDir();
    const taken = await receiveOtlp({ sink: { emit() {} }, port: 0 });
    try {
      const run = runInProcess([
        "receive",
        "--journal",
        join(tmp.dir, "j.jsonl"),
        "--port",
        String(taken.port),
      ]);
      assert.equal(await run.code, 1);
      const { out, err } = run.output();
      assert.equal(out, "");
      assert.match(err, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${taken.port}`));
      assert.match(err, /EADDRINUSE|in use/i);
    } finally {
      await taken.close();
    }
  });

  test("bad arguments are usage errors (exit 2)", async () => {
    for (
      const [argv, message] of [
        [["receive"], /receive needs --journal/],
        [["receive", "--journal", "j", "--port", "70000"], /--port needs a port number/],
        [["receive", "--journal", "j", "--max-body-bytes", "0"], /--max-body-bytes needs/],
      ] as const
    ) {
      let err = "";
      const code = await main([...argv], {
        write: () => {},
        error: (text) => void (err += text),
        color: false,
      });
      assert.equal(code, 2, argv.join(" "));
      assert.match(err, message);
    }
  });
});

describe("journal-sink serve", () => {
  test("it serves a journal until stopped: one URL line, the turns listed, exit 0", async () => {
    using tmp = tempDir();
    const journal = join(tmp.dir, "app.jsonl");
    const sink = createJournalSink({ path: journal });
    sink.emit({
      kind: "span-open",
      spanId: "s1",
      name: "turn",
      timestamp: Date.now(),
      turnId: "t1",
      extensionId: "host",
    });
    sink.close();
    const run = runInProcess(["serve", "--port", "0", journal]);
    const url = await run.url;
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      let turns: { turnId: string }[] = [];
      for (let i = 0; i < 100 && turns.length === 0; i++) {
        turns = (await (await fetch(`${url}/api/turns`)).json()).turns;
        if (turns.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(turns.map((turn) => turn.turnId), ["t1"]);
    } finally {
      run.stop.abort();
    }
    assert.equal(await run.code, 0);
    assert.equal(run.output().out, `${url}\n`);
    await assert.rejects(fetch(`${url}/api/turns`));
  });

  test("neither or both of --db and a journal is a usage error; a missing journal is exit 1", async () => {
    using tmp = tempDir();
    const cases: [string[], number, RegExp][] = [
      [["serve"], 2, /a <journal> or --db <file>, not both, not neither/],
      [["serve", "--db", "x.db", "j.jsonl"], 2, /not both/],
      [["serve", join(tmp.dir, "none.jsonl")], 1, /no journal at/],
      [["serve", "--db", join(tmp.dir, "none.db")], 1, /no trace store at/],
    ];
    for (const [argv, expected, message] of cases) {
      let err = "";
      const code = await main(argv, {
        write: () => {},
        error: (text) => void (err += text),
        color: false,
      });
      assert.equal(code, expected, argv.join(" "));
      assert.match(err, message);
    }
  });
});
