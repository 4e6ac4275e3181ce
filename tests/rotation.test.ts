import { test } from "node:test";
import assert from "node:assert/strict";
import { decideWrite, rotationSteps } from "../src/rotation.ts";
import { rotatedPath as generationPath } from "../src/naming.ts";
import { utf8Length } from "../src/utf8_length.ts";
import { createJournalSink } from "../mod.ts";
import { createFakeFs } from "../testing.ts";

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

test("a rotation below a free generation number shifts only the generations under it", () => {
  assert.deepEqual(rotationSteps("j.log", 100_000, { firstFree: 3 }), [
    { op: "rename", from: "j.log.2", to: "j.log.3" },
    { op: "rename", from: "j.log.1", to: "j.log.2" },
    { op: "rename", from: "j.log", to: "j.log.1" },
  ]);
  assert.deepEqual(rotationSteps("j.log", 100_000, { firstFree: 1 }), [
    { op: "rename", from: "j.log", to: "j.log.1" },
  ]);
  assert.deepEqual(
    rotationSteps("j.log", 2, { firstFree: 3 }),
    rotationSteps("j.log", 2),
    "every kept number taken: the oldest goes, as without firstFree",
  );
});

test("a rotation with maxFiles 100,000 touches only the generations that exist", () => {
  const fs = createFakeFs();
  const sink = createJournalSink({ path: "j.log", fs, maxBytes: 100, maxFiles: 100_000 });
  const line = (i: number) => ({
    kind: "log" as const,
    level: "info" as const,
    msg: `record ${i} ${"x".repeat(40)}`,
    timestamp: i,
    extensionId: "host",
  });
  sink.emit(line(0));
  const before = { ...fs.calls };
  for (let i = 1; i <= 5; i++) sink.emit(line(i));
  sink.close();
  assert.equal(sink.stats.rotations, 5);
  const used = (method: string) => (fs.calls[method] ?? 0) - (before[method] ?? 0);
  const touched = used("rename") + used("remove") + used("stat") + used("exists");
  // Five rotations over 1..5 generations: 15 renames, and a few probes each; the one remove
  // a rotation makes is its lock's.
  assert.equal(used("rename"), 1 + 2 + 3 + 4 + 5);
  assert.equal(used("remove"), 5);
  assert.ok(touched < 100, `${touched} file-system calls for five rotations`);
  assert.deepEqual(fs.paths(), ["j.log", "j.log.1", "j.log.2", "j.log.3", "j.log.4", "j.log.5"]);
  for (let n = 1; n <= 5; n++) {
    assert.match(fs.text(`j.log.${n}`), new RegExp(`record ${5 - n} `), `j.log.${n}`);
  }
});

test("a hole a crash left among the generations is filled, the older ones stay in order", () => {
  const fs = createFakeFs();
  for (const [name, text] of [["j.log.1", "one\n"], ["j.log.3", "three\n"], ["j.log", "live\n"]]) {
    const handle = fs.open(name);
    fs.append(handle, text);
    fs.close(handle);
  }
  const sink = createJournalSink({ path: "j.log", fs, maxBytes: 10, maxFiles: 5 });
  sink.emit({ kind: "log", level: "info", msg: "next", timestamp: 1, extensionId: "host" });
  sink.close();
  assert.equal(sink.stats.rotations, 1);
  assert.deepEqual(
    ["j.log.1", "j.log.2", "j.log.3"].map((name) => fs.text(name)),
    ["live\n", "one\n", "three\n"],
  );
});
