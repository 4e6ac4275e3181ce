/**
 * Redaction of secrets in attributes and bodies before a record reaches the sink. Pure and
 * copy-on-write: the caller's objects are never mutated, and a tree with nothing to redact
 * is returned as the very same reference, without a copy.
 *
 * @module
 */

/** What a redacted value is replaced with. */
export const REDACTED = "[REDACTED]";

/** The markers `serialize` writes for the same cases, so a redacted copy reads the same. */
const CIRCULAR = "[Circular]";
const DEPTH_LIMIT = "[Depth limit]";
const MAX_DEPTH = 100;

/**
 * Compiled redaction patterns. Build one with {@linkcode compileRedaction}.
 */
export interface Redactor {
  /** Key names matched at any depth, lowercased. */
  readonly keys: ReadonlySet<string>;
  /** Dotted paths from the root, split and lowercased; `"*"` matches any one key. */
  readonly paths: readonly (readonly string[])[];
  /** Every path at position 0, as flat `[pathIndex, position]` pairs. */
  readonly root: readonly number[] | undefined;
}

/**
 * Compile `redact` patterns: a pattern without a dot is a key name matched at any depth
 * (`"authorization"`); a dotted pattern is a path from the root of the attributes (or body)
 * where `*` stands for exactly one key or array index (`"user.*.password"`). Matching is
 * case-insensitive, so `"authorization"` also catches an `Authorization` header.
 *
 * @param patterns Key names and dotted paths.
 * @returns A redactor, or `undefined` when there is nothing to redact.
 * @throws {TypeError} When a pattern is not a non-empty string, has an empty segment, or is
 * a bare `"*"`.
 */
export function compileRedaction(patterns: readonly string[] | undefined): Redactor | undefined {
  if (patterns === undefined) return undefined;
  if (!Array.isArray(patterns)) throw new TypeError("redact must be an array of strings");
  const keys = new Set<string>();
  const paths: string[][] = [];
  for (const pattern of patterns) {
    if (typeof pattern !== "string" || pattern === "") {
      throw new TypeError(
        `invalid redact pattern ${JSON.stringify(pattern)}: not a non-empty string`,
      );
    }
    const segments = pattern.toLowerCase().split(".");
    if (segments.some((segment) => segment === "")) {
      throw new TypeError(`invalid redact pattern ${JSON.stringify(pattern)}: empty segment`);
    }
    if (segments.length === 1) {
      if (segments[0] === "*") {
        throw new TypeError(`invalid redact pattern "*": a key name cannot be a wildcard`);
      }
      keys.add(segments[0]);
    } else {
      paths.push(segments);
    }
  }
  if (keys.size === 0 && paths.length === 0) return undefined;
  const root = paths.length === 0 ? undefined : paths.flatMap((_, index) => [index, 0]);
  return { keys, paths, root };
}

/**
 * Redact `value` (an attributes object or a body): every matched value becomes
 * {@linkcode REDACTED}. Objects on the way to a match are copied (an `Error` becomes the
 * plain `{ name, message, stack, cause?, ...own }` that `serialize` would write); everything
 * else is shared. A cycle or nesting deeper than 100 on a path that is copied becomes the
 * marker `serialize` would write. May throw (a throwing getter); the caller fails closed.
 *
 * @param value Any value.
 * @param redactor Compiled patterns.
 * @returns `value` itself when nothing matched, otherwise a redacted copy.
 */
export function redactValue(value: unknown, redactor: Redactor): unknown {
  return walk(value, redactor, redactor.root, 0, []);
}

function walk(
  value: unknown,
  r: Redactor,
  states: readonly number[] | undefined,
  depth: number,
  ancestors: object[],
): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (states === undefined && r.keys.size === 0) return value;
  if (
    value instanceof Date || ArrayBuffer.isView(value) || value instanceof String ||
    value instanceof Number || value instanceof Boolean
  ) return value;
  if (ancestors.includes(value)) return CIRCULAR;
  if (depth >= MAX_DEPTH) return DEPTH_LIMIT;
  const isError = value instanceof Error;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (!isError && typeof toJSON === "function") {
    // JSON.stringify would write what toJSON returns: redact that instead.
    const json: unknown = toJSON.call(value, "");
    const redacted = walk(json, r, states, depth, ancestors);
    return redacted === json ? value : redacted;
  }
  ancestors.push(value);
  let out: Record<string, unknown> | unknown[] | undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      let replaced: unknown;
      if (states === undefined) {
        replaced = walk(child, r, undefined, depth + 1, ancestors);
      } else {
        const next = step(r, states, String(i));
        replaced = next === true ? REDACTED : walk(child, r, next, depth + 1, ancestors);
      }
      if (replaced !== child) {
        out ??= value.slice();
        (out as unknown[])[i] = replaced;
      }
    }
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (isError && Object.hasOwn(record, "cause") && !keys.includes("cause")) keys.push("cause");
    let changes: Map<string, unknown> | undefined;
    for (const key of keys) {
      const lower = key.toLowerCase();
      let next: readonly number[] | undefined | true;
      if (r.keys.has(lower)) next = true;
      else if (states !== undefined) next = step(r, states, lower);
      if (next === true) {
        // Never read a value that is redacted anyway: its getter may throw or have effects.
        (changes ??= new Map()).set(key, REDACTED);
        continue;
      }
      const child = record[key];
      const replaced = walk(child, r, next, depth + 1, ancestors);
      if (replaced !== child) (changes ??= new Map()).set(key, replaced);
    }
    if (changes !== undefined) out = copyObject(record, isError, changes);
  }
  ancestors.pop();
  return out ?? value;
}

/** Advance path states over `key`: `true` when a path ends here, else the states below. */
function step(
  r: Redactor,
  states: readonly number[],
  key: string,
): readonly number[] | true | undefined {
  let next: number[] | undefined;
  for (let s = 0; s < states.length; s += 2) {
    const path = r.paths[states[s]];
    const position = states[s + 1];
    const segment = path[position];
    if (segment !== "*" && segment !== key) continue;
    if (position === path.length - 1) return true;
    (next ??= []).push(states[s], position + 1);
  }
  return next;
}

/** A plain copy of `value`'s own enumerable properties with `changes` applied (not read). */
function copyObject(
  value: Record<string, unknown>,
  isError: boolean,
  changes: Map<string, unknown>,
): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  if (isError) {
    const error = value as unknown as Error;
    copy.name = String(error.name);
    copy.message = String(error.message);
    if (error.stack !== undefined) copy.stack = String(error.stack);
    if (Object.hasOwn(error, "cause")) {
      copy.cause = changes.has("cause") ? changes.get("cause") : error.cause;
    }
  }
  for (const key of Object.keys(value)) {
    copy[key] = changes.has(key) ? changes.get(key) : value[key];
  }
  return copy;
}
