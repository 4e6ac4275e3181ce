// The import graph of src/ and the entry files, read from the sources: no cycles, no
// import from a lower layer up to a higher one, nothing from src/collector/ into src/cli/.
// The layers are described in docs/ARCHITECTURE.md; a new folder gets its layer here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));

/**
 * Layers, lowest first. A module may import from its own layer and the ones below.
 * Keys are paths relative to the root: a folder (ending in "/") or a file; the longest
 * matching key wins.
 */
const LAYERS: Record<string, number> = {
  // 0. The pure core: records, decisions, the FsOps interface. No I/O, no runtime.
  "src/": 0,
  // 1. Runtime probes and process hooks: the only place that looks at Deno, Bun, process.
  "src/runtime/": 1,
  // 2. The file-system edge: one FsOps per runtime, and the in-memory fake.
  "src/adapters/": 2,
  "src/testing/": 2,
  // 3. Writing and reading journals.
  "src/sink/": 3,
  "src/reader/": 3,
  // 4. What a host writes with: the logger and its context, bridges, trace trees.
  "src/logger/": 4,
  "src/logtape/": 4,
  "src/traces/": 4,
  "src/otel/": 4,
  "src/pino/": 4,
  // 5. Out of process: the SQLite store, OTLP in and out, the viewer, GenAI usage.
  "src/collector/": 5,
  "src/otlp/": 5,
  "src/viewer/": 5,
  "src/genai/": 5,
  "src/http/": 5,
  // The agent-framework bridges write GenAI spans with src/genai/'s names and helpers.
  "src/ai_sdk/": 5,
  "src/openai_agents/": 5,
  // 6. The command line.
  "src/cli/": 6,
  // 7. Entry points (deno.json / jsr.json exports) at the root.
  "": 7,
};

/** Imports allowed against the layers, each with why. None today: keep it that way. */
const KNOWN_EXCEPTIONS = new Set<string>([]);

function layerOf(file: string): number {
  let best = "";
  for (const key of Object.keys(LAYERS)) {
    const matches = key.endsWith("/") || key === "" ? file.startsWith(key) : file === key;
    if (matches && key.length >= best.length) best = key;
  }
  if (best === "" && file.includes("/")) throw new Error(`give ${file} a layer in LAYERS`);
  return LAYERS[best];
}

function sources(): string[] {
  const files = readdirSync(ROOT).filter((name) => name.endsWith(".ts"));
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = `${dir}/${name}`;
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) files.push(path);
    }
  };
  walk("src");
  return files.sort();
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every module's local imports (relative specifiers), resolved to root-relative paths. */
/** A module's text without its comments and doc examples (they are neither code nor imports). */
function code(file: string): string {
  return readFileSync(join(ROOT, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources()) {
    const text = code(file);
    const targets: string[] = [];
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2];
      if (!specifier.startsWith(".")) continue;
      targets.push(relative(ROOT, join(ROOT, dirname(file), specifier)).replaceAll("\\", "/"));
    }
    graph.set(file, targets);
  }
  return graph;
}

test("the import graph has no cycles", () => {
  const graph = importGraph();
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      cycles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
      return;
    }
    state.set(file, "visiting");
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test("imports run down the layers, never up", () => {
  const upward: string[] = [];
  for (const [file, targets] of importGraph()) {
    for (const target of targets) {
      const edge = `${file} -> ${target}`;
      if (layerOf(target) > layerOf(file) && !KNOWN_EXCEPTIONS.has(edge)) upward.push(edge);
    }
  }
  assert.deepEqual(upward, []);
});

test("the collector imports nothing from the CLI", () => {
  const found: string[] = [];
  for (const [file, targets] of importGraph()) {
    if (!file.startsWith("src/collector/")) continue;
    for (const target of targets) {
      const edge = `${file} -> ${target}`;
      if (target.startsWith("src/cli/") && !KNOWN_EXCEPTIONS.has(edge)) found.push(edge);
    }
  }
  assert.deepEqual(found, []);
});

test("runtime probes live in src/runtime/ and src/adapters/ only", () => {
  const probe =
    /globalThis\.(?:Deno|Bun|process)\b|\)\.(?:Deno|Bun|process)\b|typeof (?:Deno|Bun)\b|\b(?:Deno|Bun)\.[a-z]|getBuiltinModule/;
  const found = sources().filter((file) =>
    file.startsWith("src/") && !file.startsWith("src/runtime/") &&
    !file.startsWith("src/adapters/") && probe.test(code(file))
  );
  assert.deepEqual(found, []);
});

test("classes keep one private-member convention: TS private, never #private", () => {
  const hashPrivate =
    /(?:\bthis|\))\.#[A-Za-z_]|^\s*(?:(?:static|readonly|async)\s+)*#[A-Za-z_]\w*\s*[=:;(<]/m;
  const found = sources().filter((file) => hashPrivate.test(code(file)));
  assert.deepEqual(found, []);
});

test("the graph reader sees the imports it checks", () => {
  // Guards the checks above against a regexp that silently finds nothing.
  const graph = importGraph();
  assert.ok(graph.get("mod.ts")!.includes("src/sink/journal_sink.ts"));
  assert.ok(graph.get("src/sink/journal_sink.ts")!.includes("src/serialize.ts"));
  assert.equal(layerOf("src/cli/main.ts"), 6);
  assert.equal(layerOf("src/serialize.ts"), 0);
});
