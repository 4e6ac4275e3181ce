/**
 * The package version, read from jsr.json (its one home) when `--version` asks for it.
 *
 * @module
 */

/**
 * The version of `@dispatch/journal-sink` this CLI belongs to.
 *
 * @returns The version, e.g. `"0.1.0"`.
 */
export async function packageVersion(): Promise<string> {
  const manifest = await import("../../jsr.json", { with: { type: "json" } });
  return (manifest.default as { version: string }).version;
}
