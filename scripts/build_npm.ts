/**
 * Builds the npm package beside JSR: every entry point in deno.json's `exports` compiled by
 * `tsc` to JavaScript and `.d.ts` (relative `.ts` specifiers rewritten to `.js`), the
 * `journal-sink` bin running the compiled CLI, protobufjs vendored for `./collector`'s OTLP
 * protobuf (so the package has no dependencies), its package.json, README, LICENSE and
 * CHANGELOG; then `npm pack`.
 *
 * ```sh
 * node scripts/build_npm.ts   # → build/npm/dispatch-journal-sink-<version>.tgz
 * ```
 *
 * The pure steps (the manifest, the specifier rewrites) are exported for
 * tests/npm_package.test.ts; `buildNpmPackage()` runs the whole build for
 * scripts/check_npm.ts.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));
/** Where the build goes (git-ignored). */
export const BUILD_DIR: string = join(ROOT, "build", "npm");
/** The package's folder inside {@linkcode BUILD_DIR}, as `npm pack` packs it. */
export const PACKAGE_DIR: string = join(BUILD_DIR, "package");

/** The npm name: the JSR name, so every import in the docs works the same from both. */
export const PACKAGE_NAME = "@dispatch/journal-sink";

/** The oldest Node.js the package supports (DESIGN.md's floor for the TypeScript sources). */
const NODE_ENGINE = ">=22.18";

/** The parts of deno.json read here. */
export interface DenoJson {
  name: string;
  version: string;
  license?: string;
  exports: Record<string, string>;
  imports?: Record<string, string>;
}

/**
 * Each bare import of deno.json's "imports" and how the npm package carries it: vendored as
 * one ES module built from `entry`, with the licenses of the packages bundled into it. A new
 * import fails the build until it is given a way here (vendor it, or make it a dependency).
 */
export const VENDORED: Record<string, { entry: string; licenses: string[] }> = {
  // Only ./collector's OTLP protobuf uses it, loaded on first use (src/otlp/otlp_protobuf.ts);
  // the light build has Root.fromJSON and the codecs, all that needs; long keeps int64 exact.
  protobufjs: { entry: "protobufjs/light.js", licenses: ["protobufjs", "long"] },
};

/** Where a vendored import lives in the package. */
export function vendoredPath(specifier: string): string {
  return `vendor/${specifier.replaceAll("/", "__")}.js`;
}

/** `./mod.ts` → `./mod.js`; `./mod.ts` → `./mod.d.ts` for `types`. */
function compiled(path: string, extension: ".js" | ".d.ts"): string {
  return path.replace(/\.ts$/, extension);
}

/**
 * The npm package.json for deno.json: same version and license, the same subpaths in
 * `exports` (each with `types` and `default`), the bin, no dependencies.
 *
 * @param deno The parsed deno.json.
 * @param description The package's one-line description.
 * @returns The manifest.
 */
export function packageManifest(deno: DenoJson, description: string): Record<string, unknown> {
  const exports: Record<string, { types: string; default: string }> = {};
  for (const [subpath, source] of Object.entries(deno.exports)) {
    exports[subpath] = { types: compiled(source, ".d.ts"), default: compiled(source, ".js") };
  }
  return {
    name: PACKAGE_NAME,
    version: deno.version,
    description,
    license: deno.license ?? "MIT",
    type: "module",
    exports: { ...exports, "./package.json": "./package.json" },
    bin: { "journal-sink": "./bin/journal-sink.js" },
    engines: { node: NODE_ENGINE },
    files: [
      "*.js",
      "*.d.ts",
      "src/",
      "bin/",
      "vendor/",
      "jsr.json",
      "README.md",
      "LICENSE",
      "CHANGELOG.md",
    ],
    sideEffects: false,
    keywords: ["logging", "journal", "ndjson", "tracing", "opentelemetry", "pino", "genai"],
  };
}

