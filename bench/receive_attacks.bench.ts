// What one client can make `journal-sink receive` spend: the time of one protobuf request of
// ATTRS attributes on one span, the latency of small requests sent every 5 ms meanwhile
// (p50/p99, against the same when idle), and the receiver's RSS while UPLOADS uploads of
// 19 MiB stall one byte before their end. The receiver runs as a child process (its RSS
// alone), on loopback; every loop is bounded and stops by itself.
// Run: `node bench/receive_attacks.bench.ts`. Knobs: ATTRS=1900000, UPLOADS=100, DISTINCT=1
// (distinct keys; with ATTRS=1400000 to stay under the 20 MiB body limit),
// RECEIVE_CLI (the cli.ts to run, default ../cli.ts: point it at an older checkout for a
// before figure). Linux only for RSS (/proc/<pid>/status).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadOtlpProtobuf } from "../src/otlp/otlp_protobuf.ts";

const env = (globalThis as { process: { env: Record<string, string | undefined> } }).process.env;
const execPath = (globalThis as { process: { execPath: string } }).process.execPath;
const ATTRS = Number(env.ATTRS ?? 1_900_000);
const UPLOADS = Number(env.UPLOADS ?? 100);
/** Every attribute key different (13 bytes an attribute) rather than 1,296 keys repeated. */
const DISTINCT = env.DISTINCT === "1";
const UPLOAD_BYTES = 19 * 1024 * 1024;
const CLI = env.RECEIVE_CLI ?? fileURLToPath(new URL("../cli.ts", import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), "receive-attacks-bench-"));
const child = spawn(
  execPath,
  [CLI, "receive", "--journal", join(dir, "otlp.jsonl"), "--port", "0"],
  {
    stdio: ["ignore", "pipe", "inherit"],
  },
);
try {
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk) => {
      text += chunk;
      if (text.includes("\n")) resolve(text.slice(0, text.indexOf("\n")));
    });
    child.on("exit", (code) => reject(new Error(`receiver exited ${code}`)));
  });
  const rss = () => {
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  };

  let spanNumber = 0;
  const small = async () => {
    const spanId = (0x1000000000000000 + spanNumber++).toString(16);
    const started = performance.now();
    const response = await fetch(`${url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        resourceSpans: [{
          scopeSpans: [{
            spans: [{
              traceId: "5b8efff798038103d269b633813fc60c",
              spanId,
              name: "small",
              startTimeUnixNano: "1700000000000000000",
              endTimeUnixNano: "1700000000001000000",
            }],
          }],
        }],
      }),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started };
  };

  const idle: number[] = [];
  for (let i = 0; i < 200; i++) idle.push((await small()).ms);

  const { tracesRequest } = await loadOtlpProtobuf();
  const attributes = Array.from({ length: ATTRS }, (_, i) => ({
    key: DISTINCT ? i.toString(36) : (i % 1296).toString(36), // 2 characters: 10 bytes each
    value: { boolValue: true },
  }));
  const heavyBody = tracesRequest.encode({
    resourceSpans: [{
      scopeSpans: [{
        spans: [{
          traceId: new Uint8Array(16).fill(1),
          spanId: new Uint8Array(8).fill(2),
          name: "heavy",
          startTimeUnixNano: { low: 0, high: 0x17a00000 },
          endTimeUnixNano: { low: 1_000_000, high: 0x17a00000 },
          attributes,
        }],
      }],
    }],
  });
  attributes.length = 0;
  const heavyStart = performance.now();
  let heavyDone = false;
  const heavy = fetch(`${url}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/x-protobuf" },
    body: heavyBody as BodyInit,
  }).then(async (response) => {
    await response.arrayBuffer();
    heavyDone = true;
    return { status: response.status, ms: performance.now() - heavyStart };
  });
  const during: number[] = [];
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 12_000 && !heavyDone; i++) { // at most 60 s
    pending.push(small().then((r) => void during.push(r.ms)));
    await sleep(5);
  }
  const heavyResult = await Promise.race([
    heavy,
    sleep(120_000).then(() => ({ status: "no answer", ms: performance.now() - heavyStart })),
  ]);
  await Promise.race([Promise.all(pending), sleep(10_000)]);

  // Stalled uploads: each declares 19 MiB and sends all but its last byte.
  const chunk = new Uint8Array(1024 * 1024).fill(0x20);
  const { hostname, port } = new URL(url);
  const sockets: Socket[] = [];
  let refused = 0;
  const sent = Promise.all(
    Array.from({ length: UPLOADS }, () =>
      new Promise<void>((resolve) => {
        const socket = connect(Number(port), hostname);
        sockets.push(socket);
        let answer = "";
        socket.on("data", (data) => {
          answer += data;
          if (/^HTTP\/1\.1 (503|429)/.test(answer) && !answer.includes("counted")) {
            answer += "counted";
            refused++;
          }
        });
        socket.on("error", () => resolve());
        socket.on("close", () => resolve());
        socket.write(
          `POST /v1/traces HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${UPLOAD_BYTES}\r\n\r\n`,
        );
        let left = UPLOAD_BYTES - 1;
        const pump = () => {
          while (left > 0 && !socket.destroyed) {
            const part = chunk.subarray(0, Math.min(chunk.length, left));
            left -= part.length;
            if (!socket.write(part)) return socket.once("drain", pump);
          }
          resolve();
        };
        pump();
      })),
  );
  await Promise.race([sent, sleep(60_000)]);
  await sleep(1000);
  const stalledRss = rss();
  for (const socket of sockets) socket.destroy();

  console.log(`receiver: ${CLI}`);
  console.log(
    `heavy request (${
      (heavyBody.length / 1048576).toFixed(1)
    } MiB protobuf, ${ATTRS} attributes on one span): ` +
      `${heavyResult.status} in ${ms(heavyResult.ms)}`,
  );
  console.log(
    `small requests idle: ${idle.length}, p50 ${ms(quantile(idle, 0.5))}, p99 ${
      ms(quantile(idle, 0.99))
    }`,
  );
  console.log(
    `small requests during the heavy one: ${during.length}, p50 ${ms(quantile(during, 0.5))}, ` +
      `p99 ${ms(quantile(during, 0.99))}, max ${ms(Math.max(...during))}`,
  );
  console.log(
    `${UPLOADS} uploads of 19 MiB stalled 1 byte short: receiver RSS ${
      stalledRss.toFixed(0)
    } MiB, ` +
      `${refused} answered 503/429`,
  );
} finally {
  child.kill("SIGTERM");
  await new Promise((resolve) => child.on("exit", resolve));
  rmSync(dir, { recursive: true, force: true });
}
