// What the viewer's model-call pane costs the server: a turn of CALLS model calls, each with a
// prompt:before and a provider.request of about KB kilobytes (an extension added a system prompt
// and a message) and a response. Measures the first `/api/diff` of a call (the turn's view built,
// the difference of every call computed), a later call's (computed already), the answer's
// size against the bodies', and `&part=after` (a body whole).
// Run: `node bench/viewer_diff.bench.ts` (also `bun …`, `deno run -A …`). Knobs: CALLS=200, KB=100.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../src/viewer/serve.ts";

const env = (globalThis as { process: { env: Record<string, string | undefined> } }).process.env;
const CALLS = Number(env.CALLS ?? 200);
const KB = Number(env.KB ?? 100);

const dir = mkdtempSync(join(tmpdir(), "viewer-diff-bench-"));
try {
  const path = join(dir, "turn.jsonl");
  const scope = { extensionId: "host", conversationId: "c1", turnId: "t1" };
  const t0 = 1_700_000_000_000;
  const lines: string[] = [];
  const line = (record: Record<string, unknown>) => lines.push(JSON.stringify(record));
  // Twenty messages of about KB / 20 kilobytes each.
  const history = Array.from({ length: 20 }, (_, i) => ({
    role: i % 2 === 0 ? "user" : "assistant",
    content: `message ${i}: ` +
      "words of a long conversation ".repeat(Math.ceil(KB * 1024 / 20 / 29)),
  }));
  line({ kind: "span-open", spanId: "root", name: "turn", timestamp: t0, ...scope });
  for (let i = 0; i < CALLS; i++) {
    const at = t0 + i * 100;
    const step = `step${i}`;
    const call = `call${i}`;
    line({
      kind: "span-open",
      spanId: step,
      parentSpanId: "root",
      name: "step",
      timestamp: at,
      ...scope,
    });
    line({
      kind: "log",
      level: "info",
      msg: "prompt:before",
      timestamp: at + 1,
      spanId: step,
      ...scope,
      body: history,
    });
    line({
      kind: "span-open",
      spanId: call,
      parentSpanId: step,
      name: "chat gpt-4o",
      timestamp: at + 2,
      ...scope,
    });
    line({
      kind: "log",
      level: "info",
      msg: "provider.request",
      timestamp: at + 2,
      spanId: call,
      ...scope,
      body: {
        model: "gpt-4o",
        messages: [
          { role: "system", content: "You are helpful." },
          ...history.slice(2),
          { role: "user", content: `Context ${i}: retrieved facts.` },
        ],
      },
    });
    line({
      kind: "log",
      level: "info",
      msg: "provider.response",
      timestamp: at + 50,
      spanId: call,
      ...scope,
      body: { id: `r${i}`, choices: [{ message: { role: "assistant", content: "Sure." } }] },
    });
    line({
      kind: "span-close",
      spanId: call,
      parentSpanId: step,
      name: "chat gpt-4o",
      timestamp: at + 50,
      durationMs: 48,
      status: "ok",
      ...scope,
    });
    line({
      kind: "span-close",
      spanId: step,
      parentSpanId: "root",
      name: "step",
      timestamp: at + 60,
      durationMs: 60,
      status: "ok",
      ...scope,
    });
  }
  line({
    kind: "span-close",
    spanId: "root",
    name: "turn",
    timestamp: t0 + CALLS * 100,
    durationMs: CALLS * 100,
    status: "ok",
    ...scope,
  });
  writeFileSync(path, lines.join("\n") + "\n");
  const size = statSync(path).size;
  await using viewer = await serve({ journal: path, port: 0 });
  // Until the follower has indexed the whole turn.
  for (;;) {
    const list = await (await fetch(`${viewer.url}/api/turns`)).json();
    if (list.turns[0]?.status === "ok") break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const time = async (url: string) => {
    const started = performance.now();
    const response = await fetch(viewer.url + url);
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${url}: ${response.status} ${text}`);
    return { ms: performance.now() - started, bytes: text.length };
  };
  const first = await time(`/api/diff?turn=t1&span=call${CALLS - 1}`);
  // The page's order: the turn first (its view kept), then the pane.
  await using again = await serve({ journal: path, port: 0 });
  for (;;) {
    const list = await (await fetch(`${again.url}/api/turns`)).json();
    if (list.turns[0]?.status === "ok") break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const turnStarted = performance.now();
  await (await fetch(`${again.url}/api/turn?id=t1`)).text();
  const turnMs = performance.now() - turnStarted;
  const paneStarted = performance.now();
  await (await fetch(`${again.url}/api/diff?turn=t1&span=call${CALLS - 1}`)).text();
  const paneMs = performance.now() - paneStarted;
  const later = await time(`/api/diff?turn=t1&span=call0`);
  const whole = await time(`/api/diff?turn=t1&span=call0&part=after`);
  const mb = (n: number) => (n / 1024 / 1024).toFixed(2) + " MB";
  console.log(`journal: ${CALLS} model calls, ${mb(size)}`);
  console.log(
    `first /api/diff of a call (view + every call's difference): ${
      first.ms.toFixed(0)
    } ms, answer ${(first.bytes / 1024).toFixed(1)} KB`,
  );
  console.log(
    `after /api/turn (${turnMs.toFixed(0)} ms, its view kept), the first /api/diff: ${
      paneMs.toFixed(0)
    } ms`,
  );
  console.log(
    `a later call's /api/diff: ${later.ms.toFixed(1)} ms, answer ${
      (later.bytes / 1024).toFixed(1)
    } KB`,
  );
  console.log(
    `&part=after (the request whole): ${whole.ms.toFixed(1)} ms, ${
      (whole.bytes / 1024).toFixed(1)
    } KB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
