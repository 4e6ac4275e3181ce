// One turn readable, server side: long values reach the page cut with their size and come
// whole from /api/value on demand; an open span carries its writer's last record in the turn;
// the same from a followed journal and from the store.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import {
  cutSpanValues,
  SPAN_TEXT_BUDGET,
  SPENT_CUT_CHARS,
  VALUE_CUT_CHARS,
  valueAt,
} from "../src/viewer/value_cut.ts";
import type { ReadablePage } from "../src/viewer/readable_page.ts";
import type { WaterfallSpan } from "../src/viewer/view_model.ts";
import { AGO_MS, BIG_CHARS, readableTurn } from "./fixtures/viewer_turn_journal.ts";

let dir: string;
let journal: string;
let db: string;
let started: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "viewer-turn-"));
  journal = join(dir, "agent.jsonl");
  db = join(dir, "traces.db");
  started = Date.now();
  const sink = createJournalSink({ path: journal, fsync: "none", maxRecordBytes: 8 * 1024 * 1024 });
  for (const record of readableTurn(started)) sink.emit(record);
  sink.close();
  await collectJournal(journal, { db, once: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function span(attributes: Record<string, unknown>, extra: Partial<WaterfallSpan> = {}) {
  return {
    spanId: "s",
    name: "n",
    extensionId: "x",
    start: 0,
    status: "ok" as const,
    depth: 0,
    parent: -1,
    attributes,
    links: [],
    logs: [],
    anomalies: [],
    ...extra,
  };
}

test("a 4 MiB attribute is sent as its first characters with its whole size", () => {
  const sent = cutSpanValues(span({ big: "y\n".repeat(BIG_CHARS / 2), small: "kept" }));
  assert.equal((sent.attributes.big as string).length, VALUE_CUT_CHARS);
  assert.deepEqual(sent.cut, { "attributes/big": { chars: BIG_CHARS, lines: BIG_CHARS / 2 + 1 } });
  assert.equal(sent.attributes.small, "kept");
});

test("a span sends at most its budget of value text, however many long values it has", () => {
  const attributes: Record<string, unknown> = {};
  for (let i = 0; i < 100; i++) attributes[`a${i}`] = "z".repeat(VALUE_CUT_CHARS * 2);
  const sent = cutSpanValues(span(attributes, { body: { nested: ["q".repeat(50_000)] } }));
  let total = 0;
  for (const value of Object.values(sent.attributes)) total += (value as string).length;
  total += (sent.body as string).length;
  assert.ok(total <= SPAN_TEXT_BUDGET + 100 * SPENT_CUT_CHARS, `${total} characters sent`);
  assert.equal(Object.keys(sent.cut!).length, 101);
  assert.match(
    sent.body as string,
    /^\{\n {2}"nested": \[\n {4}"q+$/,
    "an object's JSON text, cut",
  );
});

test("a span without long values is sent as it is, and log values are cut by their path", () => {
  const small = span({ a: 1, b: "two" }, { body: { c: [3] } });
  assert.equal(cutSpanValues(small), small);
  const logged = cutSpanValues(span({}, {
    logs: [{
      kind: "log",
      level: "info",
      msg: "m",
      timestamp: 1,
      extensionId: "x",
      attributes: { k: "w".repeat(VALUE_CUT_CHARS + 1) },
      body: "v".repeat(VALUE_CUT_CHARS + 1),
    }],
  }));
  assert.deepEqual(Object.keys(logged.cut!), ["logs/0/attributes/k", "logs/0/body"]);
  assert.equal(valueAt(small, "body"), small.body);
  assert.equal(valueAt(small, "attributes/hasOwnProperty"), undefined);
});

for (const source of ["journal", "store"] as const) {
  const open = () =>
    serve(source === "journal" ? { journal, port: 0, pollMs: 50 } : { db, port: 0 });
  const turnPage = async (viewer: ViewerServer): Promise<{ page: ReadablePage; bytes: number }> => {
    for (let i = 0; i < 200; i++) {
      const response = await fetch(`${viewer.url}/api/turn?id=t-read`);
      if (response.status === 200) {
        const text = await response.text();
        return { page: JSON.parse(text), bytes: text.length };
      }
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error("the turn never appeared");
  };

  test(`${source}: the turn's answer is a few hundred KB, the 4 MiB value comes whole from /api/value`, async () => {
    await using viewer = await open();
    const { page, bytes } = await turnPage(viewer);
    assert.ok(bytes < 100_000, `${bytes} bytes for a turn holding a 4 MiB attribute`);
    const big = page.spans.find((s) => s.spanId === "big")!;
    assert.deepEqual(big.cut, { "attributes/tool.result": { chars: BIG_CHARS, lines: 1 } });
    assert.equal(big.attributes["tool.name"], "fetch");
    const url = `${viewer.url}/api/value?turn=t-read&span=big&path=attributes%2Ftool.result`;
    const whole = await (await fetch(url)).json();
    assert.deepEqual({ ...whole, text: whole.text.length }, {
      path: "attributes/tool.result",
      text: BIG_CHARS,
      cut: false,
      chars: BIG_CHARS,
      lines: 1,
    });
    const missing = await fetch(
      `${viewer.url}/api/value?turn=t-read&span=big&path=attributes%2Fnone`,
    );
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const noSpan = await fetch(`${viewer.url}/api/value?turn=t-read&span=zz&path=body`);
    assert.equal(noSpan.status, 404);
    await noSpan.body?.cancel();
  });

  test(`${source}: /api/value keeps the viewer's refusals (Host, another site, read-only)`, async () => {
    await using viewer = await open();
    await turnPage(viewer);
    const url = `${viewer.url}/api/value?turn=t-read&span=big&path=attributes%2Ftool.result`;
    const { request } = await import("node:http");
    const status = (headers: Record<string, string>, method = "GET") =>
      new Promise<number>((resolve, reject) => {
        const r = request(url, { method, headers }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        r.on("error", reject);
        r.end();
      });
    assert.equal(await status({ host: "evil.test:" + viewer.port }), 421);
    assert.equal(await status({ "sec-fetch-site": "cross-site" }), 403);
    assert.equal(await status({}, "POST"), 405);
  });

  test(`${source}: the hung span of the dead writer carries that writer's last record in the turn`, async () => {
    await using viewer = await open();
    const { page } = await turnPage(viewer);
    const hung = page.spans.find((s) => s.spanId === "hung")!;
    assert.equal(hung.status, "open");
    assert.equal(hung.lastRecordAt, started - AGO_MS + 4500);
    const closed = page.spans.filter((s) => s.status !== "open");
    assert.ok(closed.length >= 4 && closed.every((s) => !("lastRecordAt" in s)));
  });
}
