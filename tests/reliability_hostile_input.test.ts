// deno-lint-ignore-file no-explicit-any -- the tests inspect parsed JSON of any shape
// Hostile input, property-based: whatever a host hands to `emit` or `serialize`, the result
// is one valid JSON line or a counted drop, never an exception; what JSON can hold
// round-trips unchanged, on the fast path and on the safe path alike.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createJournalSink, type LogRecord, serialize } from "../mod.ts";
import { createFakeFs } from "../testing.ts";
import { logEntry } from "./_helpers.ts";
import { poisonRecords } from "./fixtures/poison_records.ts";

/** Runs per property; the totals are in RELIABILITY.md. */
const RUNS = 300;

/** Asserts `line` is exactly one line of valid JSON and returns what it holds. */
function oneLine(line: string): any {
  assert.equal(typeof line, "string");
  assert.ok(line.endsWith("\n"), "ends in a newline");
  assert.equal(line.indexOf("\n"), line.length - 1, "no newline before the end");
  return JSON.parse(line);
}

/** Every UTF-16 code unit, lone surrogates included (fast-check's own units avoid them). */
const anyUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 24 })
  .map((units) => String.fromCharCode(...units));
const anyText = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), anyUnits);

/** Keys that trip up naive code: prototype names, numeric keys, empty, hostile text. */
const trickyKey = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "0", "10", "", "kind"),
  anyText,
);

/** Values JSON holds exactly: parse(stringify(v)) deep-equals v (no -0, no undefined). */
const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    anyText,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(trickyKey, tie("value"), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value;

const record = fc.record({
  kind: fc.constant("log" as const),
  level: fc.constantFrom("debug", "info", "warn", "error"),
  msg: anyText,
  timestamp: fc.integer({ min: 0, max: 2 ** 50 }),
  extensionId: anyText,
  attributes: fc.dictionary(trickyKey, jsonish, { maxKeys: 6, noNullPrototype: true }),
  body: jsonish,
}, { noNullPrototype: true });

class Counter {
  #n = 1;
  get n(): number {
    return this.#n;
  }
}

function throwingGetter(message: string): object {
  return Object.defineProperty({ ok: 1 }, "bad", {
    enumerable: true,
    get() {
      throw new Error(message);
    },
  });
}

function lazilyInfinite(): object {
  return {
    get child() {
      return lazilyInfinite();
    },
  };
}

/**
 * A value built only inside the property: Proxies, throwing getters and lazily infinite
 * objects would trip fast-check's own inspection of generated values.
 */
class Make {
  readonly label: string;
  readonly make: () => unknown;
  constructor(label: string, make: () => unknown) {
    this.label = label;
    this.make = make;
  }
  toString(): string {
    return `Make(${this.label})`;
  }
}

const later = (label: string, make: () => unknown) => new Make(label, make);

/** Values JSON cannot hold, or that fight being read. */
const hostileLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.bigInt(),
  fc.constantFrom(
    undefined,
    NaN,
    Infinity,
    -Infinity,
    -0,
    Symbol("s"),
    Symbol.iterator,
    () => 1,
    function named() {},
    class Klass {},
  ),
  anyUnits,
  fc.string().map((message) => new Error(message)),
  fc.string().map((message) => new TypeError(message, { cause: new RangeError("root") })),
  fc.string().map((message) => Object.assign(new Error(message), { code: "E_X", extra: 1n })),
  fc.string().map((message) => later("throwing getter", () => throwingGetter(message))),
  fc.string().map((message) =>
    later("throwing toJSON", () => ({
      toJSON() {
        throw new Error(message);
      },
    }))
  ),
  fc.constantFrom(
    { toJSON: () => 5n },
    { toJSON: () => undefined },
    { toJSON: () => Symbol("t") },
    { toJSON: "not a function" },
    new Date(NaN),
    new Date(0),
    new Map([["a", 1]]),
    new Set([1, 2]),
    new Uint8Array([1, 2, 3]),
    new Float64Array([NaN, -0]),
    new ArrayBuffer(4),
    Object.create(null),
    Object.assign(Object.create(null), { a: 1n }),
    new Number(3),
    new String("boxed"),
    new Boolean(false),
    Object(1n),
    Object(Symbol("boxed")),
    /re/g,
    new WeakMap(),
    Promise.resolve(1),
    new Counter(),
  ),
  // A lazily infinite getter chain is left to its own test: the engine's stack overflow it
  // ends in costs about a second on Bun (JavaScriptCore), too slow for hundreds of runs.
  fc.constant(later("revoked Proxy", () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  })),
  fc.constantFrom("ownKeys", "get", "getOwnPropertyDescriptor", "has", "getPrototypeOf").map(
    (trap) =>
      later(`Proxy throwing in ${trap}`, () =>
        new Proxy({ a: 1, b: [2] }, {
          [trap]() {
            throw new Error(`trap ${trap}`);
          },
        })),
  ),
  fc.nat({ max: 50 }).map((hole) => {
    const sparse: unknown[] = [];
    sparse[hole] = 1n;
    sparse.length = hole + 10;
    return sparse;
  }),
);

