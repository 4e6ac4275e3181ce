/**
 * Model prices for cost accounting: USD per million input, output, cache-read and
 * cache-write tokens, by model name or by a pattern over model names (as Langfuse's model
 * definitions match a `matchPattern`).
 *
 * @module
 */

import type { UsageSums } from "./usage_deltas.ts";

/**
 * A prices file (`--prices prices.json`): an object keyed by model name; each value gives
 * `input` and `output` in USD per million tokens, optionally `cacheRead` and `cacheWrite`
 * (the rates of input tokens read from and written to a provider's cache; the `input` rate
 * when absent), and, optionally, `match`: a JavaScript
 * regular expression (source text, tested against the whole model name as stored, so anchor
 * it) for dated or prefixed variants. A model takes the entry named exactly like it, else
 * the first entry (in file order) whose `match` tests true.
 *
 * @example
 * ```ts
 * import type { PricesFile } from "@dispatch/journal-sink/collector";
 * const prices: PricesFile = {
 *   "gpt-4o": { input: 2.5, output: 10, match: "^(openai/)?gpt-4o(-\\d{4}-\\d{2}-\\d{2})?$" },
 *   "claude-sonnet-4-5": { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
 * };
 * if (prices["gpt-4o"].output !== 10) throw new Error("unreachable");
 * ```
 */
export type PricesFile = Record<string, ModelPrice>;

/**
 * The price of one model, in USD per million tokens.
 *
 * @example
 * ```ts
 * import type { ModelPrice } from "@dispatch/journal-sink/collector";
 * const price: ModelPrice = { input: 3, output: 15 };
 * if (price.input * 2 !== 6) throw new Error("unreachable");
 * ```
 */
export interface ModelPrice {
  /** USD per million input tokens (cached ones included, as `gen_ai.usage.input_tokens`). */
  input: number;
  /** USD per million output tokens (reasoning ones included). */
  output: number;
  /** USD per million input tokens read from a provider's cache; absent: the `input` rate. */
  cacheRead?: number;
  /** USD per million input tokens written to a provider's cache; absent: the `input` rate. */
  cacheWrite?: number;
  /** A regular expression over model names, for variants of this model. */
  match?: string;
}

/**
 * Compiled prices: {@linkcode ModelPrices.priceOf} answers a model name.
 *
 * @example
 * ```ts
 * import { parsePrices } from "@dispatch/journal-sink/collector";
 * const prices = parsePrices({ "m": { input: 1, output: 2 } });
 * if (prices.priceOf("m")?.output !== 2 || prices.priceOf("other") !== undefined) throw new Error("lookup");
 * ```
 */
export interface ModelPrices {
  /**
   * The price of `model`, or `undefined` when the file has none.
   *
   * @param model A model name as stored.
   * @returns Its price.
   */
  priceOf(model: string): ModelPrice | undefined;
}

function finite(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${where} must be a non-negative number of USD per million tokens`);
  }
  return value;
}

/**
 * Checks and compiles a prices file's parsed JSON.
 *
 * @param value The parsed JSON.
 * @returns The compiled prices.
 * @throws {TypeError} When the shape is wrong or a `match` is not a valid regular expression;
 * the message names the entry.
 *
 * @example A dated model priced through a pattern
 * ```ts
 * import { parsePrices } from "@dispatch/journal-sink/collector";
 * const prices = parsePrices({ "gpt-4o": { input: 2.5, output: 10, match: "^gpt-4o-\\d{4}-\\d{2}-\\d{2}$" } });
 * if (prices.priceOf("gpt-4o-2024-08-06")?.input !== 2.5) throw new Error("pattern");
 * ```
 */
export function parsePrices(value: unknown): ModelPrices {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError("a prices file is a JSON object keyed by model name");
  }
  const exact = new Map<string, ModelPrice>();
  const patterns: { pattern: RegExp; price: ModelPrice }[] = [];
  for (const [model, entry] of Object.entries(value as Record<string, unknown>)) {
    if (typeof entry !== "object" || entry === null) {
      throw new TypeError(
        `prices["${model}"] must be an object { input, output, cacheRead?, cacheWrite?, match? }`,
      );
    }
    const e = entry as Record<string, unknown>;
    const price: ModelPrice = {
      input: finite(e.input, `prices["${model}"].input`),
      output: finite(e.output, `prices["${model}"].output`),
    };
    for (const rate of ["cacheRead", "cacheWrite"] as const) {
      if (e[rate] !== undefined) price[rate] = finite(e[rate], `prices["${model}"].${rate}`);
    }
    exact.set(model, price);
    if (e.match !== undefined) {
      if (typeof e.match !== "string") {
        throw new TypeError(`prices["${model}"].match must be a regular expression string`);
      }
      let pattern: RegExp;
      try {
        pattern = new RegExp(e.match);
      } catch (error) {
        throw new TypeError(`prices["${model}"].match: ${(error as Error).message}`);
      }
      price.match = e.match;
      patterns.push({ pattern, price });
    }
  }
  return {
    priceOf(model) {
      const named = exact.get(model);
      if (named !== undefined) return named;
      for (const { pattern, price } of patterns) if (pattern.test(model)) return price;
      return undefined;
    },
  };
}

/**
 * The cost of tokens at a price: the input tokens not from a cache at `input`, those read
 * from and written to a cache at `cacheRead` and `cacheWrite` (the `input` rate when the
 * entry has none: `assumed` says which), the output tokens at `output`. The query prices
 * the usage tables' sums in SQL by the same rule (usage.ts, `fromUsageBy`).
 *
 * @param price The model's price.
 * @param tokens Input (cached ones inside), cache-read, cache-write and output tokens.
 * @returns The cost in USD, and the cache rates taken from `input` for tokens there were.
 *
 * @example Cache reads at a tenth of the input rate
 * ```ts
 * import { priceTokens } from "./prices.ts";
 * const { cost, assumed } = priceTokens({ input: 3, output: 15, cacheRead: 0.3 },
 *   { input: 1_000_000, cacheRead: 800_000, cacheWrite: 100_000, output: 0 });
 * // 100k new at 3, 800k read at 0.3, 100k written at the input rate 3
 * if (Math.abs(cost - 0.84) > 1e-12 || assumed.join() !== "cacheWrite") throw new Error(`${cost} ${assumed}`);
 * ```
 */
export function priceTokens(
  price: ModelPrice,
  tokens: Pick<UsageSums, "input" | "output" | "cacheRead" | "cacheWrite">,
): { cost: number; assumed: ("cacheRead" | "cacheWrite")[] } {
  const assumed: ("cacheRead" | "cacheWrite")[] = [];
  if (tokens.cacheRead > 0 && price.cacheRead === undefined) assumed.push("cacheRead");
  if (tokens.cacheWrite > 0 && price.cacheWrite === undefined) assumed.push("cacheWrite");
  const fresh = tokens.input - tokens.cacheRead - tokens.cacheWrite;
  const cost = (fresh * price.input + tokens.cacheRead * (price.cacheRead ?? price.input) +
    tokens.cacheWrite * (price.cacheWrite ?? price.input) + tokens.output * price.output) / 1e6;
  return { cost, assumed };
}