const RELATIVE_TS_IN_DECLARATION = /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+?)\.ts(["'])/g;
const WORKER_URL = /(new URL\(\s*["'])(\.{1,2}\/[^"']+?)\.ts(["']\s*,\s*import\.meta\.url)/g;

/**
 * A compiled `.d.ts` with its relative `.ts` specifiers as `.js` (tsc keeps `.ts` in
 * declarations: they resolve, but `.js` is what the package holds).
 *
 * @param text The declaration file.
 * @returns It, rewritten.
 */
export function rewriteDeclaration(text: string): string {
  return text.replace(RELATIVE_TS_IN_DECLARATION, "$1$2.js$3");
}

/**
 * A compiled `.js` module: worker modules named by `new URL("./x.ts", import.meta.url)` as
 * `.js` (tsc rewrites imports only), and each vendored bare import as the relative path of
 * its vendored file.
 *
 * @param text The module.
 * @param fromDir The module's folder, relative to the package root (`""` at the root).
 * @param vendored The bare specifiers that are vendored.
 * @returns It, rewritten.
 */
export function rewriteModule(text: string, fromDir: string, vendored: string[]): string {
  let out = text.replace(WORKER_URL, "$1$2.js$3");
  for (const specifier of vendored) {
    const target = relative(fromDir || ".", vendoredPath(specifier)).replaceAll("\\", "/");
    const path = target.startsWith(".") ? target : `./${target}`;
    const quoted = specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    out = out.replace(
      new RegExp(`((?:from|import)\\s*\\(?\\s*)(["'])${quoted}\\2`, "g"),
      `$1$2${path}$2`,
    );
  }
  return out;
}

const IMPORT_SPECIFIER =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*[,)]/g;

/**
 * The specifiers a compiled module imports that a package without dependencies cannot
 * resolve: anything not relative and not a `node:` built-in. Comments are left out.
 *
 * @param text The module.
 * @returns The offending specifiers.
 */
export function unresolvableImports(text: string): string[] {
  return importSpecifiers(text).filter((s) => !s.startsWith(".") && !s.startsWith("node:"));
}

/**
 * The specifiers a module imports (static, re-exports, dynamic with a literal), comments left
 * out.
 *
 * @param text The module.
 * @returns The specifiers, in order.
 */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...code.matchAll(IMPORT_SPECIFIER)].map((match) => match[1] ?? match[2]);
}

/**
 * Declarations name Deno's `FsFile` (the handle of `denoFs`). Node and Bun projects have no
 * Deno types, so the package carries this much of them; with Deno's own, it merges.
 */
const DENO_TYPES =
  `// The part of Deno's types that this package's declarations name (denoFs's file handle), so
// a Node.js or Bun project type-checks them without Deno's types. It merges with Deno's own.
declare namespace Deno {
  interface FsFile {
    writeSync(p: Uint8Array): number;
    syncSync(): void;
    close(): void;
  }
}
`;
const DENO_TYPES_FILE = "deno_types.d.ts";

/** Files outside the compiled tree that modules import (`--version` reads jsr.json). */
const IMPORTED_FILES = ["jsr.json"];

