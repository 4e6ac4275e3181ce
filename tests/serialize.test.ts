// deno-lint-ignore-file no-explicit-any -- the tests inspect parsed JSON of any shape
import { test } from "node:test";
import assert from "node:assert/strict";
import { serialize } from "../mod.ts";
import { logEntry } from "./_helpers.ts";

/** Asserts the line is exactly one line of valid JSON and returns what it holds. */
function oneLine(line: string): any {
  assert.ok(line.endsWith("\n"), "ends in a newline");
  assert.equal(line.indexOf("\n"), line.length - 1, "no newline before the end");
  return JSON.parse(line);
}

test("serialize: a plain record is JSON.stringify of it plus one newline", () => {
  const record = logEntry("hello", { attributes: { n: 1, ok: true, list: [1, "a"] } });
  assert.equal(serialize(record), JSON.stringify(record) + "\n");
});

test("serialize: absent optional fields are omitted, not written as null", () => {
  const parsed = oneLine(serialize({ ...logEntry("x"), turnId: undefined, spanId: undefined }));
  assert.equal("turnId" in parsed, false);
  assert.equal("spanId" in parsed, false);
});

test("serialize: a circular reference becomes the [Circular] marker and the rest is kept", () => {
  const attributes: Record<string, unknown> = { keep: "me" };
  attributes.self = attributes;
  attributes.list = [attributes];
  const parsed = oneLine(serialize(logEntry("cycle", { attributes })));
  assert.deepEqual(parsed.attributes, { keep: "me", self: "[Circular]", list: ["[Circular]"] });
  assert.equal(parsed.msg, "cycle");
});

test("serialize: a shared but acyclic object is written twice, not marked circular", () => {
  const shared = { a: 1 };
  const parsed = oneLine(serialize({ kind: "log", x: [shared, shared], y: 10n }));
  assert.deepEqual(parsed.x, [{ a: 1 }, { a: 1 }]);
});

test("serialize: a BigInt is written as its decimal digits", () => {
  const parsed = oneLine(serialize(logEntry("big", { attributes: { n: 2n ** 70n, neg: -5n } })));
  assert.equal(parsed.attributes.n, (2n ** 70n).toString());
  assert.equal(parsed.attributes.neg, "-5");
});

test("serialize: functions, symbols and undefined are left out of objects and null in arrays, as JSON does", () => {
  const body = {
    f: () => 1,
    s: Symbol("s"),
    u: undefined,
    list: [() => 1, Symbol("t"), undefined, 1],
    big: 1n,
  };
  const parsed = oneLine(serialize(logEntry("odd", { body })));
  assert.deepEqual(parsed.body, { list: [null, null, null, 1], big: "1" });
});

test("serialize: an Error keeps its name, message, stack, cause and own fields", () => {
  const error = Object.assign(new TypeError("bad input", { cause: new Error("root") }), {
    code: "E_BAD",
  });
  const parsed = oneLine(serialize(logEntry("failed", { attributes: { error }, body: error })));
  for (const value of [parsed.attributes.error, parsed.body]) {
    assert.equal(value.name, "TypeError");
    assert.equal(value.message, "bad input");
    assert.match(value.stack, /bad input/);
    assert.equal(value.code, "E_BAD");
    assert.equal(value.cause.message, "root");
  }
});

test("serialize: a getter that throws becomes a [Throws: …] marker", () => {
  const attributes = {
    get secret(): string {
      throw new Error("no access");
    },
    fine: 1,
  };
  const parsed = oneLine(serialize(logEntry("getter", { attributes })));
  assert.deepEqual(parsed.attributes, { secret: "[Throws: no access]", fine: 1 });
});

test("serialize: a toJSON that throws becomes a [Throws: …] marker while a Date still uses its toJSON", () => {
  const body = {
    bad: {
      toJSON() {
        throw new Error("nope");
      },
    },
    when: new Date(0),
  };
  const parsed = oneLine(serialize(logEntry("tojson", { body })));
  assert.deepEqual(parsed.body, { bad: "[Throws: nope]", when: "1970-01-01T00:00:00.000Z" });
});

test("serialize: a Proxy whose traps throw and a revoked Proxy still give one valid line", () => {
  const hostile = new Proxy({}, {
    ownKeys() {
      throw new Error("ownKeys trap");
    },
    get() {
      throw new Error("get trap");
    },
  });
  const revocable = Proxy.revocable({ a: 1 }, {});
  revocable.revoke();
  const parsed = oneLine(
    serialize(logEntry("proxies", { attributes: { hostile, revoked: revocable.proxy } })),
  );
  assert.match(parsed.attributes.hostile, /^\[(Throws|Unserializable): /);
  assert.match(parsed.attributes.revoked, /^\[(Throws|Unserializable): /);
  assert.equal(parsed.msg, "proxies");
});

test("serialize: lone surrogates are escaped so the line is valid JSON and round-trips", () => {
  const msg = "a\ud800b\udc00c😀";
  const line = serialize(logEntry(msg));
  assert.equal(oneLine(line).msg, msg);
  assert.ok(line.includes("\\ud800"));
});

test("serialize: newlines and U+2028 inside strings never split the line", () => {
  const msg = "one\ntwo\r\nthree\u2028four\u2029";
  assert.equal(oneLine(serialize(logEntry(msg))).msg, msg);
});

test("serialize: nesting 100,000 deep still gives one valid line", () => {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let i = 0; i < 100_000; i++) {
    const next: Record<string, unknown> = {};
    node.d = next;
    node = next;
  }
  const parsed = oneLine(serialize(logEntry("deep", { body: root })));
  assert.equal(parsed.msg, "deep");
  assert.equal(typeof parsed.body, "object");
});

test("serialize: deep nesting together with a cycle is cut at the depth limit", () => {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let i = 0; i < 500; i++) {
    const next: Record<string, unknown> = {};
    node.d = next;
    node = next;
  }
  node.back = root;
  const line = serialize(logEntry("deep-cycle", { body: root }));
  assert.ok(line.includes('"[Depth limit]"'));
  assert.equal(oneLine(line).msg, "deep-cycle");
});

test("serialize: a 16 MiB string is written whole on one line", () => {
  const big = "x".repeat(16 * 1024 * 1024);
  const parsed = oneLine(serialize(logEntry("big", { body: big })));
  assert.equal(parsed.body.length, big.length);
});

test("serialize: non-record input still gives one valid line", () => {
  assert.equal(serialize(undefined), "null\n");
  assert.equal(serialize(() => 1), "null\n");
  assert.equal(serialize("text"), '"text"\n');
  assert.equal(oneLine(serialize(new Error("top"))).message, "top");
});

test("serialize: a __proto__ key is written as data and pollutes nothing", () => {
  const body = JSON.parse('{"__proto__":{"polluted":true},"n":1n}'.replace("1n", "1"));
  const parsed = oneLine(serialize(logEntry("proto", { body, attributes: { n: 1n } })));
  assert.deepEqual(Object.keys(parsed.body), ["__proto__", "n"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