/** A fresh copy of a generated tree with every `Make` built. */
function materialize(value: unknown): unknown {
  if (value instanceof Make) return value.make();
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copy.length = value.length;
    for (const key of Object.keys(value)) copy[Number(key)] = materialize(value[Number(key)]);
    return copy;
  }
  if (
    typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype
  ) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(copy, key, {
        value: materialize(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  return value;
}

/** A tree of hostile and ordinary values. */
const hostileTree: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileLeaf,
    jsonish,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(trickyKey, tie("value"), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

/** Collects the plain objects and arrays of a tree (data properties only), to hang cycles on. */
function containers(value: unknown, into: object[] = [], seen = new Set<unknown>()): object[] {
  if (typeof value !== "object" || value === null || seen.has(value)) return into;
  seen.add(value);
  try {
    const proto = Object.getPrototypeOf(value);
    if (!Array.isArray(value) && proto !== Object.prototype) return into;
    const descriptors = Object.values(Object.getOwnPropertyDescriptors(value));
    into.push(value);
    for (const descriptor of descriptors) {
      if ("value" in descriptor) containers(descriptor.value, into, seen);
    }
  } catch {
    // A Proxy that refuses inspection: no cycle through it.
  }
  return into;
}

/** A hostile record: a tree with a few cycles from a node back to an ancestor or itself. */
const hostileRecord = fc
  .tuple(hostileTree, hostileTree, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }))
  .map(([attributes, body, cycles]) =>
    later("hostile record", () => {
      const root: Record<string, unknown> = {
        kind: "log",
        level: "warn",
        msg: "hostile",
        timestamp: 1,
        extensionId: "fc",
        attributes: materialize(attributes),
        body: materialize(body),
      };
      const nodes = containers(root);
      for (const [from, to] of cycles) {
        const target = nodes[from % nodes.length];
        Reflect.set(target, `cycle${to}`, nodes[to % nodes.length]);
      }
      return root;
    })
  );

const KINDS = ["log", "span-open", "span-close"] as const;

/** The optional fields of each kind, and whether a value is of the field's type. */
const isString = (v: unknown) => typeof v === "string";
const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
const isTrace = (v: unknown) => typeof v === "string" && /^[0-9a-f]{32}$/.test(v);
const isLink = (v: unknown) =>
  isObject(v) && isString((v as any).spanId) &&
  ["turnId", "reason"].every((k) => (v as any)[k] === undefined || isString((v as any)[k])) &&
  ((v as any).traceId === undefined || isTrace((v as any).traceId)) &&
  ((v as any).attributes === undefined || isObject((v as any).attributes));
const COMMON: Record<string, (v: unknown) => boolean> = {
  conversationId: isString,
  turnId: isString,
  traceId: isTrace,
  attributes: isObject,
};
const OPTIONAL: Record<(typeof KINDS)[number], Record<string, (v: unknown) => boolean>> = {
  "log": { ...COMMON, spanId: isString },
  "span-open": {
    ...COMMON,
    parentSpanId: isString,
    links: (v) => Array.isArray(v) && v.every(isLink),
  },
  "span-close": {
    ...COMMON,
    parentSpanId: isString,
    links: (v) => Array.isArray(v) && v.every(isLink),
  },
};

/**
 * Whether `value` is a record the sink must write: a known kind, its required fields, and
 * each optional field present of its type (the reader's rule, written out again here).
 */
function isComplete(value: unknown): boolean {
  try {
    const r = value as Record<string, unknown>;
    if (typeof value !== "object" || value === null || !KINDS.includes(r.kind as any)) {
      return false;
    }
    const kind = r.kind as (typeof KINDS)[number];
    const required = kind === "log"
      ? ["debug", "info", "warn", "error"].includes(r.level as string) && isString(r.msg)
      : isString(r.spanId) && isString(r.name) &&
        (kind === "span-open" ||
          Number.isFinite(r.durationMs) && (r.status === "ok" || r.status === "error"));
    if (!required || !Number.isFinite(r.timestamp) || !isString(r.extensionId)) return false;
    return Object.entries(OPTIONAL[kind]).every(([field, ok]) =>
      r[field] === undefined || ok(r[field])
    );
  } catch {
    return false;
  }
}

/** A value of any type, often one a record field does not take. */
const wrongValue = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  anyText,
  fc.constant("x".repeat(70_000)),
  fc.constant("0123456789ABCDEF0123456789ABCDEF"),
  fc.constant("0123456789abcdef0123456789abcdef"),
  fc.array(jsonish, { maxLength: 3 }),
  fc.dictionary(trickyKey, jsonish, { maxKeys: 3, noNullPrototype: true }),
  fc.array(
    fc.oneof(
      jsonish,
      fc.record({ spanId: fc.oneof(anyText, jsonish), turnId: jsonish, reason: jsonish }, {
        requiredKeys: ["spanId"],
        noNullPrototype: true,
      }),
    ),
    { maxLength: 3 },
  ),
);

