import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LAUNCHER = fileURLToPath(new URL("../bin/journal-sink.js", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/agent.jsonl", import.meta.url));
/** The machine's own Node.js, older than 22.18 (the toolchain's is in node_modules/.bin). */
const OLD_NODE = "/usr/bin/node";

function runtimeArgs(): string[] {
  return "Deno" in globalThis ? ["run", "-A", LAUNCHER] : [LAUNCHER];
}

describe("the npm launcher bin/journal-sink.js", () => {
  test("package.json installs it as journal-sink, also into this checkout", () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8"));
    assert.equal(pkg.bin["journal-sink"], "./bin/journal-sink.js");
    assert.equal(pkg.devDependencies["journal-sink"], "file:.");
  });

  test("is executable on disk and in git, so npx has nothing to change", () => {
    assert.ok((statSync(LAUNCHER).mode & 0o111) !== 0);
    const staged = spawnSync("git", ["ls-files", "-s", "bin/journal-sink.js"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.match(staged.stdout, /^100755 /);
  });

  test("runs the CLI on this runtime: results on stdout, exit code kept", () => {
    const ok = spawnSync(process.execPath, [...runtimeArgs(), "stats", "--json", FIXTURE], {
      encoding: "utf8",
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).records, 14);
    const usage = spawnSync(process.execPath, [...runtimeArgs(), "tail", "--kind", "lgo", "x"], {
      encoding: "utf8",
    });
    assert.equal(usage.status, 2);
    assert.equal(usage.stdout, "");
    assert.match(usage.stderr, /--kind takes log, span-open, span-close, not lgo/);
  });

  test("under a Node.js older than 22.18 it names the version it needs", () => {
    assert.ok(existsSync(OLD_NODE), `${OLD_NODE} (the machine's Node 20) is needed for this test`);
    const version = spawnSync(OLD_NODE, ["--version"], { encoding: "utf8" }).stdout.trim();
    const [major, minor] = version.slice(1).split(".").map(Number);
    assert.ok(major < 22 || (major === 22 && minor < 18), `${OLD_NODE} is ${version}`);
    const result = spawnSync(OLD_NODE, [LAUNCHER, "--help"], { encoding: "utf8" });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /needs Node\.js 22\.18 or newer .*this is Node\.js 2\d\./);
    assert.doesNotMatch(result.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
  });
});
