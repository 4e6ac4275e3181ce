// The viewer's figures: time to the first turn list, to the list with filters (model, status,
// text, duration), to a conversation of 200 turns and to /api/stats on a store of 1M records, the
// same over the same journal followed, the time the journal source takes to index it, time to
// draw a turn of 10,000 spans in Chromium, and the server's RSS while it follows a journal a
// writer fills at 10k records/s for a minute. The workload is the collector benches'
// (collector_workload.ts), and after it one conversation of 200 turns of the same mix.
// Run: `node bench/viewer.bench.ts` (also `bun …`, `deno run -A …`). Knobs: RECORDS=1000000,
// SPANS=10000, RATE=10000, SECONDS=60, CHROMIUM_PATH=/usr/bin/chromium, and the server's
// memory bounds MAX_RECORDS=10000, MAX_TURNS=10000, HEAP_LOG=1 (the child prints its V8
// heap every 5 s), SERVER_FLAGS (runtime flags for the server), and ONLY=rss (only the RSS phase: no store of RECORDS records to build,
// no Chromium).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, type LogRecord } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { serve } from "../src/viewer/serve.ts";
import { CHROMIUM, chromiumFound, launchChromium } from "../tests/fixtures/chromium.ts";
import { workload } from "./collector_workload.ts";

const env = (globalThis as { process: { env: Record<string, string | undefined> } }).process.env;
const argv = (globalThis as { process: { argv: string[] } }).process.argv;
const stderr = (globalThis as { process: { stderr: { write(chunk: Uint8Array): void } } }).process
  .stderr;
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const RECORDS = Number(env.RECORDS ?? 1_000_000);
const SPANS = Number(env.SPANS ?? 10_000);
const RATE = Number(env.RATE ?? 10_000);
const SECONDS = Number(env.SECONDS ?? 60);
const ONLY_RSS = env.ONLY === "rss";

/** The turns of one long conversation, as the workload writes them, after `start`. */
function* longConversation(turns: number, start: number): Generator<LogRecord> {
  const prefix = (id: unknown) => typeof id === "string" ? `long-${id}` : undefined;
  for (const record of workload(turns * 14, start)) {
    const r = record as LogRecord & { turnId: string };
    const turn = Number(r.turnId.slice(1));
    if (turn >= turns) break;
    yield {
      ...r,
      conversationId: "long",
      turnId: `long-${r.turnId}`,
      ...("spanId" in r && r.spanId ? { spanId: prefix(r.spanId) } : {}),
      ...("parentSpanId" in r && r.parentSpanId ? { parentSpanId: prefix(r.parentSpanId) } : {}),
    } as LogRecord;
  }
}

/** The list's filters the page sends, one at a time and together. */
const LIST_FILTERS: [label: string, query: string][] = [
  ["model", "model=m-small"],
  ["status", "status=error"],
  ["text", "q=tool"],
  ["duration", "minMs=2000&maxMs=2500"],
  ["all four", "model=m-large&status=error&q=turn&minMs=1000&maxMs=3000"],
];

/** Milliseconds of `count` answers to `path`: the least and the median. */
async function answerTimes(url: string, path: string, count = 3): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const response = await fetch(`${url}${path}`);
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    await response.arrayBuffer();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return `${times[0].toFixed(0)}/${times[times.length >> 1].toFixed(0)}`;
}

/** The list with each filter, and the conversation of 200 turns (least/median ms of three). */
async function filtersAndConversation(url: string, label: string): Promise<void> {
  const filters: string[] = [];
  for (const [name, query] of LIST_FILTERS) {
    filters.push(`${name} ${await answerTimes(url, `/api/turns?${query}`)}`);
  }
  console.log(`  list with filters (${label}), least/median ms: ${filters.join(", ")}`);
  const chat = await (await fetch(`${url}/api/conversation?id=long`)).json() as {
    turns: unknown[];
  };
  console.log(
    `  conversation of ${chat.turns.length} turns (${label}), least/median ms: ${await answerTimes(
      url,
      "/api/conversation?id=long",
    )}`,
  );
}

