#!/usr/bin/env node
// The `journal-sink` command as npm installs it. Plain JavaScript on purpose: a Node.js too old
// to run TypeScript must hear which version it needs, not die with ERR_UNKNOWN_FILE_EXTENSION.
// Node runs .ts files natively from 22.18 (23.6 on the 23 line); Bun and Deno always do.
const versions = globalThis.process?.versions ?? {};
const [major, minor] = String(versions.node ?? "0.0").split(".").map(Number);
const nodeRunsTypeScript = major > 23 || (major === 23 && minor >= 6) ||
  (major === 22 && minor >= 18);

if (versions.bun || versions.deno || nodeRunsTypeScript) {
  if (!versions.bun && !versions.deno) {
    // Node strips the types of every .ts file at each start (most of its start time);
    // its compile cache keeps the result on disk for the next run.
    const { enableCompileCache } = await import("node:module");
    enableCompileCache?.();
  }
  const { main } = await import("../cli.ts");
  process.exitCode = await main(process.argv.slice(2));
} else {
  process.stderr.write(
    `journal-sink: needs Node.js 22.18 or newer (it runs its TypeScript natively); ` +
      `this is Node.js ${versions.node}.\n` +
      `Upgrade Node.js, or run it with Bun (bun x journal-sink …) or Deno ` +
      `(deno run -A jsr:@dispatch/journal-sink/cli …).\n`,
  );
  process.exitCode = 1;
}
