// The npm package's pure build steps (scripts/build_npm.ts). The whole build, install and
// import is scripts/check_npm.ts, run by `npm run checks`.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  type DenoJson,
  importSpecifiers,
  PACKAGE_NAME,
  packageManifest,
  rewriteDeclaration,
  rewriteModule,
  ROOT,
  unresolvableImports,
  VENDORED,
  vendoredPath,
} from "../scripts/build_npm.ts";

const deno = JSON.parse(readFileSync(`${ROOT}/deno.json`, "utf8")) as DenoJson;

describe("the npm package.json", () => {
  const manifest = packageManifest(deno, "a journal") as {
    name: string;
    version: string;
    type: string;
    exports: Record<string, { types: string; default: string } | string>;
    bin: Record<string, string>;
    engines: { node: string };
    dependencies?: unknown;
    peerDependencies?: unknown;
    optionalDependencies?: unknown;
  };

  test("has every subpath of deno.json's exports, compiled, with its types, and nothing else", () => {
    const { "./package.json": self, ...subpaths } = manifest.exports;
    assert.equal(self, "./package.json");
    assert.deepEqual(Object.keys(subpaths), Object.keys(deno.exports));
    assert.deepEqual(subpaths["./pino"], { types: "./pino.d.ts", default: "./pino.js" });
    assert.deepEqual(subpaths["."], { types: "./mod.d.ts", default: "./mod.js" });
  });

  test("is the JSR package's name and version, an ES module, with the bin and no dependencies", () => {
    assert.equal(manifest.name, PACKAGE_NAME);
    assert.equal(manifest.name, deno.name);
    assert.equal(manifest.version, deno.version);
    assert.equal(manifest.type, "module");
    assert.deepEqual(manifest.bin, { "journal-sink": "./bin/journal-sink.js" });
    assert.equal(manifest.engines.node, ">=22.18");
    assert.equal(manifest.dependencies, undefined);
    assert.equal(manifest.peerDependencies, undefined);
    assert.equal(manifest.optionalDependencies, undefined);
  });

  test("every bare import of deno.json is vendored", () => {
    for (const specifier of Object.keys(deno.imports ?? {})) {
      assert.ok(VENDORED[specifier], `${specifier} has no way into the npm package`);
    }
  });
});

describe("the compiled modules' specifiers", () => {
  test("declarations name the compiled .js files, in import, export and import types", () => {
    const text = [
      'export { serialize } from "./src/serialize.ts";',
      'import type { FsOps } from "../fs_ops.ts";',
      'export declare const sink: import("./src/sink/journal_sink.ts").JournalSink;',
      'import type { Attributes } from "@opentelemetry/api";',
    ].join("\n");
    assert.equal(
      rewriteDeclaration(text),
      [
        'export { serialize } from "./src/serialize.js";',
        'import type { FsOps } from "../fs_ops.js";',
        'export declare const sink: import("./src/sink/journal_sink.js").JournalSink;',
        'import type { Attributes } from "@opentelemetry/api";',
      ].join("\n"),
    );
  });

  test("a vendored import becomes the vendored file's path from the module's folder", () => {
    const text = 'const { default: protobuf } = await import("protobufjs");';
    assert.equal(
      rewriteModule(text, "src/otlp", ["protobufjs"]),
      `const { default: protobuf } = await import("../../${vendoredPath("protobufjs")}");`,
    );
    assert.equal(
      rewriteModule('import x from "protobufjs";', "", ["protobufjs"]),
      `import x from "./${vendoredPath("protobufjs")}";`,
    );
    assert.equal(
      rewriteModule('import x from "protobufjs-extra";', "", ["protobufjs"]),
      'import x from "protobufjs-extra";',
      "only the exact specifier",
    );
  });

  test("a worker module named by new URL(…, import.meta.url) is the compiled one", () => {
    const text = 'function f(url = new URL("./collect_worker.ts", import.meta.url)) {}';
    assert.equal(
      rewriteModule(text, "src/collector", []),
      'function f(url = new URL("./collect_worker.js", import.meta.url)) {}',
    );
    const other = 'new URL("../viewer/page.ts", base)';
    assert.equal(rewriteModule(other, "src", []), other, "not relative to the module itself");
  });

  test("only relative and node: imports resolve in a package without dependencies", () => {
    const text = [
      'import { x } from "./x.js";',
      'import { AsyncLocalStorage } from "node:async_hooks";',
      '/* import { y } from "left-pad"; */',
      '// import("lodash")',
      'const m = await import("../../jsr.json", { with: { type: "json" } });',
      'export * from "pino";',
      'const p = await import("protobufjs");',
    ].join("\n");
    assert.deepEqual(importSpecifiers(text), [
      "./x.js",
      "node:async_hooks",
      "../../jsr.json",
      "pino",
      "protobufjs",
    ]);
    assert.deepEqual(unresolvableImports(text), ["pino", "protobufjs"]);
  });
});
