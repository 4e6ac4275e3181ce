import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compileRedaction, REDACTED, redactValue } from "../src/redact.ts";
import { createLogger } from "../src/logger/logger.ts";
import type { LogRecord } from "../src/records.ts";
import { serialize } from "../src/serialize.ts";

function redactor(...patterns: string[]) {
  const r = compileRedaction(patterns);
  assert.ok(r);
  return r;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

describe("redactValue", () => {
  test("a key name is redacted at any depth, case-insensitively", () => {
    const input = {
      authorization: "Bearer a",
      request: { headers: { Authorization: "Bearer b", accept: "json" } },
    };
    assert.deepEqual(redactValue(input, redactor("authorization")), {
      authorization: REDACTED,
      request: { headers: { Authorization: REDACTED, accept: "json" } },
    });
  });

  test("a dotted path with * matches exactly one level, from the root", () => {
    const input = {
      user: { alice: { password: "p1", name: "a" }, bob: { password: "p2" } },
      other: { user: { x: { password: "kept: not at the root" } } },
      password: "kept: the path is anchored",
    };
    assert.deepEqual(redactValue(input, redactor("user.*.password")), {
      user: { alice: { password: REDACTED, name: "a" }, bob: { password: REDACTED } },
      other: { user: { x: { password: "kept: not at the root" } } },
      password: "kept: the path is anchored",
    });
  });

  test("* also matches array indices, and key names are found inside arrays", () => {
    const input = {
      users: [{ token: "t1", id: 1 }, { token: "t2", id: 2 }],
      list: [{ secret: 1 }],
    };
    assert.deepEqual(redactValue(input, redactor("users.*.token", "secret")), {
      users: [{ token: REDACTED, id: 1 }, { token: REDACTED, id: 2 }],
      list: [{ secret: REDACTED }],
    });
  });

  test("a whole subtree can be redacted by its path", () => {
    assert.deepEqual(redactValue({ db: { creds: { u: 1, p: 2 } } }, redactor("db.creds")), {
      db: { creds: REDACTED },
    });
  });

  test("the caller's objects are never mutated", () => {
    const input = deepFreeze({ a: { password: "x", keep: [1, { password: "y" }] }, b: 1 });
    const snapshot = structuredClone(input);
    const out = redactValue(input, redactor("password")) as typeof input;
    assert.deepEqual(input, snapshot);
    assert.notEqual(out, input);
    assert.notEqual(out.a, input.a);
  });

  test("what has nothing to redact is returned as the same reference, untouched subtrees shared", () => {
    const input = { a: { b: 1 }, c: { password: "x" } };
    const r = redactor("password");
    const clean = { x: { y: [1, 2] } };
    assert.equal(redactValue(clean, r), clean);
    const out = redactValue(input, r) as typeof input;
    assert.equal(out.a, input.a);
  });

  test("an Error holding a secret becomes a plain copy with its name, message and stack", () => {
    const error = Object.assign(new Error("request failed"), {
      config: { headers: { authorization: "Bearer z" } },
    });
    const out = redactValue({ error }, redactor("authorization")) as Record<string, never>;
    const copy = out.error as Record<string, unknown>;
    assert.equal(copy instanceof Error, false);
    assert.equal(copy.name, "Error");
    assert.equal(copy.message, "request failed");
    assert.equal(typeof copy.stack, "string");
    assert.deepEqual(copy.config, { headers: { authorization: REDACTED } });
    assert.equal(error.config.headers.authorization, "Bearer z");
  });

  test("a secret in an Error's cause is redacted", () => {
    const cause = { token: "t" };
    const error = new Error("outer", { cause });
    const out = redactValue(error, redactor("token")) as Record<string, unknown>;
    assert.deepEqual(out.cause, { token: REDACTED });
  });

  test("a cycle cannot smuggle the unredacted original into the copy", () => {
    const input: Record<string, unknown> = { password: "x" };
    input.self = input;
    const out = redactValue(input, redactor("password"));
    const line = serialize({ attributes: out });
    assert.equal(line.includes('"x"'), false);
    assert.deepEqual(JSON.parse(line).attributes, { password: REDACTED, self: "[Circular]" });
  });

  test("what toJSON returns is what gets redacted", () => {
    const credentials = { toJSON: () => ({ user: "u", password: "p" }) };
    assert.deepEqual(redactValue({ credentials }, redactor("password")), {
      credentials: { user: "u", password: REDACTED },
    });
    const date = new Date(0);
    const kept = { when: date };
    assert.equal(redactValue(kept, redactor("password")), kept);
  });

  test("a redacted value is never read, so its throwing getter does no harm", () => {
    const input = {
      get password(): string {
        throw new Error("must not be read");
      },
      user: "u",
    };
    assert.deepEqual(redactValue(input, redactor("password")), { password: REDACTED, user: "u" });
  });

  test("invalid patterns are rejected with a TypeError", () => {
    assert.throws(() => compileRedaction([""]), TypeError);
    assert.throws(() => compileRedaction(["a..b"]), TypeError);
    assert.throws(() => compileRedaction(["*"]), TypeError);
    assert.throws(() => compileRedaction([1 as unknown as string]), TypeError);
    assert.equal(compileRedaction([]), undefined);
    assert.equal(compileRedaction(undefined), undefined);
  });
});

describe("Logger redaction", () => {
  function setup(redact?: string[], onError?: (error: unknown, record?: unknown) => void) {
    const records: LogRecord[] = [];
    const log = createLogger({
      sink: { emit: (record) => void records.push(record) },
      extensionId: "ext",
      attributes: { apiKey: "base-secret" },
      redact,
      onError,
    });
    return { log, records };
  }

  test("attributes, the logger's own attributes and the body are redacted before the sink", () => {
    const { log, records } = setup(["apiKey", "messages.*.content"]);
    const body = { messages: [{ role: "user", content: "my card is 4111" }] };
    log.info("prompt", { apiKey: "call-secret", model: "m" }, body);
    log.child({}).warn("base only");
    assert.deepEqual(records[0].attributes, { apiKey: REDACTED, model: "m" });
    assert.deepEqual(records[0].kind === "log" && records[0].body, {
      messages: [{ role: "user", content: REDACTED }],
    });
    assert.deepEqual(records[1].attributes, { apiKey: REDACTED });
    assert.equal(body.messages[0].content, "my card is 4111");
  });

  test("span-open attributes and body and span-close attributes are redacted", () => {
    const { log, records } = setup(["token"]);
    log.span("s", { token: "a" }, { body: { token: "b" } }).end("ok", { token: "c" });
    assert.deepEqual(records[0].attributes, { apiKey: "base-secret", token: REDACTED });
    assert.deepEqual(records[0].kind === "span-open" && records[0].body, { token: REDACTED });
    assert.deepEqual(records[1].attributes, { token: REDACTED });
  });

  test("without redact the caller's attributes object reaches the sink as is", () => {
    const records: LogRecord[] = [];
    const log = createLogger({ sink: { emit: (r) => void records.push(r) }, extensionId: "e" });
    const attributes = { password: "visible" };
    log.info("x", attributes);
    assert.equal(records[0].attributes, attributes);
  });

  test("a payload that cannot be inspected fails closed and is reported, never thrown", () => {
    const errors: unknown[] = [];
    const { log, records } = setup(["password"], (error, record) => errors.push(error, record));
    const hostile = {
      get other(): string {
        throw new Error("getter");
      },
    };
    const body = Object.defineProperty({}, "secret", {
      enumerable: true,
      get() {
        throw new Error("getter");
      },
    });
    assert.doesNotThrow(() => log.info("x", { nested: hostile }, body));
    assert.deepEqual(records[0].attributes, { redactionFailed: true });
    assert.equal("body" in records[0], false);
    assert.equal(errors.length, 2);
    assert.equal(errors[1], undefined);
  });
});