/** A complete record of each kind with one to three optional fields given any value. */
const wrongOptional = fc
  .tuple(
    fc.constantFrom(...KINDS),
    fc.array(fc.tuple(fc.nat(), wrongValue), { minLength: 1, maxLength: 3 }),
  )
  .map(([kind, fields]) => {
    const r: Record<string, unknown> = kind === "log"
      ? { kind, level: "info", msg: "m", timestamp: 1, extensionId: "fc" }
      : { kind, spanId: "s", name: "n", timestamp: 1, extensionId: "fc" };
    if (kind === "span-close") Object.assign(r, { durationMs: 1, status: "ok" });
    const names = Object.keys(OPTIONAL[kind]);
    for (const [i, value] of fields) r[names[i % names.length]] = value;
    return r;
  });

/** Anything at all in emit's place, records and non-records. */
const anyEmitted = fc.oneof(
  hostileRecord,
  wrongOptional,
  hostileLeaf,
  fc.anything({ withBigInt: true, withMap: true, withSet: true, withSparseArray: true }),
);

test("serialize round-trips every JSON-expressible record exactly, as one line", () => {
  fc.assert(
    fc.property(record, (value) => {
      assert.deepEqual(oneLine(serialize(value)), value);
    }),
    { numRuns: RUNS },
  );
});

test("the safe path keeps JSON-expressible parts exactly when a BigInt or Error forces it", () => {
  fc.assert(
    fc.property(record, fc.boolean(), (value, withError) => {
      const poison = withError ? new Error("forces the safe path") : 12n;
      const forced = { ...value, attributes: { ...value.attributes, ["\u0000poison"]: poison } };
      const parsed = oneLine(serialize(forced));
      const { ["\u0000poison"]: written, ...attributes } = parsed.attributes;
      assert.deepEqual({ ...parsed, attributes }, value);
      if (withError) assert.equal(written.message, "forces the safe path");
      else assert.equal(written, "12");
    }),
    { numRuns: RUNS },
  );
});

test("serialize never throws on hostile input and always gives one valid JSON line", () => {
  fc.assert(
    fc.property(anyEmitted, (generated) => {
      const value = materialize(generated);
      let line = "";
      assert.doesNotThrow(() => void (line = serialize(value)));
      oneLine(line);
    }),
    { numRuns: RUNS },
  );
});