/** One turn of `spans` spans: a few levels deep, every 10th with a log, a few failing, the last open. */
function* bigTurn(spans: number, start: number): Generator<LogRecord> {
  const scope = { extensionId: "host", conversationId: "big", turnId: "big-turn" };
  yield { kind: "span-open", spanId: "b0", name: "turn", timestamp: start, ...scope };
  for (let i = 1; i < spans; i++) {
    const parent = i < 10 ? "b0" : `b${Math.floor(i / 10)}`;
    const t = start + i;
    yield {
      kind: "span-open",
      spanId: `b${i}`,
      parentSpanId: parent,
      name: i % 3 ? "tool-call" : "chat",
      timestamp: t,
      ...scope,
      attributes: { index: i },
    };
    if (i % 10 === 0) {
      yield {
        kind: "log",
        level: "info",
        msg: `log ${i}`,
        timestamp: t + 1,
        spanId: `b${i}`,
        ...scope,
      };
    }
    if (i !== spans - 1) {
      yield {
        kind: "span-close",
        spanId: `b${i}`,
        parentSpanId: parent,
        name: i % 3 ? "tool-call" : "chat",
        timestamp: t + 5,
        durationMs: 5,
        status: i % 97 === 0 ? "error" : "ok",
        ...scope,
      };
    }
  }
  yield {
    kind: "span-close",
    spanId: "b0",
    name: "turn",
    timestamp: start + spans + 10,
    durationMs: spans + 10,
    status: "ok",
    ...scope,
  };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

// deno-lint-ignore no-explicit-any
async function launch(): Promise<any> {
  if (!chromiumFound()) return undefined;
  return await launchChromium(mkdtempSync(join(tmpdir(), "viewer-bench-chromium-")));
}

/** ms from navigation start to the mark the page sets once it has drawn. */
// deno-lint-ignore no-explicit-any
async function drawTime(browser: any, url: string, ready: string, mark: string): Promise<number> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  await page.goto(url);
  await page.waitForSelector(`body[data-ready="${ready}"]`, { timeout: 60_000 });
  const at = await page.evaluate(
    (name: string) => performance.getEntriesByName(name)[0]?.startTime,
    mark,
  );
  await page.close();
  return at;
}

/**
 * `/api/stats` over the whole source (three runs) and over its last tenth (a range), as the
 * page asks it.
 */
async function statsTimes(url: string, label: string): Promise<void> {
  const times: number[] = [];
  let rows = 0;
  let calls = 0;
  let last = 0;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const answer = await (await fetch(`${url}/api/stats`)).json() as {
      rows: { kind: string; calls: number }[];
      chart: { start: number; bucketMs: number; calls: number[] };
    };
    times.push(performance.now() - t);
    rows = answer.rows.length;
    calls = answer.rows.filter((r) => r.kind === "name").reduce((a, r) => a + r.calls, 0);
    last = answer.chart.start + answer.chart.calls.length * answer.chart.bucketMs;
    if (i === 0) {
      const first = answer.chart.start;
      const from = Math.round(first + (last - first) * 0.9);
      const r = performance.now();
      await (await fetch(`${url}/api/stats?from=${from}&to=${last}`)).arrayBuffer();
      const rangeMs = performance.now() - r;
      console.log(`  /stats (${label}) over its last tenth: ${rangeMs.toFixed(0)} ms`);
    }
  }
  console.log(
    `  /stats (${label}), ${calls} finished spans, ${rows} rows: ${
      times.map((t) => t.toFixed(0)).join(", ")
    } ms`,
  );
}