/** The installed bin: the compiled CLI, so any Node.js the package supports runs it. */
const BIN = `#!/usr/bin/env node
// The \`journal-sink\` command as the npm package installs it: the compiled CLI (no TypeScript).
import { main } from "../cli.js";

process.exitCode = await main(process.argv.slice(2));
`;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function tool(name: string): string {
  return join(ROOT, "node_modules", ".bin", name);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** The result of {@linkcode buildNpmPackage}. */
export interface NpmBuild {
  /** The packed tarball. */
  tarball: string;
  /** Its size in bytes, and the unpacked size of its files. */
  packedBytes: number;
  unpackedBytes: number;
  /** The manifest written. */
  manifest: Record<string, unknown>;
  /** deno.json as read. */
  deno: DenoJson;
}

/**
 * Runs the whole build into {@linkcode BUILD_DIR} and packs it.
 *
 * @returns The tarball and what went into it.
 */
export function buildNpmPackage(): NpmBuild {
  const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as DenoJson;
  const vendored = Object.keys(deno.imports ?? {});
  for (const specifier of vendored) {
    if (!VENDORED[specifier]) {
      throw new Error(
        `deno.json imports ${specifier}: say in scripts/build_npm.ts (VENDORED) how the npm package gets it`,
      );
    }
  }
  rmSync(BUILD_DIR, { recursive: true, force: true });
  mkdirSync(PACKAGE_DIR, { recursive: true });

  // Deno's types, for tsc to compile src/adapters/deno.ts; not shipped.
  const denoTypes = join(BUILD_DIR, "lib.deno.d.ts");
  writeFileSync(denoTypes, run(tool("deno"), ["types"], ROOT));
  const entries = Object.values(deno.exports).map((path) => join(ROOT, path));
  const tsconfig = {
    compilerOptions: {
      target: "ES2023",
      lib: ["ES2023", "DOM"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      rewriteRelativeImportExtensions: true,
      erasableSyntaxOnly: true,
      verbatimModuleSyntax: true,
      declaration: true,
      strict: true,
      skipLibCheck: true,
      noEmitOnError: true,
      types: ["node"],
      typeRoots: [join(ROOT, "node_modules", "@types")],
      rootDir: ROOT,
      outDir: PACKAGE_DIR,
    },
    files: [...entries, denoTypes],
  };
  const tsconfigPath = join(BUILD_DIR, "tsconfig.json");
  writeFileSync(tsconfigPath, JSON.stringify(tsconfig, null, 2));
  try {
    run(tool("tsc"), ["-p", tsconfigPath], ROOT);
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc failed:\n${stdout ?? ""}${stderr ?? ""}`);
  }

  const problems: string[] = [];
  const relativeImports: { from: string; target: string }[] = [];
  for (const file of filesUnder(PACKAGE_DIR)) {
    const path = relative(PACKAGE_DIR, file).replaceAll("\\", "/");
    const text = readFileSync(file, "utf8");
    if (path.endsWith(".d.ts")) {
      let out = rewriteDeclaration(text);
      const code = out.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
      if (/\bDeno\./.test(code)) {
        const reference = relative(dirname(path) || ".", DENO_TYPES_FILE).replaceAll("\\", "/");
        out = `/// <reference path="${reference}" />\n${out}`;
      }
      writeFileSync(file, out);
    } else if (path.endsWith(".js")) {
      const out = rewriteModule(text, dirname(path) === "." ? "" : dirname(path), vendored);
      for (const specifier of unresolvableImports(out)) {
        problems.push(`${path} imports ${specifier}`);
      }
      relativeImports.push(
        ...importSpecifiers(out).filter((s) => s.startsWith("."))
          .map((s) => ({ from: path, target: join(PACKAGE_DIR, dirname(path), s) })),
      );
      writeFileSync(file, out);
    }
  }
  if (problems.length > 0) {
    throw new Error(`the npm package would need dependencies:\n${problems.join("\n")}`);
  }
  writeFileSync(join(PACKAGE_DIR, DENO_TYPES_FILE), DENO_TYPES);

  // Vendored imports: one ES module each, with the licenses of what went into it.
  for (const specifier of vendored) {
    const { entry, licenses } = VENDORED[specifier];
    const out = join(PACKAGE_DIR, vendoredPath(specifier));
    const entryFile = join(BUILD_DIR, "vendor-entry.js");
    writeFileSync(entryFile, `export { default } from ${JSON.stringify(entry)};\n`);
    run(
      tool("bun"),
      ["build", entryFile, "--target", "node", "--format", "esm", "--outfile", out],
      ROOT,
    );
    const notices = licenses.map((name) => {
      const pkg = JSON.parse(
        readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8"),
      );
      const text = readFileSync(join(ROOT, "node_modules", name, "LICENSE"), "utf8");
      return `${name} ${pkg.version} (${pkg.license})\n\n${text.trim()}\n`;
    });
    writeFileSync(
      out.replace(/\.js$/, ".LICENSES.txt"),
      `${vendoredPath(specifier)} bundles these packages:\n\n${notices.join("\n---\n\n")}`,
    );
  }

  mkdirSync(join(PACKAGE_DIR, "bin"), { recursive: true });
  writeFileSync(join(PACKAGE_DIR, "bin", "journal-sink.js"), BIN);
  chmodSync(join(PACKAGE_DIR, "bin", "journal-sink.js"), 0o755);
  for (const name of ["README.md", "LICENSE", "CHANGELOG.md", ...IMPORTED_FILES]) {
    copyFileSync(join(ROOT, name), join(PACKAGE_DIR, name));
  }
  const missing = relativeImports.filter(({ target }) => !existsSync(target));
  if (missing.length > 0) {
    const list = missing.map(({ from, target }) =>
      `${from} imports ${relative(PACKAGE_DIR, target)}`
    );
    throw new Error(`the npm package lacks files its modules import:\n${list.join("\n")}`);
  }
  const description = JSON.parse(readFileSync(join(ROOT, "jsr.json"), "utf8")).description ??
    "A durable NDJSON structured-log journal with incrementally written spans, for Node.js, Bun and Deno";
  const manifest = packageManifest(deno, description);
  writeFileSync(join(PACKAGE_DIR, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);

  const packed = JSON.parse(
    run("npm", ["pack", "--json", "--pack-destination", BUILD_DIR], PACKAGE_DIR),
  ) as { filename: string; size: number; unpackedSize: number }[];
  const tarball = join(BUILD_DIR, packed[0].filename);
  return {
    tarball,
    packedBytes: packed[0].size,
    unpackedBytes: packed[0].unpackedSize,
    manifest,
    deno,
  };
}

if (import.meta.main) {
  const started = performance.now();
  const build = buildNpmPackage();
  console.log(
    `${relative(ROOT, build.tarball)}: ${(build.packedBytes / 1024).toFixed(0)} KiB packed, ` +
      `${(build.unpackedBytes / 1024).toFixed(0)} KiB unpacked, built in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
