// What another web page can make the viewer spend, and a huge turn's answer: the time of
// `/api/turn?id=<unknown>` on a big journal, the server's CPU time for 20 requests another
// site makes a browser send (what 20 `<img src=…/api/turn?id=…>` tags cost), and the first
// page of a turn of TURN_RECORDS records (bytes, time, RSS after).
// Run: `node bench/viewer_requests.bench.ts` (also `bun …`, `deno run -A …`). Knobs:
// MB=50 (journal size), TURN_RECORDS=200000, VIEWER_SERVE (the serve module to measure,
// default ../src/viewer/serve.ts: point it at an older checkout for a before figure).
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = (globalThis as { process: { env: Record<string, string | undefined> } }).process.env;
const proc = (globalThis as {
  process: {
    cpuUsage(previous?: { user: number; system: number }): { user: number; system: number };
    memoryUsage(): { rss: number };
  };
}).process;
const MB = Number(env.MB ?? 50);
const TURN_RECORDS = Number(env.TURN_RECORDS ?? 200_000);
const { serve } = await import(env.VIEWER_SERVE ?? "../src/viewer/serve.ts");

const dir = mkdtempSync(join(tmpdir(), "viewer-requests-bench-"));
try {
  // A journal of MB megabytes: turns of a root, two children and two logs.
  const path = join(dir, "big.jsonl");
  const lines: string[] = [];
  let bytes = 0;
  const t0 = 1_700_000_000_000;
  for (let turn = 0; bytes < MB * 1024 * 1024; turn++) {
    const scope = `"extensionId":"host","conversationId":"c${turn >> 4}","turnId":"t${turn}"`;
    const at = t0 + turn * 10;
    const batch = [
      `{"kind":"span-open","spanId":"r${turn}","name":"turn","timestamp":${at},${scope}}`,
      `{"kind":"span-open","spanId":"l${turn}","parentSpanId":"r${turn}","name":"chat m","timestamp":${
        at + 1
      },${scope},"attributes":{"gen_ai.usage.input_tokens":120}}`,
      `{"kind":"log","level":"info","msg":"streaming started for the request","timestamp":${
        at + 2
      },"spanId":"l${turn}",${scope}}`,
      `{"kind":"span-close","spanId":"l${turn}","parentSpanId":"r${turn}","name":"chat m","timestamp":${
        at + 5
      },"durationMs":4,"status":"ok",${scope},"attributes":{"gen_ai.usage.output_tokens":40}}`,
      `{"kind":"log","level":"info","msg":"turn done","timestamp":${
        at + 6
      },"spanId":"r${turn}",${scope}}`,
      `{"kind":"span-close","spanId":"r${turn}","name":"turn","timestamp":${
        at + 7
      },"durationMs":7,"status":"ok",${scope}}`,
    ].join("\n") + "\n";
    lines.push(batch);
    bytes += batch.length;
  }
  writeFileSync(path, lines.join(""));
  lines.length = 0;
  const size = statSync(path).size;
  const viewer = await serve({ journal: path, port: 0 });
  // Until the follower has read the whole journal: the version stops changing.
  let last = "";
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { version } = await (await fetch(`${viewer.url}/api/version`)).json();
    if (version === last) break;
    last = version;
  }
  const timed = async (headers: Record<string, string> = {}) => {
    const start = performance.now();
    const response = await fetch(`${viewer.url}/api/turn?id=no-such-turn`, { headers });
    await response.arrayBuffer();
    return { ms: performance.now() - start, status: response.status };
  };
  const unknown = [await timed(), await timed(), await timed()];
  const cpu = proc.cpuUsage();
  const statuses = new Set<number>();
  for (let i = 0; i < 20; i++) {
    statuses.add(
      (await timed({ "sec-fetch-site": "cross-site", "sec-fetch-dest": "image" })).status,
    );
  }
  const used = proc.cpuUsage(cpu);
  console.log(
    `journal ${(size / 1e6).toFixed(0)} MB: GET /api/turn?id=<unknown> ` +
      unknown.map((u) => `${u.ms.toFixed(1)} ms (${u.status})`).join(", "),
  );
  console.log(
    `20 cross-site requests: ${((used.user + used.system) / 1e6).toFixed(3)} CPU-s ` +
      `(answered ${[...statuses].join(", ")})`,
  );
  await viewer.close();

  // One turn of TURN_RECORDS records.
  const huge = join(dir, "huge.jsonl");
  const parts: string[] = [
    `{"kind":"span-open","spanId":"r","name":"turn","timestamp":${t0},"extensionId":"host","turnId":"t-huge"}\n`,
  ];
  for (let i = 1; i < TURN_RECORDS; i++) {
    parts.push(
      `{"kind":"span-open","spanId":"s${i}","parentSpanId":"r","name":"step","timestamp":${
        t0 + i
      },"extensionId":"host","turnId":"t-huge","attributes":{"i":${i}}}\n`,
    );
  }
  writeFileSync(huge, parts.join(""));
  parts.length = 0;
  const second = await serve({ journal: huge, port: 0 });
  for (;;) {
    const response = await fetch(`${second.url}/api/turns`);
    const list = await response.json();
    if (list.turns[0]?.spans === TURN_RECORDS) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const start = performance.now();
  const response = await fetch(`${second.url}/api/turn?id=t-huge`);
  const body = await response.arrayBuffer();
  console.log(
    `turn of ${TURN_RECORDS} records: first answer ${(body.byteLength / 1e6).toFixed(1)} MB in ${
      (performance.now() - start).toFixed(0)
    } ms, RSS after ${(proc.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  await second.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
