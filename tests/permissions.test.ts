// Permission failures say their cause (issue 15, item 4): a code for Deno's missing
// permissions and the OS's, the underlying message in the default warning, said once,
// and a real Deno child run with restricted permissions for each part of the sink.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createJournalSink } from "../mod.ts";
import { errorCode } from "../src/fs_ops.ts";
import { logEntry } from "./_helpers.ts";

test("Deno's missing-permission errors get a code, and OS permission errors keep theirs", () => {
  const notCapable = Object.assign(
    new Error('Requires write access to "x", run again with the --allow-write flag'),
    {
      name: "NotCapable",
    },
  );
  const denied = Object.assign(new Error("Permission denied (os error 13)"), {
    name: "PermissionDenied",
  });
  assert.equal(errorCode(notCapable), "ENOTCAPABLE");
  assert.equal(errorCode(denied), "EACCES");
  assert.equal(
    errorCode(Object.assign(new Error("EPERM: operation not permitted"), { code: "EPERM" })),
    "EPERM",
  );
  assert.equal(
    errorCode(Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" })),
    "EACCES",
  );
});

test("the default warning ends in the cause's message, without repeating the code", () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-warn-"));
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
  try {
    // The journal's path is a directory: every runtime refuses to open it for append.
    mkdirSync(join(dir, "j.jsonl"));
    const sink = createJournalSink({ path: join(dir, "j.jsonl") });
    sink.emit(logEntry("lost"));
    sink.close();
  } finally {
    console.warn = original;
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(warnings.length, 1, warnings.join("\n"));
  const [warning] = warnings;
  const code = /\((E[A-Z]+)\)/.exec(warning)?.[1];
  assert.ok(code !== undefined && code !== "UNKNOWN", warning);
  // "(EISDIR) [path]: <the runtime's own message>", the code said once.
  assert.match(
    warning,
    /^\[journal-sink\] cannot open journal: records dropped \(E[A-Z]+\) \[.*j\.jsonl\]: \S/,
  );
  assert.doesNotMatch(warning, new RegExp(`${code}: ${code}|\\]: ${code}: `));
});

const deno = fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url));
const mod = new URL("../mod.ts", import.meta.url).href;

/** Runs a Deno child with `permissions` that writes 10 records with maxBytes 300. */
function runDenoSink(dir: string, permissions: string[], options = "{}") {
  const script = join(dir, "write.ts");
  writeFileSync(
    script,
    `import { createJournalSink } from ${JSON.stringify(mod)};
const sink = createJournalSink({ path: ${
      JSON.stringify(join(dir, "j", "j.jsonl"))
    }, maxBytes: 300, maxFiles: 2, ...${options} });
for (let i = 0; i < 10; i++) sink.emit({ kind: "log", level: "info", msg: "x".repeat(50), timestamp: 1, extensionId: "p" });
sink.close();
console.log(JSON.stringify(sink.stats));
`,
  );
  const result = spawnSync(deno, ["run", "--no-config", ...permissions, script], {
    encoding: "utf8",
  });
  const stats = result.stdout.trim() === ""
    ? undefined
    : JSON.parse(result.stdout.trim().split("\n").at(-1)!);
  return { stats, stderr: result.stderr, status: result.status };
}

test("under Deno without --allow-write the warning names the code and the flag to add", {
  skip: !existsSync(deno),
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-perm-"));
  try {
    const { stats, stderr } = runDenoSink(dir, [`--allow-read=${dir}`]);
    assert.match(
      stderr,
      /\[journal-sink\] cannot open journal: records dropped \(ENOTCAPABLE\) .*run again with the --allow-write flag/,
    );
    assert.equal(stats.dropped, 10);
    // onOpenError "throw" says the same at creation.
    const strict = runDenoSink(dir, [`--allow-read=${dir}`], '{ onOpenError: "throw" }');
    assert.notEqual(strict.status, 0);
    assert.match(
      strict.stderr,
      /JournalSinkError: cannot open journal \(ENOTCAPABLE\).*--allow-write flag/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("under Deno with --allow-write only, the failed rotation is reported with the flag to add", {
  skip: !existsSync(deno),
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-sink-perm-"));
  try {
    const { stats, stderr } = runDenoSink(dir, [`--allow-write=${dir}`]);
    assert.equal(stats.written, 10);
    assert.equal(stats.rotations, 0);
    assert.match(
      stderr,
      /rotation failed: still appending to the live file, which grows past maxBytes .*\(ENOTCAPABLE\).*run again with the --allow-read flag/,
    );
    assert.doesNotMatch(stderr, /UNKNOWN/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "under Deno, --allow-read and --allow-write on the journal's directory are all rotation and retention need",
  { skip: !existsSync(deno) },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-sink-perm-"));
    try {
      const scoped = join(dir, "j");
      const { stats, stderr } = runDenoSink(dir, [
        `--allow-read=${scoped}`,
        `--allow-write=${scoped}`,
      ]);
      assert.equal(stderr, "");
      assert.deepEqual([stats.written, stats.rotations, stats.errors], [10, 4, 0]);
      assert.deepEqual(readdirSync(scoped).sort(), ["j.jsonl", "j.jsonl.1", "j.jsonl.2"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
