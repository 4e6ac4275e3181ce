/**
 * Proves the npm package works outside this repository: builds and packs it
 * (scripts/build_npm.ts), installs the tarball into an empty temporary project (`--offline`:
 * it has no dependencies), then
 * - imports every entry point under Node.js with `--no-experimental-strip-types` (so no
 *   TypeScript can be loaded) and under Bun, and fails on any difference between its export
 *   names and those of the TypeScript sources (the JSR surface);
 * - type-checks a consumer importing every entry point against the `.d.ts` (no skipLibCheck);
 * - runs `journal-sink --version` through the installed bin, on Node.js and Bun;
 * - writes a journal through `pino.transport({ target: "@dispatch/journal-sink/pino" })`
 *   from the temporary project, on Node.js and Bun, ended by pino at exit.
 *
 * ```sh
 * node scripts/check_npm.ts
 * ```
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNpmPackage, PACKAGE_NAME, ROOT, vendoredPath } from "./build_npm.ts";

const NODE = join(ROOT, "node_modules", ".bin", "node");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const TSC = join(ROOT, "node_modules", ".bin", "tsc");
/** Node.js without type stripping: any .ts the package loaded would fail to import. */
const NODE_JS_ONLY = [NODE, "--no-experimental-strip-types"];

/** Each subpath's export names, printed as JSON; the specifier prefix is the first argument. */
const SURFACE_PROBE = `
const [prefix, subpathsJson] = process.argv.slice(-2);
const surface = {};
for (const subpath of JSON.parse(subpathsJson)) {
  const specifier = prefix.endsWith(".ts") ? subpath : prefix + subpath.slice(1);
  surface[subpath] = Object.keys(await import(specifier)).sort();
}
console.log(JSON.stringify(surface));
`;

/** The vendored protobufjs keeps a 64-bit integer exact (long is bundled with it). */
const PROTOBUF_PROBE = (vendored: string) => `
const { default: protobuf } = await import(${JSON.stringify(vendored)});
const root = protobuf.Root.fromJSON({ nested: { M: { fields: { t: { type: "fixed64", id: 1 } } } } });
const M = root.lookupType("M");
const t = M.decode(M.encode({ t: { low: 1, high: 400000000, unsigned: true } }).finish()).t;
console.log(String(t));
`;

/** Logs through pino.transport with the package name as target; pino ends it at exit. */
const TRANSPORT_PROBE = (pino: string) => `
import pino from ${JSON.stringify(pino)};
const [path, runtime] = process.argv.slice(-2);
const transport = pino.transport({
  target: "${PACKAGE_NAME}/pino",
  options: { path, extensionId: "npm-check" },
});
pino({ base: null }, transport).info({ runtime }, "through pino.transport");
`;

function run(argv: string[], cwd: string): string {
  const [command, ...args] = argv;
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}` },
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${argv.join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`);
  }
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

function differences(
  label: string,
  expected: Record<string, string[]>,
  actual: Record<string, string[]>,
): string[] {
  const out: string[] = [];
  for (const subpath of Object.keys(expected)) {
    const want = new Set(expected[subpath]);
    const got = new Set(actual[subpath] ?? []);
    const missing = [...want].filter((name) => !got.has(name));
    const extra = [...got].filter((name) => !want.has(name));
    if (missing.length > 0) out.push(`${label} ${subpath}: missing ${missing.join(", ")}`);
    if (extra.length > 0) out.push(`${label} ${subpath}: extra ${extra.join(", ")}`);
  }
  return out;
}