test("a sink fed hostile input never throws and writes one valid line per record it counts", () => {
  fc.assert(
    fc.property(fc.array(anyEmitted, { minLength: 1, maxLength: 20 }), (generated) => {
      const values = generated.map(materialize);
      const fs = createFakeFs();
      let reports = 0;
      const sink = createJournalSink({
        path: "j",
        fs,
        maxBytes: 2048,
        maxFiles: 1000,
        fsync: "always",
        onError: () => void reports++,
      });
      for (const value of values) {
        assert.doesNotThrow(() => sink.emit(value as LogRecord));
      }
      sink.close();
      const { written, dropped } = sink.stats;
      assert.equal(written + dropped, values.length, "every emit is written or dropped");
      // Complete records are written; everything else (non-objects, objects without a
      // known kind and its fields, an optional field of the wrong type, unreadable objects)
      // is a counted drop.
      const complete = values.filter(isComplete).length;
      assert.equal(written, complete, "complete records are written, everything else is a drop");
      const lines = fs.paths().flatMap((path) => fs.text(path).split("\n").slice(0, -1));
      assert.equal(lines.length, written, "one line per written record");
      for (const line of lines) JSON.parse(line);
      for (const path of fs.paths()) {
        assert.ok(fs.text(path) === "" || fs.text(path).endsWith("\n"), path);
      }
      // One report per kind of defect (non-object, unreadable, each kind's field), not per
      // record: 2 + 9 fields of a log + 11 of each span kind + other kinds.
      assert.ok(reports <= 36, `${reports} reports`);
    }),
    { numRuns: RUNS },
  );
});

test("a sink round-trips JSON-expressible records through the journal, lone surrogates too", () => {
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 10 }), (records) => {
      const fs = createFakeFs();
      const sink = createJournalSink({ path: "j", fs, maxBytes: 4096, maxFiles: 1000 });
      for (const value of records) sink.emit(value as LogRecord);
      sink.close();
      const generations = fs.paths().filter((path) => path !== "j").reverse();
      const text = [...generations, "j"].map((path) => fs.text(path)).join("");
      const parsed = text.split("\n").slice(0, -1).map((line) => JSON.parse(line));
      assert.deepEqual(parsed, records);
    }),
    { numRuns: RUNS / 3 },
  );
});

test("100,000-deep nesting of arrays and of objects, with a cycle at the bottom, is one line", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs });
  let array: unknown = "bottom";
  for (let i = 0; i < 100_000; i++) array = [array];
  const object: Record<string, unknown> = {};
  let cursor = object;
  for (let i = 0; i < 100_000; i++) cursor = (cursor.next = {}) as Record<string, unknown>;
  cursor.back = object;
  sink.emit(logEntry("deep arrays", { body: array }));
  sink.emit(logEntry("deep objects", { body: object }));
  sink.emit(logEntry("lazily infinite", { body: lazilyInfinite() }));
  sink.close();
  const lines = fs.text("j").split("\n");
  assert.equal(lines.length, 4);
  assert.deepEqual(lines.slice(0, 3).map((line) => JSON.parse(line).msg), [
    "deep arrays",
    "deep objects",
    "lazily infinite",
  ]);
  assert.match(lines[1], /\[Depth limit\]/);
  assert.equal(sink.stats.written, 3);
});

test("a 16 MiB string, a 10-million-slot sparse array and a huge array are written whole", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({
    path: "j",
    fs,
    maxFiles: 10,
    maxBytes: 8 * 1024 * 1024,
    maxRecordBytes: 64 * 1024 * 1024, // whole, not cut: this is about serializing them
  });
  const huge = "é".repeat(8 * 1024 * 1024);
  const sparse: unknown[] = [];
  sparse.length = 10_000_000;
  sparse[9_999_999] = "last";
  const forced: unknown[] = [];
  forced.length = 1_000_000;
  forced[0] = 1n;
  const dense = Array.from({ length: 1_000_000 }, (_, i) => i);
  sink.emit(logEntry("16 MiB", { body: huge }));
  sink.emit(logEntry("sparse", { body: sparse }));
  sink.emit(logEntry("sparse on the safe path", { body: forced }));
  sink.emit(logEntry("dense", { body: dense }));
  sink.close();
  assert.equal(sink.stats.written, 4);
  assert.equal(sink.stats.dropped, 0);
  const byMsg = new Map<string, any>();
  for (const path of fs.paths()) {
    for (const line of fs.text(path).split("\n").slice(0, -1)) {
      const parsed = JSON.parse(line);
      byMsg.set(parsed.msg, parsed);
    }
  }
  assert.equal(byMsg.get("16 MiB").body, huge);
  assert.equal(byMsg.get("sparse").body.length, 10_000_000);
  assert.equal(byMsg.get("sparse").body[9_999_999], "last");
  assert.equal(byMsg.get("sparse").body[5], null);
  assert.equal(byMsg.get("sparse on the safe path").body.length, 1_000_000);
  assert.equal(byMsg.get("sparse on the safe path").body[0], "1");
  assert.deepEqual(byMsg.get("dense").body, dense);
});

