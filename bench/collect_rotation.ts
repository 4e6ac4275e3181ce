// Live `collect` across rotations, as a user runs it: a writer process rotating its journal
// every 200 KB while `journal-sink collect --db s.db j.jsonl` follows it, then SIGINT. Per run:
// records written and stored, spans stored twice, spans `query --open` shows that the journal
// closed, closes stored without their open. RELIABILITY.md's figures come from here.
// Run: `node bench/collect_rotation.ts`, `bun bench/collect_rotation.ts`,
// `deno run -A bench/collect_rotation.ts`. TURNS=10700 RUNS=5 MAX_BYTES=204800 COMPRESS=none
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queryOpenSpans } from "../src/collector/query.ts";
import { openTraceStore, type TraceStore } from "../src/collector/trace_store.ts";
import { RECORDS_PER_TURN } from "../tests/fixtures/collect_rotation_turns.ts";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process
  ?.env ?? {};
const turns = Number(env.TURNS ?? 10_700);
const runs = Number(env.RUNS ?? 5);
const maxBytes = Number(env.MAX_BYTES ?? 200 * 1024);
const compress = env.COMPRESS === "gzip" ? "gzip" : "none";
const runtime = [process.execPath, ...("Deno" in globalThis ? ["run", "-A"] : [])];
const here = (path: string) => new URL(path, import.meta.url).pathname;

/** Runs a process of this runtime; resolves with its stdout once it exits. */
function run(args: string[], onStart?: (stop: () => void) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(runtime[0], [...runtime.slice(1), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => void (out += chunk));
    child.stderr.on("data", (chunk) => void (err += chunk));
    child.on("error", reject);
    // Deno's child_process reports a child stopped by the SIGINT it was sent as ended by
    // that signal, even when the child handled it and exited 0.
    child.on(
      "close",
      (code, signal) =>
        code === 0 || signal === "SIGINT"
          ? resolve(out)
          : reject(new Error(`${args[0]} exited ${code ?? signal}: ${err}`)),
    );
    onStart?.(() => child.kill("SIGINT"));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const count = (store: TraceStore, sql: string) => Number(store.db.prepare(sql).get()?.n);

console.log(
  `${turns} turns (${turns * RECORDS_PER_TURN} records) a run, rotating every ${maxBytes} bytes, ` +
    `compress ${compress}, on ${
      "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node"
    }`,
);
console.log(
  "| run | written | collected | stored rows | spans stored twice | phantom open | close without open |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (let n = 1; n <= runs; n++) {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-collect-rotation-"));
  const journal = join(dir, "j.jsonl");
  const db = join(dir, "s.db");
  try {
    const writing = run([
      here("../tests/fixtures/collect_rotation_writer.ts"),
      journal,
      String(turns),
      String(maxBytes),
      "1000",
      compress,
    ]);
    while (!existsSync(journal)) await sleep(5);
    let stop = () => {};
    const collecting = run(
      [here("../cli.ts"), "collect", "--db", db, journal],
      (kill) => stop = kill,
    );
    await writing;
    // Until the last turn's close is stored (or a minute), then a pass more.
    while (!existsSync(db)) await sleep(50);
    const last = `SELECT count(*) AS n FROM spans WHERE span_id = 'T${
      turns - 1
    }' AND status = 'ok'`;
    for (let tries = 0; tries < 600; tries++) {
      const store = await openTraceStore(db, { readOnly: true });
      const seen = count(store, last);
      store.close();
      if (seen > 0) break;
      await sleep(100);
    }
    await sleep(600);
    stop();
    const said = await collecting;
    const collected = Number(/collected (\d+) records/.exec(said)?.[1]);
    const store = await openTraceStore(db, { readOnly: true });
    const rows = count(
      store,
      "SELECT (SELECT count(*) FROM logs) + (SELECT count(*) FROM spans) AS n",
    );
    const twice = count(
      store,
      "SELECT count(*) AS n FROM (SELECT span_id FROM spans GROUP BY span_id HAVING count(*) > 1)",
    );
    const open = queryOpenSpans(store).length;
    const orphans = count(store, "SELECT count(*) AS n FROM spans WHERE close_without_open");
    store.close();
    console.log(
      `| ${n} | ${turns * RECORDS_PER_TURN} | ${collected} | ${rows} (of ${
        turns * 3
      }) | ${twice} | ${open} | ${orphans} |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
