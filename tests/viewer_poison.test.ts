// Records the viewer cannot use, written straight into the journal file: each is skipped
// and counted, and the list and the turns around it keep answering (also after a restart).
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";

const NOW = Date.now() - 60_000;
const scope = { extensionId: "host", conversationId: "c1" };

function lines(records: unknown[]): string {
  return records.map((record) => JSON.stringify(record) + "\n").join("");
}

/** A good turn, then a turn whose records carry every optional field with the wrong type. */
function poisoned(): string {
  const good = [
    { kind: "span-open", spanId: "g", name: "good", timestamp: NOW, turnId: "t-good", ...scope },
    {
      kind: "span-close",
      spanId: "g",
      name: "good",
      timestamp: NOW + 10,
      durationMs: 10,
      status: "ok",
      turnId: "t-good",
      ...scope,
    },
  ];
  const turn = { turnId: "t-bad", ...scope };
  const bad: unknown[] = [
    { kind: "span-open", spanId: "b", name: "bad", timestamp: NOW + 20, ...turn },
    // span.end("ok", "done"): the attributes are a string.
    {
      kind: "span-close",
      spanId: "b",
      name: "bad",
      timestamp: NOW + 30,
      durationMs: 10,
      status: "ok",
      attributes: "done",
      ...turn,
    },
  ];
  for (
    const [field, value] of [
      ["attributes", 5],
      ["attributes", null],
      ["attributes", ["x"]],
      ["links", 5],
      ["links", [null]],
      ["links", {}],
      ["links", "l"],
      ["parentSpanId", 7],
      ["traceId", {}],
      ["conversationId", 3],
      ["turnId", 4],
      ["name", null],
      ["extensionId", {}],
      ["durationMs", "10"],
      ["status", 1],
      ["body", undefined],
    ] as const
  ) {
    const id = `b-${field}-${JSON.stringify(value)}`;
    const spans = [
      { kind: "span-open", spanId: id, parentSpanId: "b", name: "p", timestamp: NOW + 21, ...turn },
      {
        kind: "span-close",
        spanId: id,
        parentSpanId: "b",
        name: "p",
        timestamp: NOW + 22,
        durationMs: 1,
        status: "ok",
        ...turn,
      },
    ];
    for (const record of spans) bad.push({ ...record, [field]: value });
    bad.push({
      kind: "log",
      level: "info",
      msg: "m",
      timestamp: NOW + 21,
      spanId: id,
      ...turn,
      [field]: value,
    });
  }
  bad.push(
    { kind: "log", level: "info", msg: { not: "text" }, timestamp: NOW + 23, ...turn },
    { kind: "span-open", spanId: { id: 1 }, name: "x", timestamp: NOW + 24, ...turn },
    { kind: "span-open", spanId: "ts", name: "x", timestamp: "yesterday", ...turn },
    { kind: "span-close", spanId: "b", timestamp: NOW + 40, ...turn },
  );
  return lines(good) + lines(bad) + '[1,2]\nnull\n42\n"text"\n{"kind":7}\n';
}

async function answer(
  viewer: ViewerServer,
  path: string,
): Promise<{ status: number; body: string }> {
  const response = await fetch(viewer.url + path);
  return { status: response.status, body: await response.text() };
}

async function listedIds(viewer: ViewerServer): Promise<string[]> {
  let ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    const got = await answer(viewer, "/api/turns");
    assert.equal(got.status, 200, got.body);
    ids = (JSON.parse(got.body).turns as { turnId: string }[]).map((t) => t.turnId);
    if (ids.includes("t-bad") && ids.includes("t-after")) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return ids;
}

test("records of the wrong shape written into the journal are skipped: the list and every turn keep answering", async () => {
  const dir = mkdtempSync(join(tmpdir(), "viewer-poison-"));
  try {
    const path = join(dir, "agent.jsonl");
    writeFileSync(path, poisoned());
    const after = lines([{
      kind: "span-open",
      spanId: "a",
      name: "after",
      timestamp: NOW + 50,
      turnId: "t-after",
      ...scope,
    }]);
    for (let round = 0; round < 2; round++) {
      // Round 1 is a restart over the same journal.
      const viewer = await serve({ journal: path, port: 0, pollMs: 50 });
      try {
        if (round === 0) appendFileSync(path, after);
        assert.deepEqual(await listedIds(viewer), ["t-after", "t-bad", "t-good"]);
        for (const id of ["t-good", "t-bad", "t-after"]) {
          const got = await answer(viewer, `/api/turn?id=${id}`);
          assert.equal(got.status, 200, `${id}: ${got.body}`);
        }
        const bad = JSON.parse((await answer(viewer, "/api/turn?id=t-bad")).body);
        assert.equal(bad.spans[0].name, "bad");
        const turns = JSON.parse((await answer(viewer, "/api/turns")).body);
        assert.ok(turns.skipped > 0, `skipped records are counted: ${turns.skipped}`);
      } finally {
        await viewer.close();
      }
    }
    // A restart with memory for one turn only: the evicted turns are read from the journal.
    await using small = await serve({ journal: path, port: 0, pollMs: 50, maxTurns: 1 });
    for (let i = 0; i < 100; i++) {
      const list = JSON.parse((await answer(small, "/api/turns")).body).turns;
      if (list.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const id of ["t-good", "t-bad"]) {
      const got = await answer(small, `/api/turn?id=${id}`);
      assert.equal(got.status, 200, `${id} read again from the journal: ${got.body}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a child closed with a duration longer than it was open does not start its turn early", async () => {
  const dir = mkdtempSync(join(tmpdir(), "viewer-poison-"));
  try {
    const path = join(dir, "agent.jsonl");
    const turn = { turnId: "t1", ...scope };
    writeFileSync(
      path,
      lines([
        { kind: "span-open", spanId: "root", name: "turn", timestamp: NOW, ...turn },
        {
          kind: "span-open",
          spanId: "child",
          parentSpanId: "root",
          name: "child",
          timestamp: NOW + 5,
          ...turn,
        },
        // A monotonic duration against a wall clock that stepped: close - duration is before
        // the turn's own open.
        {
          kind: "span-close",
          spanId: "child",
          parentSpanId: "root",
          name: "child",
          timestamp: NOW + 10,
          durationMs: 50,
          status: "ok",
          ...turn,
        },
      ]),
    );
    await using viewer = await serve({ journal: path, port: 0, pollMs: 50 });
    let list: { name: string; start: number }[] = [];
    for (let i = 0; i < 100 && list.length === 0; i++) {
      list = JSON.parse((await answer(viewer, "/api/turns")).body).turns;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(list.map((t) => [t.name, t.start]), [["turn", NOW]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
