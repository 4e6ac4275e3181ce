/**
 * One record to one NDJSON line, whatever the record holds.
 *
 * @module
 */

/** Objects nested deeper than this on the safe path become `"[Depth limit]"`. */
const MAX_DEPTH = 100;

/**
 * Turn a record into exactly one line of valid JSON ending in `"\n"`. Never throws.
 *
 * The fast path is plain `JSON.stringify`. Only when it throws (a cycle, a BigInt, a
 * throwing getter or `toJSON`, a hostile Proxy, nesting too deep for the stack) or when
 * `body`, an attribute value or the record itself is an `Error` does the safe path run.
 * The safe path follows `JSON.stringify`'s rules (`undefined`, functions and symbols are
 * omitted from objects and become `null` in arrays; `NaN` and `Infinity` become `null`;
 * `toJSON` is honoured; lone surrogates are escaped) and replaces what JSON cannot hold:
 *
 * | value                                   | written as                                   |
 * | --------------------------------------- | -------------------------------------------- |
 * | a reference back to an enclosing object | `"[Circular]"`                               |
 * | a BigInt                                | its decimal digits as a string: `"12345"`    |
 * | an `Error`                              | `{ name, message, stack, cause?, ...own }`   |
 * | a getter or `toJSON` that throws        | `"[Throws: <message>]"`                      |
 * | an object that cannot be inspected      | `"[Unserializable: <message>]"`              |
 * | nesting deeper than 100                 | `"[Depth limit]"`                            |
 *
 * If even that fails (the line would exceed the engine's string limit), the line holds
 * the record's `kind`, `timestamp` and `extensionId` with a `serializeError` field.
 *
 * @param record Anything; normally a {@linkcode LogRecord}.
 * @returns One line of JSON ending in `"\n"`.
 *
 * @example A cycle and a BigInt still give one valid line
 * ```ts
 * import { serialize } from "@dispatch/journal-sink";
 * const attributes: Record<string, unknown> = { tokens: 12n };
 * attributes.self = attributes;
 * const line = serialize({ kind: "log", msg: "hi", attributes });
 * const parsed = JSON.parse(line);
 * if (!line.endsWith("\n") || line.indexOf("\n") !== line.length - 1) throw new Error("not one line");
 * if (parsed.attributes.self !== "[Circular]" || parsed.attributes.tokens !== "12") throw new Error("markers");
 * ```
 */
export function serialize(record: unknown): string {
  try {
    if (!holdsError(record)) {
      const json = JSON.stringify(record);
      if (json !== undefined) return json + "\n";
    }
  } catch {
    // Fall through to the safe path.
  }
  try {
    return (encode(record, "", 0, []) ?? "null") + "\n";
  } catch (error) {
    return fallbackLine(record, error);
  }
}

/** Whether the record, its body or a direct attribute value is an Error, which JSON.stringify flattens to `{}`. */
function holdsError(record: unknown): boolean {
  if (typeof record !== "object" || record === null) return false;
  if (record instanceof Error) return true;
  const { body, attributes } = record as { body?: unknown; attributes?: unknown };
  if (body instanceof Error) return true;
  if (typeof attributes === "object" && attributes !== null) {
    for (const key in attributes) {
      if ((attributes as Record<string, unknown>)[key] instanceof Error) return true;
    }
  }
  return false;
}

function describe(error: unknown): string {
  try {
    if (error instanceof Error) return error.message;
    return String(error);
  } catch {
    return "unknown error";
  }
}

function marker(kind: string, error: unknown): string {
  return JSON.stringify(`[${kind}: ${describe(error)}]`);
}

/** JSON text for `value`, or undefined where JSON.stringify would omit it. */
function encode(
  value: unknown,
  key: string,
  depth: number,
  ancestors: object[],
): string | undefined {
  if (typeof value === "object" && value !== null || typeof value === "bigint") {
    let toJSON: unknown;
    try {
      toJSON = (value as { toJSON?: unknown }).toJSON;
    } catch (error) {
      return marker("Throws", error);
    }
    if (typeof toJSON === "function" && !(value instanceof Error)) {
      try {
        value = toJSON.call(value, key);
      } catch (error) {
        return marker("Throws", error);
      }
    }
  }
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return `"${value.toString()}"`;
    case "object":
      if (value === null) return "null";
      if (depth >= MAX_DEPTH) return '"[Depth limit]"';
      if (ancestors.includes(value)) return '"[Circular]"';
      ancestors.push(value);
      try {
        return encodeObject(value, depth, ancestors);
      } catch (error) {
        return marker("Unserializable", error);
      } finally {
        ancestors.pop();
      }
    default:
      return undefined;
  }
}

function encodeObject(value: object, depth: number, ancestors: object[]): string {
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    return encode(value.valueOf(), "", depth, ancestors) ?? "null";
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) {
      let item: unknown;
      try {
        item = value[i];
      } catch (error) {
        items.push(marker("Throws", error));
        continue;
      }
      items.push(encode(item, String(i), depth + 1, ancestors) ?? "null");
    }
    return `[${items.join(",")}]`;
  }
  const fields: string[] = [];
  const add = (key: string, item: unknown): void => {
    const text = encode(item, key, depth + 1, ancestors);
    if (text !== undefined) fields.push(`${JSON.stringify(key)}:${text}`);
  };
  const keys = Object.keys(value);
  if (value instanceof Error) {
    // name, message and stack are not enumerable; keep them first.
    for (const key of ["name", "message", "stack", "cause"]) {
      if (keys.includes(key)) continue;
      try {
        const item = (value as unknown as Record<string, unknown>)[key];
        if (key !== "cause" || item !== undefined) add(key, item);
      } catch (error) {
        fields.push(`${JSON.stringify(key)}:${marker("Throws", error)}`);
      }
    }
  }
  for (const key of keys) {
    let item: unknown;
    try {
      item = (value as Record<string, unknown>)[key];
    } catch (error) {
      fields.push(`${JSON.stringify(key)}:${marker("Throws", error)}`);
      continue;
    }
    add(key, item);
  }
  return `{${fields.join(",")}}`;
}

function pick(record: unknown, key: string): unknown {
  try {
    const value = (record as Record<string, unknown>)[key];
    return typeof value === "string" || typeof value === "number" ? value : undefined;
  } catch {
    return undefined;
  }
}

function fallbackLine(record: unknown, error: unknown): string {
  const isObject = typeof record === "object" && record !== null;
  const line: Record<string, unknown> = {
    kind: isObject ? pick(record, "kind") : undefined,
    timestamp: isObject ? pick(record, "timestamp") : undefined,
    extensionId: isObject ? pick(record, "extensionId") : undefined,
    serializeError: describe(error).slice(0, 200),
  };
  try {
    return JSON.stringify(line) + "\n";
  } catch {
    return '{"serializeError":"unserializable record"}\n';
  }
}
