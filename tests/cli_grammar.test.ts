import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli as run } from "./fixtures/run_cli.ts";
import { COMMANDS } from "../src/cli/registry.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Every file `entry` loads before any command runs: static imports, `import type` excluded. */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    const pattern = /^\s*(?:import|export)\s+(?!type\s)(?:[^;"]*?\sfrom\s+)?"(\.[^"]+)"/gm;
    for (const match of source.matchAll(pattern)) visit(resolve(dirname(file), match[1]));
  };
  visit(join(ROOT, entry));
  return new Set([...seen].map((file) => relative(ROOT, file)));
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(dir, name));
}

describe("one CLI grammar", () => {
  test("the top-level --help lists every command and every option of each", async () => {
    const { code, out } = await run(["--help"]);
    assert.equal(code, 0);
    for (const command of COMMANDS) {
      assert.match(out, new RegExp(`^  ${command.name} `, "m"), command.name);
      for (const option of command.options) {
        assert.ok(out.includes(`--${option.name}`), `${command.name} --${option.name}`);
      }
    }
    for (const name of ["--service", "--state", "--header", "--poll-ms", "--otlp", "--db"]) {
      assert.ok(out.includes(name), name);
    }
  });

  test("the help says which commands take the filters, and does not claim all do", async () => {
    const { out } = await run(["--help"]);
    assert.match(out, /^Record filters \(tail, spans, stats\):/m);
    assert.match(out, /^journal-sink collect \[options\] <journal>$/m);
    const cli = readFileSync(join(ROOT, "cli.ts"), "utf8");
    assert.doesNotMatch(cli, /Every command takes `--json`/);
  });

  test("<command> --help and help <command> print that command's options on stdout", async () => {
    for (const command of COMMANDS) {
      for (const argv of [[command.name, "--help"], [command.name, "-h"], ["help", command.name]]) {
        const { code, out, err } = await run(argv);
        assert.equal(code, 0);
        assert.equal(err, "");
        assert.ok(out.startsWith(`Usage: journal-sink ${command.name} [options]`), out);
        for (const option of command.options) assert.ok(out.includes(`--${option.name}`));
      }
    }
  });

  test("docs/cli.md shows the help exactly as the CLI prints it", async () => {
    const { out } = await run(["--help"]);
    const doc = readFileSync(join(ROOT, "docs", "cli.md"), "utf8");
    assert.ok(
      doc.includes("```text\n" + out.trimEnd() + "\n```"),
      "paste `journal-sink --help` again",
    );
  });

  test("--version prints the package version, the same in jsr.json and deno.json", async () => {
    const jsr = JSON.parse(readFileSync(join(ROOT, "jsr.json"), "utf8"));
    const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    assert.equal(deno.version, jsr.version);
    const { code, out } = await run(["--version"]);
    assert.equal(code, 0);
    assert.equal(out, `journal-sink ${jsr.version}\n`);
  });

  test("starting the CLI loads no reader, SQLite, collector or OTLP code", () => {
    const loaded = [...staticGraph("cli.ts")];
    const heavy = loaded.filter((file) =>
      file.startsWith("src/collector/") || file.startsWith("src/adapters/") ||
      /read_journal|traces|generations|file_chunks|compress/.test(file)
    );
    assert.deepEqual(heavy, []);
    assert.ok(loaded.includes(join("src", "cli", "commands", "query.ts")));
  });

  test("the collector imports nothing from the CLI", () => {
    for (const file of filesUnder("src/collector")) {
      assert.doesNotMatch(readFileSync(join(ROOT, file), "utf8"), /from "\.\.\/cli\//, file);
    }
  });
});
