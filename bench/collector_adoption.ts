// Turns received over OTLP, as a BatchSpanProcessor exports them: each span when it ends, so a
// turn's children reach the journal before its root (the only span with journal.turn_id),
// here DELAY turns later (default 50). Collected in 64 KiB and 1 MiB batches: how many rows
// stay without a turn, how many failed spans show in a turn, how many tokens `--usage --by
// turn` puts under `-`. Run: `node bench/collector_adoption.ts` (on two trees to compare).
// Pass another checkout's root as the first argument to measure its code.
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = process.argv[2] ?? new URL("..", import.meta.url).pathname;
const { collectJournal } = await import(join(root, "src/collector/collect.ts"));
const { openTraceStore } = await import(join(root, "src/collector/trace_store.ts"));
const { queryUsage } = await import(join(root, "src/collector/usage.ts"));
const dir = fs.mkdtempSync(join(tmpdir(), "collector-adoption-"));
const path = join(dir, "otlp.jsonl");
const lines: string[] = [];
const roots: string[][] = [];
const DELAY = Number(process.env.DELAY ?? 50);
const T0 = 1_700_000_000_000;
for (let t = 0; t < 2000; t++) {
  const trace = t.toString(16).padStart(32, "0");
  const h = { extensionId: "otel", traceId: trace };
  const at = T0 + t * 1000;
  const span = (
    id: string,
    parent: string | undefined,
    s: number,
    e: number,
    status: string,
    extra = {},
    attrs?: object,
  ) => [
    {
      kind: "span-open",
      spanId: id,
      ...(parent ? { parentSpanId: parent } : {}),
      name: id,
      timestamp: s,
      ...h,
      ...extra,
    },
    {
      kind: "span-close",
      spanId: id,
      ...(parent ? { parentSpanId: parent } : {}),
      name: id,
      timestamp: e,
      durationMs: e - s,
      status,
      ...h,
      ...(attrs ? { attributes: attrs } : {}),
    },
  ];
  const recs = [
    ...span(`c${t}`, `r${t}`, at + 10, at + 20, "ok", {}, {
      "gen_ai.request.model": "m",
      "gen_ai.usage.input_tokens": 100,
      "gen_ai.usage.output_tokens": 10,
    }),
    { kind: "log", level: "error", msg: "tool failed", timestamp: at + 31, spanId: `x${t}`, ...h },
    ...span(`x${t}`, `r${t}`, at + 30, at + 40, t % 5 === 0 ? "error" : "ok"),
  ];
  for (const r of recs) lines.push(JSON.stringify(r));
  // The root ends (and is exported) DELAY turns later.
  roots.push(
    span(`r${t}`, undefined, at, at + 50, "ok", {
      conversationId: `conv${t % 10}`,
      turnId: `turn${t}`,
    }).map((r) => JSON.stringify(r)),
  );
  if (roots.length > DELAY) lines.push(...roots.shift()!);
}
for (const r of roots) lines.push(...r);
fs.writeFileSync(path, lines.join("\n") + "\n");
for (const chunkSize of [65536, 1024 * 1024]) {
  const store = await openTraceStore(":memory:");
  const stats = await collectJournal(path, { db: store, once: true, chunkSize, worker: false });
  const n = (sql: string) => Number(store.db.prepare(sql).get()?.n);
  const dash = queryUsage(store, { by: "turn" }).filter((r: { key: string | null }) =>
    r.key === null
  ).reduce((a: number, r: { inputTokens: number }) => a + r.inputTokens, 0);
  const total = queryUsage(store, { by: "model" }).reduce(
    (a: number, r: { inputTokens: number }) => a + r.inputTokens,
    0,
  );
  console.log(
    `chunk ${chunkSize}: batches ${stats.batches}, spans without turn ${
      n("SELECT count(*) AS n FROM spans WHERE turn_key IS NULL")
    }/${n("SELECT count(*) AS n FROM spans")}, logs without turn ${
      n("SELECT count(*) AS n FROM logs WHERE turn_key IS NULL")
    }/${n("SELECT count(*) AS n FROM logs")}, failed spans in a turn ${
      n("SELECT count(*) AS n FROM spans WHERE status='error' AND turn_key IS NOT NULL")
    }/${
      n("SELECT count(*) AS n FROM spans WHERE status='error'")
    }, input tokens under '-' ${dash} of ${total}`,
  );
  store.close();
}
fs.rmSync(dir, { recursive: true });
