// Record fields never reach the operator's terminal as control characters: every text output
// of `tail`, `spans`, `stats` and `query` shows them escaped (`\x1b`), the way journalctl does,
// while `--json` keeps the records exact.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeFs, type FakeFs } from "../testing.ts";
import { runCli } from "./fixtures/run_cli.ts";
import { printable } from "../src/cli/printable.ts";

/** Clear the screen, write the clipboard (OSC 52), overwrite the line, forge a line, C1 CSI. */
const CLEAR = "\x1b[2J\x1b[H";
const CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07";
const OVERWRITE = "ok\rFAKE";
const FORGED = "fine\n2025-06-01T09:30:00.000Z ERROR host forged line";
const C1_CSI = "\x9b2J";
const OTHERS = "del\x7f bidi\u202emoc.live line\u2028sep nel\x85";
const HOSTILE = [CLEAR, CLIPBOARD, OVERWRITE, FORGED, C1_CSI, OTHERS].join(" ");

/** Any character a terminal acts on, or that reorders or breaks what is shown. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** The colour codes the CLI itself writes (SGR), which are the only escapes allowed. */
// deno-lint-ignore no-control-regex
const SGR = /\x1b\[\d+m/g;

const T = Date.UTC(2025, 5, 1, 9, 30, 0);

/** Records with the hostile text in every field a text output shows. */
function records(): Record<string, unknown>[] {
  const scope = {
    extensionId: `ext${CLEAR}`,
    conversationId: `conv${C1_CSI}`,
    turnId: `turn${OVERWRITE}`,
  };
  const attributes = {
    [`key${CLIPBOARD}`]: HOSTILE,
    "gen_ai.request.model": `model${CLEAR}`,
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 2,
    error: { message: `boom${FORGED}` },
  };
  return [
    { kind: "span-open", spanId: `root${C1_CSI}`, name: `turn${CLEAR}`, timestamp: T, ...scope },
    {
      kind: "span-open",
      spanId: `chat${OVERWRITE}`,
      parentSpanId: `root${C1_CSI}`,
      name: `chat${FORGED}`,
      timestamp: T + 1,
      ...scope,
      attributes,
    },
    {
      kind: "log",
      level: "info",
      msg: HOSTILE,
      timestamp: T + 2,
      spanId: `chat${OVERWRITE}`,
      ...scope,
      body: HOSTILE,
      [`extra${CLIPBOARD}`]: HOSTILE,
    },
    {
      kind: "span-close",
      spanId: `chat${OVERWRITE}`,
      parentSpanId: `root${C1_CSI}`,
      name: `chat${FORGED}`,
      timestamp: T + 5,
      durationMs: 4,
      status: "error",
      ...scope,
      attributes,
    },
    { kind: "log", level: "warn", msg: FORGED, timestamp: T + 6, ...scope },
    {
      kind: "span-open",
      spanId: `open${CLIPBOARD}`,
      name: `still${OTHERS}`,
      timestamp: T + 7,
      extensionId: "host",
    },
  ];
}

/** The records as a journal's text, one JSON line each (as the sink writes them). */
function journalText(): string {
  return records().map((record) => JSON.stringify(record) + "\n").join("");
}

function fakeJournal(): FakeFs {
  const fs = createFakeFs();
  const handle = fs.open("j.jsonl");
  fs.append(handle, journalText());
  fs.close(handle);
  return fs;
}

/** Fails when the text holds a control character other than the newlines between lines. */
function assertNoControls(text: string, what: string): void {
  const found = CONTROL.exec(text.replace(SGR, ""));
  assert.equal(
    found,
    null,
    `${what}: control character U+${
      found?.[0].codePointAt(0)?.toString(16).padStart(4, "0")
    } reached the terminal in ${JSON.stringify(text)}`,
  );
}

/** No line starts with a timestamp but the CLI's own: the forged line stays in its record's. */
function assertNoForgedLines(text: string, what: string): void {
  for (const line of text.split("\n")) {
    assert.ok(!line.includes("forged line") || line.includes("\\n2025"), `${what}: ${line}`);
  }
}

describe("control characters in record fields", () => {
  test("printable escapes C0, DEL, C1, bidi overrides and line separators, and nothing else", () => {
    assert.equal(printable("a\x1b[2Jb"), "a\\x1b[2Jb");
    assert.equal(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
    assert.equal(printable("\x00\x07\x7f\x85\x9b"), "\\x00\\x07\\x7f\\x85\\x9b");
    assert.equal(printable("\u202e\u2028\u2029\u2066"), "\\u202e\\u2028\\u2029\\u2066");
    const plain = "plain text, ünïcödé, emoji 🎉, CJK 漢字, ✓ → ▶ ◀ │ └─";
    assert.equal(printable(plain), plain);
    assert.equal(printable(42), "42");
  });

  for (const color of [false, true]) {
    const how = color ? "in colour" : "without colour";
    for (
      const argv of [
        ["tail", "-n", "all", "j.jsonl"],
        ["spans", "--logs", "j.jsonl"],
        ["stats", "j.jsonl"],
      ]
    ) {
      test(`${argv[0]} ${how} shows them escaped, one line per line it means`, async () => {
        const run = await runCli(argv, { fs: fakeJournal(), color });
        assert.equal(run.code, 0, run.err);
        assertNoControls(run.out, argv.join(" "));
        assertNoControls(run.err, argv.join(" "));
        assertNoForgedLines(run.out, argv.join(" "));
        assert.ok(run.out.includes("\\x1b[2J"), run.out);
      });
    }
  }

  test("tail prints one line per record, the escapes visible in place", async () => {
    const run = await runCli(["tail", "-n", "all", "j.jsonl"], { fs: fakeJournal() });
    const lines = run.out.trimEnd().split("\n");
    assert.equal(lines.length, records().length);
    assert.ok(lines[2].includes("\\x1b]52;c;"), lines[2]);
    assert.ok(lines[2].includes("ok\\rFAKE"), lines[2]);
    assert.ok(lines[2].includes("\\x9b2J"), lines[2]);
  });

  test("tail --json and spans --json keep the records exact", async () => {
    const fs = fakeJournal();
    const tail = await runCli(["tail", "-n", "all", "--json", "j.jsonl"], { fs });
    assert.equal(tail.out, journalText(), "tail --json is the journal, byte for byte");
    const spans = await runCli(["spans", "--json", "j.jsonl"], { fs });
    const forest = JSON.parse(spans.out);
    assert.equal(forest.roots[0].name, `turn${CLEAR}`);
    assert.equal(forest.roots[0].children[0].logs[0].msg, HOSTILE);
    const stats = await runCli(["stats", "--json", "j.jsonl"], { fs });
    assert.deepEqual(Object.keys(JSON.parse(stats.out).byExtension), [`ext${CLEAR}`, "host"]);
  });

  test("query's text answers show them escaped, its --json keeps them exact", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-escape-"));
    try {
      const journal = join(dir, "j.jsonl");
      const db = join(dir, "s.db");
      writeFileSync(journal, journalText());
      const collected = await runCli(["collect", "--db", db, "--once", journal]);
      assert.equal(collected.code, 0, collected.err);
      const questions = [
        ["--turn", `turn${OVERWRITE}`],
        ["--conversation", `conv${C1_CSI}`],
        ["--open"],
        ["--errors"],
        ["--slowest", "5"],
        ["--usage"],
        ["--usage", "--by", "turn"],
      ];
      for (const question of questions) {
        const run = await runCli(["query", "--db", db, ...question]);
        const what = `query ${question.join(" ")}`;
        assert.equal(run.code, 0, `${what}: ${run.err}`);
        assertNoControls(run.out, what);
        assertNoForgedLines(run.out, what);
        assert.ok(/\\x1b|\\x9b|\\r|\\u202e/.test(run.out), `${what}: ${run.out}`);
      }
      const json = await runCli(["query", "--db", db, "--turn", `turn${OVERWRITE}`, "--json"]);
      const forest = JSON.parse(json.out);
      assert.equal(forest.turnId, `turn${OVERWRITE}`);
      assert.equal(forest.roots[0].name, `turn${CLEAR}`);
      assert.equal(forest.roots[0].children[0].logs[0].msg, HOSTILE);
      const usage = await runCli(["query", "--db", db, "--usage", "--json"]);
      assert.equal(JSON.parse(usage.out)[0].key, `model${CLEAR}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