/** Phases 1 and 2: the first list on a store of RECORDS records, and the SPANS-span turn. */
// deno-lint-ignore no-explicit-any
async function listAndDraw(dir: string, browser: any): Promise<void> {
  const journal = join(dir, "agent.jsonl");
  const sink = createJournalSink({
    path: journal,
    maxBytes: 64 * 1024 * 1024,
    maxFiles: 50,
    fsync: "none",
  });
  let end = 0;
  for (const record of workload(RECORDS)) {
    sink.emit(record);
    end = record.timestamp;
  }
  for (const record of longConversation(200, end + 1000)) sink.emit(record);
  sink.close();
  const written = sink.stats.written;
  const db = join(dir, "traces.db");
  await collectJournal(journal, { db, once: true });
  console.log(
    `${runtime}: store of ${RECORDS} records, ${(statSync(db).size / 1e6).toFixed(0)} MB`,
  );
  const t0 = performance.now();
  const viewer = await serve({ db, port: 0 });
  const first = await (await fetch(`${viewer.url}/api/turns`)).json() as { turns: unknown[] };
  const listMs = performance.now() - t0;
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await (await fetch(`${viewer.url}/api/turns?offset=${i * 1000}`)).arrayBuffer();
    samples.push(performance.now() - t);
  }
  const filtered = performance.now();
  await (await fetch(`${viewer.url}/api/turns?status=error&q=tool`)).arrayBuffer();
  const filterMs = performance.now() - filtered;
  console.log(
    `  first list (open store + /api/turns, ${first.turns.length} turns): ${
      listMs.toFixed(0)
    } ms; ` +
      `later pages ${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)} ms; ` +
      `status+text filter ${filterMs.toFixed(0)} ms`,
  );
  await filtersAndConversation(viewer.url, "store");
  await statsTimes(viewer.url, "store");
  if (browser) {
    const drawn = await drawTime(browser, viewer.url + "/", "list", "viewer:list-drawn");
    console.log(`  list drawn in Chromium: ${drawn.toFixed(0)} ms after navigation start`);
  }
  await viewer.close();

  // The same journal through the journal source: until it has indexed every record (its
  // version counts them).
  const caughtUp = performance.now();
  const follower = await serve({ journal, port: 0 });
  while (true) {
    const answer = await (await fetch(`${follower.url}/api/version`)).json() as {
      version: string;
    };
    if (answer.version === String(written)) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const catchUpMs = performance.now() - caughtUp;
  console.log(
    `  journal source caught up with ${written} records in ${(catchUpMs / 1000).toFixed(1)} s ` +
      `(${(catchUpMs * 1000 / written).toFixed(1)} µs a record)`,
  );
  await filtersAndConversation(follower.url, "journal");
  await statsTimes(follower.url, "journal");
  await follower.close();

  // 2. A turn of SPANS spans in the browser.
  if (browser) {
    const bigPath = join(dir, "big.jsonl");
    const big = createJournalSink({ path: bigPath, fsync: "none" });
    for (const record of bigTurn(SPANS, Date.now() - 60_000)) big.emit(record);
    big.close();
    const bigDb = join(dir, "big.db");
    await collectJournal(bigPath, { db: bigDb, once: true });
    for (
      const [label, options] of [["journal", { journal: bigPath }], ["store", {
        db: bigDb,
      }]] as const
    ) {
      const server = await serve({ ...options, port: 0 });
      // The journal source indexes in the background: wait until it has the whole turn.
      while (true) {
        const answer = await (await fetch(`${server.url}/api/turns`)).json() as {
          turns: { spans: number }[];
        };
        if (answer.turns[0]?.spans === SPANS) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        times.push(
          await drawTime(browser, `${server.url}/?turn=big-turn`, "turn", "viewer:turn-drawn"),
        );
      }
      console.log(
        `  ${SPANS}-span turn drawn in Chromium (${label}): first load ${
          times[0].toFixed(0)
        } ms, ` +
          `reloads (answer kept by the server) ${times[1].toFixed(0)}, ${
            times[2].toFixed(0)
          } ms after navigation start`,
      );
      await server.close();
    }
  }
}

