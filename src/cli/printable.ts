/**
 * The one rule for putting text from a record on the operator's terminal: control characters
 * shown escaped, as `journalctl` does, so a record cannot clear the screen, set the
 * clipboard (OSC 52), move the cursor, or forge a line of output with `\n` or `\r`.
 *
 * @module
 */

/**
 * What a terminal acts on instead of printing: C0 (U+0000–U+001F, newline and tab included),
 * DEL, C1 (U+0080–U+009F: 0x9B is a one-byte CSI), the line and paragraph separators, and the
 * bidirectional embeddings, overrides and isolates that reorder what is shown.
 */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// deno-lint-ignore no-control-regex
const HAS_CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escape(char: string): string {
  const short = SHORT[char];
  if (short !== undefined) return short;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `value` as text safe to print on a terminal: every control character written as an escape
 * (`\x1b`, `\x9b`, `\n`, `\r`, `\t`, `\u202e`), everything else unchanged. Every text output of
 * the CLI passes a record's fields through it; `--json` output does not (JSON is exact).
 *
 * @param value A field of a record (anything: it is turned into a string first).
 * @returns The text, on one line, with no character a terminal would act on.
 *
 * @example
 * ```ts
 * import { printable } from "./printable.ts";
 * if (printable("ok\x1b[2J\nforged") !== "ok\\x1b[2J\\nforged") throw new Error("not escaped");
 * if (printable("plain ✓") !== "plain ✓") throw new Error("changed");
 * ```
 */
export function printable(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  return HAS_CONTROL.test(text) ? text.replace(CONTROL, escape) : text;
}

/**
 * `value` as compact JSON (its string when it has no JSON form), through {@linkcode printable}:
 * `JSON.stringify` escapes C0 but leaves DEL, C1 and the separators as they are.
 *
 * @param value An attribute map, a body, links.
 * @returns The JSON text, safe to print.
 *
 * @example
 * ```ts
 * import { printableJson } from "./printable.ts";
 * if (printableJson({ a: "\x9b2J" }) !== '{"a":"\\x9b2J"}') throw new Error("not escaped");
 * ```
 */
export function printableJson(value: unknown): string {
  let text;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return printable(text);
}
