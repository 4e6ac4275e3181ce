/**
 * The prices file of `--prices` (`query --usage`, `serve`): read and checked once, the same
 * way for every command.
 *
 * @module
 */

import type { ModelPrices } from "../collector/prices.ts";
import { UsageError } from "./command.ts";
import { CommandFailure } from "./failure.ts";
import { builtinModule } from "../runtime/runtime.ts";

/**
 * The prices file at `path`: unreadable → `CommandFailure` (exit 1), not a prices object →
 * `UsageError` (exit 2).
 *
 * @param path The file `--prices` names.
 * @returns The compiled prices.
 */
export async function readPricesFile(path: string): Promise<ModelPrices> {
  const { parsePrices } = await import("../collector/prices.ts");
  let text: string;
  try {
    const fs = builtinModule<{ readFileSync(path: string, encoding: "utf8"): string }>("node:fs");
    text = fs.readFileSync(path, "utf8");
  } catch (error) {
    throw new CommandFailure(
      `cannot read the prices file ${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
  try {
    return parsePrices(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`${path}: ${error instanceof Error ? error.message : error}`);
  }
}