if (argv.includes("--serve-child")) {
  // The server under measurement, in its own process so its RSS is its own.
  const journal = argv[argv.indexOf("--serve-child") + 1];
  const bound = (name: string) => env[name] === undefined ? undefined : Number(env[name]);
  const viewer = await serve({
    journal,
    port: 0,
    maxRecords: bound("MAX_RECORDS"),
    maxTurns: bound("MAX_TURNS"),
  });
  console.log(viewer.url);
  if (env.HEAP_LOG === "1") {
    // Where the RSS goes: V8's heap (used / reserved) and memory outside it, every 5 s.
    const memory = (globalThis as unknown as {
      process: {
        memoryUsage(): Record<
          "rss" | "heapUsed" | "heapTotal" | "external" | "arrayBuffers",
          number
        >;
      };
    }).process;
    setInterval(() => {
      const m = memory.memoryUsage();
      const mib = (n: number) => (n / 1048576).toFixed(0);
      console.error(
        `  child: rss ${mib(m.rss)} heapUsed ${mib(m.heapUsed)} heapTotal ${mib(m.heapTotal)} ` +
          `external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)} MiB`,
      );
    }, 5_000);
  }
} else {
  const dir = mkdtempSync(join(tmpdir(), "viewer-bench-"));
  const browser = ONLY_RSS ? undefined : await launch();
  if (!browser && !ONLY_RSS) console.log(`(no Chromium at ${CHROMIUM}: browser figures skipped)`);
  try {
    if (!ONLY_RSS) await listAndDraw(dir, browser);
    // 3. RSS of a server following a journal written at RATE records/s for SECONDS s.
    const live = join(dir, "live.jsonl");
    const writer = createJournalSink({
      path: live,
      maxBytes: 16 * 1024 * 1024,
      maxFiles: 3,
      fsync: "none",
    });
    writer.emit({
      kind: "log",
      level: "info",
      msg: "start",
      timestamp: Date.now(),
      extensionId: "host",
    });
    writer.flush();
    const self = new URL(import.meta.url).pathname;
    // SERVER_FLAGS: the runtime's own flags for the server (`--trace-gc` on node,
    // `--v8-flags=--trace-gc` on deno).
    const flags = (env.SERVER_FLAGS ?? "").split(" ").filter(Boolean);
    const args = runtime === "deno"
      ? ["run", "-A", ...flags, self, "--serve-child", live]
      : [...flags, self, "--serve-child", live];
    const child = spawn((globalThis as { process: { execPath: string } }).process.execPath, args, {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
    // Anything else the server prints (a runtime's GC trace, say) goes to stderr.
    child.stdout!.on("data", (chunk: Uint8Array) => stderr.write(chunk));
    if (ONLY_RSS) console.log(`${runtime}: RSS phase only`);
    const rss: number[] = [rssMiB(child.pid!)];
    const records = workload(Number.MAX_SAFE_INTEGER, Date.now());
    const started = performance.now();
    let written = 0;
    let nextSample = 5_000;
    while (performance.now() - started < SECONDS * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * RATE);
      while (written < due) {
        writer.emit(records.next().value as LogRecord);
        written++;
      }
      if (performance.now() - started >= nextSample) {
        rss.push(rssMiB(child.pid!));
        nextSample += 5_000;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    writer.close();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    rss.push(rssMiB(child.pid!));
    child.kill();
    console.log(
      `  following at ${RATE} records/s for ${SECONDS} s (${written} records, ${writer.stats.rotations} rotations): ` +
        `server RSS start ${rss[0].toFixed(0)} MiB, after 5 s ${rss[1].toFixed(0)} MiB, end ${
          rss.at(-1)!.toFixed(0)
        } MiB, ` +
        `max ${Math.max(...rss).toFixed(0)} MiB; from 20 s on ${
          Math.min(...rss.slice(4)).toFixed(0)
        }–${Math.max(...rss.slice(4)).toFixed(0)} MiB; samples every 5 s ${
          rss.map((v) => v.toFixed(0)).join(" ")
        }`,
    );
    // Flat or growing? A sawtooth (the GC's) hides a slow climb in min–max: the range of
    // each minute, and the least-squares slope of the samples after the first minute.
    const grid = rss.slice(1, -1); // the samples at 5, 10, … s
    const minutes: string[] = [];
    for (let at = 0; at < grid.length; at += 12) {
      const minute = grid.slice(at, at + 12);
      minutes.push(`${Math.min(...minute).toFixed(0)}–${Math.max(...minute).toFixed(0)}`);
    }
    const late = grid.slice(11).map((v, i) => [(60 + 5 * i) / 60, v]);
    if (late.length >= 12) {
      const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
      const mx = mean(late.map(([x]) => x));
      const my = mean(late.map(([, y]) => y));
      const slope = late.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0) /
        late.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
      console.log(
        `  RSS by minute (MiB): ${minutes.join(", ")}; trend from 60 s on ${slope >= 0 ? "+" : ""}${
          slope.toFixed(1)
        } MiB/min`,
      );
    }
  } finally {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
