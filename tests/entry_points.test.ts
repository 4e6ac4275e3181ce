import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = new URL("..", import.meta.url);

function manifest(
  name: string,
): { exports: Record<string, string>; publish: { include: string[] } } {
  return JSON.parse(readFileSync(fileURLToPath(new URL(name, ROOT)), "utf8"));
}

const HOST = [
  "JournalNotFoundError",
  "JournalSinkError",
  "LEVELS",
  "bunFs",
  "createJournalSink",
  "createLogger",
  "defaultFsOps",
  "denoFs",
  "isLogRecord",
  "nodeFs",
  "readJournal",
  "reconstructTraces",
  "serialize",
];
const READER = ["JournalNotFoundError", "isLogRecord", "readJournal", "reconstructTraces"];
const COLLECTOR = [
  "OtlpExportError",
  "TraceStore",
  "collectJournal",
  "exportOtlp",
  "formatUsageTable",
  "openTraceStore",
  "otlpExportConfig",
  "parsePrices",
  "pruneTraceStore",
  "queryConversation",
  "queryErrorSpans",
  "queryOpenSpans",
  "querySlowestSpans",
  "queryTurn",
  "queryTurnUsage",
  "queryUsage",
  "receiveOtlp",
  "serve",
];

describe("entry points", () => {
  test(". exports what a host needs to write and read, and no internals", async () => {
    const names = Object.keys(await import("../mod.ts")).sort();
    assert.deepEqual(names, HOST);
  });

  test("./reader exports the read side", async () => {
    assert.deepEqual(Object.keys(await import("../reader.ts")).sort(), READER);
  });

  test("./collector exports the store, its queries, usage, retention, OTLP in and out and the viewer, not the schema or SQLite", async () => {
    assert.deepEqual(Object.keys(await import("../collector.ts")).sort(), COLLECTOR);
  });

  test("./genai holds the vocabulary and span helpers, and no store code", async () => {
    const genai: Record<string, unknown> = await import("../genai.ts");
    const collector: Record<string, unknown> = await import("../collector.ts");
    for (const name of ["queryUsage", "formatUsageTable", "parsePrices", "pruneTraceStore"]) {
      assert.equal(genai[name], undefined, name);
      assert.equal(typeof collector[name], "function", name);
    }
    assert.equal(typeof genai.startChat, "function");
  });

  test("the read side is the same object from . and ./reader", async () => {
    const root = await import("../mod.ts");
    const reader = await import("../reader.ts");
    assert.equal(root.readJournal, reader.readJournal);
    assert.equal(root.reconstructTraces, reader.reconstructTraces);
  });

  test("deno.json and jsr.json export and publish ./reader and ./collector alike", () => {
    for (const name of ["deno.json", "jsr.json"]) {
      const { exports, publish } = manifest(name);
      assert.equal(exports["./reader"], "./reader.ts", name);
      assert.equal(exports["./collector"], "./collector.ts", name);
      assert.ok(publish.include.includes("reader.ts") && publish.include.includes("collector.ts"));
    }
    assert.deepEqual(manifest("deno.json").exports, manifest("jsr.json").exports);
  });
});
