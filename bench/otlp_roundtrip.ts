// The OTLP round trip at scale: a journal of TURNS turns (two spans and three log entries
// each, one turn in ten left open as after a crash) exported with its open spans
// (`exportOtlp --include-open`) to `receiveOtlp` and counted back: records, log entries
// (each once) and spans still open. Prints one Markdown row per protocol.
// Run: `deno run -A bench/otlp_roundtrip.ts`, `node bench/otlp_roundtrip.ts`,
// `bun bench/otlp_roundtrip.ts`. TURNS=2000 by default.
import { createJournalSink, type LogRecord } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { exportOtlp } from "../src/otlp/otlp_export.ts";
import { receiveOtlp } from "../src/otlp/receive_otlp.ts";
const TURNS = Number(globalThis.process?.env?.TURNS ?? 2000);
const fs = createFakeFs();
const sink = createJournalSink({ path: "j.jsonl", fs, maxBytes: 1 << 30 });
let written = 0, logs = 0, open = 0;
const hex = (n: number) => n.toString(16).padStart(16, "0");
for (let t = 0; t < TURNS; t++) {
  const s = { extensionId: "host", conversationId: `c${t % 7}`, turnId: `t${t}` };
  const root = hex(2 * t + 1), tool = hex(2 * t + 2), at = 1_700_000_000_000 + t * 100;
  const crashed = t % 10 === 9;
  const emit = (r: LogRecord) => {
    sink.emit(r);
    written++;
    if (r.kind === "log") logs++;
  };
  emit({
    kind: "span-open",
    spanId: root,
    name: "turn",
    timestamp: at,
    ...s,
    attributes: { n: t },
  });
  emit({ kind: "log", level: "info", msg: "start", timestamp: at + 1, ...s, spanId: root });
  emit({
    kind: "span-open",
    spanId: tool,
    parentSpanId: root,
    name: "tool",
    timestamp: at + 2,
    ...s,
  });
  emit({
    kind: "log",
    level: "warn",
    msg: "slow",
    timestamp: at + 3,
    ...s,
    spanId: tool,
    body: { t },
  });
  if (crashed) {
    open += 2;
    continue;
  }
  emit({
    kind: "span-close",
    spanId: tool,
    parentSpanId: root,
    name: "tool",
    timestamp: at + 5,
    durationMs: 2.75,
    status: t % 3 ? "ok" : "error",
    ...s,
  });
  emit({ kind: "log", level: "debug", msg: "outside", timestamp: at + 6, ...s });
  emit({
    kind: "span-close",
    spanId: root,
    name: "turn",
    timestamp: at + 9,
    durationMs: 9,
    status: "ok",
    ...s,
  });
}
sink.close();
console.log(
  "| protocol | records written | records received | log entries received | spans open after the round trip |",
);
console.log("| --- | --- | --- | --- | --- |");
for (const protocol of ["http/json", "http/protobuf"] as const) {
  const got: LogRecord[] = [];
  const r = await receiveOtlp({ sink: { emit: (x) => void got.push(x) }, port: 0 });
  await exportOtlp("j.jsonl", {
    url: r.url,
    once: true,
    includeOpenSpans: true,
    fs,
    env: {},
    protocol,
    statePath: protocol.replace("/", "-"),
  });
  await r.close();
  const opens = new Set(got.filter((x) => x.kind === "span-open").map((x) => x.spanId));
  for (const x of got) if (x.kind === "span-close") opens.delete(x.spanId);
  console.log(
    `| ${protocol} | ${written} | ${got.length} | ${
      got.filter((x) => x.kind === "log").length
    } of ${logs} | ${opens.size} of ${open} |`,
  );
}
