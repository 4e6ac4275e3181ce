// The server-sent-events reader the capture uses on streamed responses: the same events
// however the stream is cut into chunks, whichever line ends it uses.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SseParser } from "../src/genai/sse.ts";

const STREAM = 'event: message_start\ndata: {"a":1}\n\n: a comment\n\n' +
  "data: line one\ndata: line two\nid: 7\n\nevent: x\r\ndata: crlf\r\n\r\n" +
  "data: cr only\r\rdata:no-space\n\ndata: [DONE]\n\nevent: unfinished\ndata: lost";

const EXPECTED = [
  { event: "message_start", data: '{"a":1}' },
  { id: "7", data: "line one\nline two" },
  { event: "x", id: "7", data: "crlf" },
  { id: "7", data: "cr only" },
  { id: "7", data: "no-space" },
  { id: "7", data: "[DONE]" },
];

function parse(pieces: string[]) {
  const parser = new SseParser();
  const events = pieces.flatMap((piece) => parser.feed(piece));
  return [...events, ...parser.end()].map((e) => ({ ...e }));
}

describe("SseParser", () => {
  test("whole, the stream gives its events; an event without its blank line is dropped", () => {
    assert.deepEqual(parse([STREAM]), EXPECTED);
  });

  test("cut at every place, in two and in single characters, it gives the same events", () => {
    for (let i = 0; i <= STREAM.length; i++) {
      assert.deepEqual(parse([STREAM.slice(0, i), STREAM.slice(i)]), EXPECTED, `cut at ${i}`);
    }
    assert.deepEqual(parse([...STREAM]), EXPECTED);
  });
});
