// What another web page can make a browser ask the viewer, and what it costs: cross-site
// requests are refused before any work, unknown ids are answered from the index without
// reading the journal, a huge turn comes in pages; the Host check holds on a wildcard bind;
// the page itself, asked for a turn, is the static shell.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import type { FsOps } from "../src/fs_ops.ts";
import { defaultFsOps } from "../src/adapters/default.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import { openJournalSource } from "../src/viewer/journal_source.ts";
import { HOSTILE, viewerRecords } from "./fixtures/viewer_journal.ts";

const NOW = Date.now();

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "viewer-req-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

function writeFixture(path: string): void {
  const sink = createJournalSink({ path, fsync: "none" });
  for (const record of viewerRecords(NOW)) sink.emit(record);
  sink.close();
}

async function ready(viewer: ViewerServer): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const list = await (await fetch(`${viewer.url}/api/turns`)).json();
    if (list.turns.length === 4) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the fixture's turns never appeared");
}

/** One HTTP/1.1 exchange on a raw socket, the headers exactly as given. */
function raw(
  port: number,
  head: string,
): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (text += chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const split = text.indexOf("\r\n\r\n");
      resolve({
        status: Number(text.split(" ")[1]),
        headers: text.slice(0, split).toLowerCase(),
        body: text.slice(split + 4),
      });
    });
    socket.on("connect", () => socket.write(`${head}\r\nConnection: close\r\n\r\n`));
  });
}

test("requests another site makes a browser send are refused with 403 before any work", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeFixture(path);
  await using viewer = await serve({ journal: path, port: 0, pollMs: 50 });
  await ready(viewer);
  const own = viewer.url;
  // A raw socket: fetch() sets Sec-Fetch-Mode itself.
  const status = async (path: string, headers: Record<string, string>) => {
    const lines = Object.entries(headers).map(([name, value]) => `\r\n${name}: ${value}`);
    const head = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${viewer.port}${lines.join("")}`;
    return (await raw(viewer.port, head)).status;
  };
  for (const path of ["/api/turn?id=t-fail", "/api/turn?id=nope", "/api/turns", "/viewer.js"]) {
    assert.equal(await status(path, { "sec-fetch-site": "cross-site" }), 403, path);
    assert.equal(await status(path, { "sec-fetch-site": "same-site" }), 403, path);
    assert.equal(await status(path, { origin: "https://evil.example" }), 403, path);
    assert.equal(await status(path, { origin: "null" }), 403, path);
    assert.equal(await status(path, { origin: `http://localhost:${viewer.port + 1}` }), 403, path);
  }
  // The page's own requests, a typed URL, and clients that send neither header still work.
  assert.equal(await status("/api/turn?id=t-fail", { "sec-fetch-site": "same-origin" }), 200);
  assert.equal(await status("/api/turn?id=t-fail", { origin: own }), 200);
  assert.equal(await status("/", { "sec-fetch-site": "none" }), 200);
  assert.equal(await status("/api/turns", {}), 200);
  // A link from another site to the page may still open it (the shell holds no records),
  // but nothing else comes cross-site, not even as a navigation.
  const navigate = { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" };
  assert.equal(await status("/?turn=t-fail", { ...navigate, "sec-fetch-dest": "document" }), 200);
  assert.equal(await status("/api/turns", { ...navigate, "sec-fetch-dest": "document" }), 403);
  assert.equal(await status("/?turn=t-fail", { ...navigate, "sec-fetch-dest": "iframe" }), 403);
});

/** An `FsOps` that counts the bytes read through it. */
function countingFs(): { fs: FsOps; bytes: () => number } {
  const base = defaultFsOps();
  let bytes = 0;
  const fs: FsOps = {
    ...base,
    readFile(path) {
      const data = base.readFile(path);
      bytes += data.length;
      return data;
    },
    readAt(path, offset, length) {
      const data = base.readAt!(path, offset, length);
      bytes += data.length;
      return data;
    },
  };
  return { fs, bytes: () => bytes };
}

test("an id the journal never held is answered from the index, without reading the journal", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeFixture(path);
  const counting = countingFs();
  // Memory for one turn's records only: a turn not kept must still be found in the journal.
  const source = openJournalSource(path, {
    fs: counting.fs,
    pollMs: 60_000,
    maxRecords: 1,
    maxTurns: 2,
  });
  try {
    await source.started;
    for (let i = 0; i < 100 && source.turns({ offset: 0, limit: 10 }).turns.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const read = counting.bytes();
    assert.ok(read > 0);
    for (let i = 0; i < 20; i++) {
      assert.equal(await source.turn(`nope-${i}`), undefined);
      assert.equal(await source.trace(`${i}`.padStart(32, "f")), undefined);
    }
    assert.equal(counting.bytes(), read, "unknown ids read nothing");
    // A turn that was dropped from memory is still read from the journal.
    const dropped = await source.turn("t-ok");
    assert.deepEqual(dropped?.spans.map((span) => span.spanId), ["ok-root", "ok-llm"]);
    assert.ok(counting.bytes() > read);
  } finally {
    await source.close();
  }
});

