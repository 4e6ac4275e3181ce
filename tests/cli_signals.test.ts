// One convention for every command that runs until stopped (`tail -f`, `collect`, `export`,
// `receive`, `serve`): SIGINT (Ctrl-C) or SIGTERM is a clean stop, after what the command holds
// is written, and the exit status is 0. Real child processes of the running runtime.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const RECORD = JSON.stringify({
  kind: "log",
  level: "info",
  msg: "hello",
  timestamp: Date.UTC(2025, 5, 1),
  extensionId: "host",
}) + "\n";

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "cli-signals-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

interface Run {
  child: ChildProcess;
  /** Resolves with everything printed on stdout once it holds `text`. */
  printed(text: string): Promise<string>;
  /** The exit code (or the signal's name when the signal killed it) and the output. */
  exited: Promise<{ code: number | string | null; out: string; err: string }>;
}

function start(argv: string[]): Run {
  const child = spawn(
    process.execPath,
    [...("Deno" in globalThis ? ["run", "-A"] : []), CLI, ...argv],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  const waiting: { text: string; resolve: (out: string) => void }[] = [];
  child.stdout!.on("data", (chunk) => {
    out += chunk;
    for (const wait of waiting.filter((w) => out.includes(w.text))) wait.resolve(out);
  });
  child.stderr!.on("data", (chunk) => void (err += chunk));
  const exited = new Promise<{ code: number | string | null; out: string; err: string }>(
    (resolve) => child.on("close", (code, signal) => resolve({ code: code ?? signal, out, err })),
  );
  return {
    child,
    exited,
    printed: (text) =>
      Promise.race([
        new Promise<string>((resolve) => {
          if (out.includes(text)) resolve(out);
          else waiting.push({ text, resolve });
        }),
        exited.then(({ code }) => {
          throw new Error(`exited ${code} before printing ${text}: ${err}`);
        }),
      ]),
  };
}

/** Resolves once `check` holds, polling. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `process.kill`, not `child.kill`: Deno's ChildProcess reports a child it signalled as killed. */
function signal(run: Run, name: "SIGINT" | "SIGTERM"): void {
  process.kill(run.child.pid!, name);
}

describe("SIGINT and SIGTERM stop a following command cleanly: exit 0", () => {
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    test(`tail -f, on ${name}, after printing what it read`, async () => {
      using tmp = tempDir();
      const journal = join(tmp.dir, "j.jsonl");
      writeFileSync(journal, RECORD);
      const run = start(["tail", "-f", journal]);
      await run.printed("hello");
      signal(run, name);
      const { code, out } = await run.exited;
      assert.equal(code, 0);
      assert.match(out, /INFO {2}host hello/);
    });
  }

  test("collect, following, on SIGINT: what it read is committed and said", async () => {
    using tmp = tempDir();
    const journal = join(tmp.dir, "j.jsonl");
    const db = join(tmp.dir, "s.db");
    writeFileSync(journal, RECORD);
    const run = start(["collect", "--db", db, "--poll-ms", "20", journal]);
    await until(() => existsSync(db), "the store");
    await new Promise((resolve) => setTimeout(resolve, 500));
    signal(run, "SIGINT");
    const { code, out, err } = await run.exited;
    assert.equal(code, 0, err);
    assert.match(out, /^collected 1 records/);
  });

  test("export, following, on SIGINT", async () => {
    using tmp = tempDir();
    const journal = join(tmp.dir, "j.jsonl");
    writeFileSync(journal, RECORD);
    let requests = 0;
    const server = createServer((request, response) => {
      requests++;
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const run = start([
        "export",
        "--otlp",
        `http://127.0.0.1:${port}`,
        "--protocol",
        "http/json",
        "--poll-ms",
        "20",
        journal,
      ]);
      await until(() => requests > 0, "the first request");
      signal(run, "SIGINT");
      const { code, out, err } = await run.exited;
      assert.equal(code, 0, err);
      assert.match(out, /^exported 1 records/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  for (const argv of [["receive", "--journal"], ["serve"]]) {
    test(`${argv[0]}, listening, on SIGINT`, async () => {
      using tmp = tempDir();
      const journal = join(tmp.dir, "j.jsonl");
      writeFileSync(journal, RECORD);
      const run = start([...argv, journal, "--port", "0"]);
      await run.printed("http://127.0.0.1:");
      signal(run, "SIGINT");
      const { code, err } = await run.exited;
      assert.equal(code, 0, err);
    });
  }
});
