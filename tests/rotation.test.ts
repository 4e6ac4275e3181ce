import { test } from "node:test";
import assert from "node:assert/strict";
import { decideWrite, rotationSteps } from "../src/rotation.ts";
import { rotatedPath as generationPath } from "../src/naming.ts";
import { utf8Length } from "../src/utf8_length.ts";

test("an empty file takes a line larger than maxBytes whole", () => {
  assert.equal(decideWrite(0, "x".repeat(1000), 10), "append");
});

test("a line that would push the file past maxBytes asks for a rotation", () => {
  assert.equal(decideWrite(90, "x".repeat(11), 100), "rotate");
  assert.equal(decideWrite(90, "x".repeat(10), 100), "append");
});

test("near the boundary the decision counts UTF-8 bytes, not UTF-16 units", () => {
  const line = "€€€\n"; // 4 units, 10 bytes
  assert.equal(decideWrite(90, line, 100), "append");
  assert.equal(decideWrite(91, line, 100), "rotate");
});

test("the UTF-8 length agrees with TextEncoder for every kind of code point", () => {
  const samples = ["", "ascii", "é", "€", "😀", "a\ud800b", "\udc00", "mixé€😀\ud83d", "\u2028"];
  for (const sample of samples) {
    assert.equal(
      utf8Length(sample),
      new TextEncoder().encode(sample).length,
      JSON.stringify(sample),
    );
  }
});

test("a rotation removes the oldest generation and shifts the others up, oldest first", () => {
  assert.deepEqual(rotationSteps("j.log", 3), [
    { op: "remove", path: "j.log.3" },
    { op: "rename", from: "j.log.2", to: "j.log.3" },
    { op: "rename", from: "j.log.1", to: "j.log.2" },
    { op: "rename", from: "j.log", to: "j.log.1" },
  ]);
});

test("with maxFiles 0 a rotation keeps no generation", () => {
  assert.deepEqual(rotationSteps("j.log", 0), [{ op: "remove", path: "j.log" }]);
  assert.equal(generationPath("j.log", 0), "j.log");
});