/** Runs the check; returns the failures (none: the package is good). */
export function checkNpmPackage(): string[] {
  const failures: string[] = [];
  let started = performance.now();
  const build = buildNpmPackage();
  const { deno } = build;
  const subpaths = Object.keys(deno.exports);
  console.log(
    `built and packed ${join("build", "npm", build.tarball.split("/").pop() ?? "")}: ` +
      `${(build.packedBytes / 1024).toFixed(0)} KiB packed, ` +
      `${(build.unpackedBytes / 1024).toFixed(0)} KiB unpacked (${seconds(started)})`,
  );

  const project = mkdtempSync(join(tmpdir(), "journal-sink-npm-"));
  try {
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "npm-check", private: true, type: "module" }),
    );
    started = performance.now();
    run(
      ["npm", "install", build.tarball, "--offline", "--no-audit", "--no-fund", "--ignore-scripts"],
      project,
    );
    const installed = JSON.parse(
      readFileSync(join(project, "node_modules", PACKAGE_NAME, "package.json"), "utf8"),
    );
    const installedSubpaths = Object.keys(installed.exports).filter((s) => s !== "./package.json");
    if (installedSubpaths.join() !== subpaths.join()) {
      failures.push(`exports map ${installedSubpaths} differs from deno.json's ${subpaths}`);
    }
    if (installed.dependencies !== undefined) failures.push("the package has dependencies");
    const installSeconds = seconds(started);

    // The JSR surface: the TypeScript sources, imported by Node.js from this checkout.
    writeFileSync(join(project, "surface.mjs"), SURFACE_PROBE);
    const sourceImports = Object.fromEntries(
      Object.entries(deno.exports).map(([subpath, file]) => [subpath, join(ROOT, file)]),
    );
    writeFileSync(
      join(project, "source_surface.mjs"),
      SURFACE_PROBE.replace(
        'const specifier = prefix.endsWith(".ts") ? subpath : prefix + subpath.slice(1);',
        `const specifier = ${JSON.stringify(sourceImports)}[subpath];`,
      ),
    );
    const args = [PACKAGE_NAME, JSON.stringify(subpaths)];
    const jsr = JSON.parse(run([NODE, "source_surface.mjs", ...args], project));
    started = performance.now();
    const onNode = JSON.parse(run([...NODE_JS_ONLY, "surface.mjs", ...args], project));
    const nodeSeconds = seconds(started);
    started = performance.now();
    const onBun = JSON.parse(run([BUN, "surface.mjs", ...args], project));
    const bunSeconds = seconds(started);
    failures.push(...differences("Node.js", jsr, onNode), ...differences("Bun", jsr, onBun));

    // The declarations: a consumer importing every entry point type-checks without
    // skipLibCheck, so the .d.ts files are complete on their own.
    const consumer = subpaths.map((subpath, i) =>
      `import * as entry${i} from "${PACKAGE_NAME}${subpath.slice(1)}";\nvoid entry${i};`
    );
    writeFileSync(join(project, "consumer.ts"), `${consumer.join("\n")}\n`);
    started = performance.now();
    try {
      run([
        TSC,
        "--noEmit",
        "--strict",
        "--skipLibCheck",
        "false",
        "--module",
        "nodenext",
        "--target",
        "es2023",
        "--types",
        "node",
        "--typeRoots",
        join(ROOT, "node_modules", "@types"),
        "consumer.ts",
      ], project);
    } catch (error) {
      failures.push(`the declarations do not type-check:\n${(error as Error).message}`);
    }
    const tscSeconds = seconds(started);

    for (const argv of [[NODE], [BUN]]) {
      const bin = join(project, "node_modules", ".bin", "journal-sink");
      const version = run([...argv, bin, "--version"], project).trim();
      if (!version.includes(deno.version)) {
        failures.push(`journal-sink --version on ${argv[0]} printed ${version}`);
      }
    }

    const vendored = join(project, "node_modules", PACKAGE_NAME, vendoredPath("protobufjs"));
    writeFileSync(join(project, "protobuf.mjs"), PROTOBUF_PROBE(vendored));
    for (const argv of [NODE_JS_ONLY, [BUN]]) {
      const decoded = run([...argv, "protobuf.mjs"], project).trim();
      if (decoded !== "1717986918400000001") {
        failures.push(`the vendored protobufjs on ${argv[0]} decoded ${decoded}`);
      }
    }

    writeFileSync(
      join(project, "transport.mjs"),
      TRANSPORT_PROBE(join(ROOT, "node_modules", "pino", "pino.js")),
    );
    started = performance.now();
    for (const [runtime, argv] of [["node", NODE_JS_ONLY], ["bun", [BUN]]] as const) {
      const path = join(project, `${runtime}.jsonl`);
      run([...argv, "transport.mjs", path, runtime], project);
      let lines: { msg?: string; extensionId?: string; attributes?: { runtime?: string } }[] = [];
      try {
        lines = readFileSync(path, "utf8").trim().split("\n").map((line) => JSON.parse(line));
      } catch (error) {
        failures.push(`pino.transport on ${runtime} wrote no journal: ${error}`);
        continue;
      }
      const [line] = lines;
      if (
        lines.length !== 1 || line.msg !== "through pino.transport" ||
        line.extensionId !== "npm-check" || line.attributes?.runtime !== runtime
      ) {
        failures.push(`pino.transport on ${runtime} wrote ${JSON.stringify(lines)}`);
      }
    }
    const transportSeconds = seconds(started);
    console.log(
      `installed in ${installSeconds}; imported ${subpaths.length} entry points on Node.js ` +
        `(no type stripping) in ${nodeSeconds} and Bun in ${bunSeconds}; .d.ts checked in ` +
        `${tscSeconds}; pino.transport on both in ${transportSeconds}`,
    );
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  return failures;
}

if (import.meta.main) {
  const started = performance.now();
  const failures = checkNpmPackage();
  if (failures.length > 0) {
    console.error(`npm package check failed:\n- ${failures.join("\n- ")}`);
    process.exitCode = 1;
  } else {
    console.log(`npm package ok (${seconds(started)})`);
  }
}