test("the spans of a huge turn come in pages the page can ask for in turn", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "big.jsonl");
  const scope = { extensionId: "host", turnId: "t-big" };
  const count = 12_001;
  let text =
    JSON.stringify({ kind: "span-open", spanId: "r", name: "turn", timestamp: NOW, ...scope }) +
    "\n";
  for (let i = 1; i < count; i++) {
    text += JSON.stringify({
      kind: "span-open",
      spanId: `s${i}`,
      parentSpanId: "r",
      name: "step",
      timestamp: NOW + i,
      ...scope,
    }) + "\n";
  }
  writeFileSync(path, text);
  await using viewer = await serve({ journal: path, port: 0, pollMs: 50 });
  let first: { spans: { spanId: string }[]; total: number; next?: number } | undefined;
  for (let i = 0; i < 200; i++) {
    const response = await fetch(`${viewer.url}/api/turn?id=t-big`);
    if (response.status === 200) {
      first = await response.json();
      if (first!.total === count) break;
    } else await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(first);
  assert.equal(first.total, count);
  assert.ok(first.spans.length < count && first.spans.length >= 1000, `${first.spans.length}`);
  const ids = first.spans.map((span) => span.spanId);
  let next = first.next;
  while (next !== undefined) {
    const page = await (await fetch(`${viewer.url}/api/turn?id=t-big&offset=${next}`)).json();
    ids.push(...page.spans.map((span: { spanId: string }) => span.spanId));
    next = page.next;
  }
  assert.equal(ids.length, count);
  assert.equal(new Set(ids).size, count, "every span once");
  assert.equal(ids[0], "r");
  const past = await (await fetch(`${viewer.url}/api/turn?id=t-big&offset=${count}`)).json();
  assert.deepEqual([past.spans.length, past.next], [0, undefined]);
  const bad = await fetch(`${viewer.url}/api/turn?id=t-big&offset=-1`);
  await bad.arrayBuffer();
  assert.equal(bad.status, 400);
});

test("bound to every address, the server still refuses a foreign Host header", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeFixture(path);
  for (const host of ["0.0.0.0", "::"]) {
    let viewer: ViewerServer;
    try {
      viewer = await serve({ journal: path, port: 0, host, pollMs: 50 });
    } catch (error) {
      // A machine without IPv6 cannot bind "::"; 0.0.0.0 always runs.
      if (host === "::") continue;
      throw error;
    }
    try {
      const port = viewer.port;
      const get = (hostHeader: string) =>
        raw(port, `GET /api/turns HTTP/1.1\r\nHost: ${hostHeader}`);
      assert.equal((await get(`127.0.0.1:${port}`)).status, 200, host);
      for (
        const foreign of [
          `evil.example:${port}`,
          `0.0.0.0:${port}`,
          `[::]:${port}`,
          `:${port}`,
          `192.0.2.7:${port}`,
        ]
      ) {
        const answer = await get(foreign);
        assert.equal(answer.status, 421, `${host}, Host ${foreign}`);
        assert.doesNotMatch(answer.body, /t-fail/);
      }
    } finally {
      await viewer.close();
    }
  }
});

test("the page asked for a turn is the static shell with its CSP: no record text in it", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "agent.jsonl");
  writeFixture(path);
  await using viewer = await serve({ journal: path, port: 0, pollMs: 50 });
  await ready(viewer);
  const host = `Host: 127.0.0.1:${viewer.port}`;
  const plain = await raw(viewer.port, `GET / HTTP/1.1\r\n${host}`);
  for (
    const target of [
      "/?turn=t-hostile",
      `/?turn=${encodeURIComponent(HOSTILE.name)}`,
      `/?turn=${encodeURIComponent('"><script>alert(1)</script>')}&span=x`,
      "/?trace=0af7651916cd43dd8448eb211c80319c",
    ]
  ) {
    const answer = await raw(viewer.port, `GET ${target} HTTP/1.1\r\n${host}`);
    assert.equal(answer.status, 200, target);
    assert.match(answer.headers, /\r\ncontent-type: text\/html; charset=utf-8\r\n/, target);
    assert.match(
      answer.headers,
      /\r\ncontent-security-policy: default-src 'none'; script-src 'self';[^\r]*frame-ancestors 'none'/,
    );
    assert.match(answer.headers, /\r\nx-content-type-options: nosniff\r\n/);
    assert.equal(answer.body, plain.body, `${target}: the same shell as /`);
    assert.doesNotMatch(answer.body, /t-hostile|pwn|onerror|alert|<script>/);
    assert.match(answer.body, /<script src="\/viewer\.js" defer><\/script>/);
  }
});