test("every UTF-16 code unit, lone surrogates included, survives the journal unchanged", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs });
  const units = Array.from({ length: 0x10000 }, (_, i) => String.fromCharCode(i)).join("");
  sink.emit(logEntry(units, { attributes: { [units.slice(0xd7f0, 0xe010)]: units } }));
  sink.close();
  const parsed = JSON.parse(fs.text("j"));
  assert.equal(parsed.msg, units);
  assert.equal(parsed.attributes[units.slice(0xd7f0, 0xe010)], units);
});

test("a __proto__ key is written as data, read back as data, and pollutes nothing", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j", fs });
  const attributes = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"x":1}}');
  sink.emit(logEntry("proto", { attributes, body: 1n }));
  sink.emit(logEntry("proto fast", { attributes }));
  sink.close();
  for (const line of fs.text("j").split("\n").slice(0, -1)) {
    const parsed = JSON.parse(line);
    assert.deepEqual(Object.keys(parsed.attributes), ["__proto__", "constructor"]);
    assert.deepEqual(Object.getOwnPropertyDescriptor(parsed.attributes, "__proto__")?.value, {
      polluted: true,
    });
  }
  assert.equal(({} as any).polluted, undefined);
});

test("records that are themselves hostile (revoked Proxy, throwing kind getter) are counted drops, never exceptions", () => {
  const fs = createFakeFs();
  const reports: unknown[] = [];
  const sink = createJournalSink({ path: "j", fs, onError: (error) => void reports.push(error) });
  const { proxy, revoke } = Proxy.revocable({ kind: "log" }, {});
  revoke();
  const throwing = Object.defineProperty({ msg: "m" }, "kind", {
    enumerable: true,
    get() {
      throw new Error("no kind for you");
    },
  });
  const values: unknown[] = [proxy, throwing, new Error("a bare Error as the record"), [1n]];
  for (const value of values) assert.doesNotThrow(() => sink.emit(value as LogRecord));
  for (const value of ["text", 42, undefined, Symbol("s"), () => 1, 1n, true]) {
    assert.doesNotThrow(() => sink.emit(value as unknown as LogRecord));
  }
  // A complete record whose payload is hostile is still written, with markers.
  const body = Object.defineProperty({}, "bad", {
    enumerable: true,
    get() {
      throw new Error("no body for you");
    },
  });
  sink.emit(logEntry("payload", { body }));
  sink.close();
  assert.equal(sink.stats.written, 1);
  assert.equal(sink.stats.dropped, 11);
  const lines = fs.text("j").split("\n").slice(0, -1).map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((line) => line.body), [{ bad: "[Throws: no body for you]" }]);
  const messages = reports.map((error) => (error as Error).message);
  assert.equal(messages.length, 3, "unreadable, no kind, not an object: one report each");
  assert.match(messages[0], /record cannot be read \(TypeError: .*revoked/);
  assert.match(
    messages[1],
    /invalid record: kind must be "log", "span-open" or "span-close", got an object|got undefined/,
  );
  assert.match(messages[2], /emit of a non-object/);
});

test("emit refuses every optional field of the wrong type: a counted drop naming the field", () => {
  const fs = createFakeFs();
  const reports: string[] = [];
  const sink = createJournalSink({
    path: "j",
    fs,
    onError: (error) => void reports.push((error as Error).message),
  });
  const poison = [...poisonRecords(1)];
  for (const { record } of poison) {
    assert.doesNotThrow(() => sink.emit(record as unknown as LogRecord));
  }
  sink.close();
  const bad = poison.filter((entry) => entry.field !== "");
  assert.equal(sink.stats.dropped, bad.length);
  assert.equal(sink.stats.written, poison.length - bad.length);
  const lines = fs.text("j").split("\n").slice(0, -1).map((line) => JSON.parse(line));
  assert.deepEqual(lines, poison.filter((entry) => entry.field === "").map((e) => e.record));
  // One report per kind and field, each saying which field and what it must hold.
  const fields = new Set(bad.map((entry) => `${entry.kind} ${entry.field}`));
  assert.equal(reports.length, fields.size);
  for (const key of fields) {
    const [kind, field] = key.split(" ");
    assert.ok(
      reports.some((text) => text.includes(`"${kind}"`) && text.includes(`${field} must be`)),
      `${key}: ${reports.join("\n")}`,
    );
  }
});
