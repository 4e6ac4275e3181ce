// The benches' workload: an agent host's journal, the same in every bench (collector, viewer).
import type { LogRecord } from "../mod.ts";

const MODELS = ["m-large", "", "m-small"];

/**
 * An agent host's mix: per turn a root span, 3 child spans (2 model calls whose usage comes
 * at the close, 1 tool call, failing in one turn of five), 4 logs; one turn in 1,000 left
 * open.
 *
 * @param count Records to yield (`Number.MAX_SAFE_INTEGER`: a writer that never stops).
 * @param start The first record's time, ms since the epoch.
 */
export function* workload(count: number, start = 1_700_000_000_000): Generator<LogRecord> {
  let time = start;
  let n = 0;
  for (let turn = 0; n < count; turn++) {
    const scope = {
      extensionId: "host",
      conversationId: `c${Math.floor(turn / 10)}`,
      turnId: `t${turn}`,
    };
    const root = `r${turn}`;
    const turnStart = time;
    yield { kind: "span-open", spanId: root, name: "turn", timestamp: time++, ...scope };
    n++;
    for (let k = 0; k < 3 && n < count; k++) {
      const id = `s${turn}-${k}`;
      yield {
        kind: "span-open",
        spanId: id,
        parentSpanId: root,
        name: k === 1 ? "tool-call" : "llm",
        timestamp: time++,
        ...scope,
        attributes: k === 1
          ? { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search", attempt: k }
          : { "gen_ai.operation.name": "chat", "gen_ai.request.model": MODELS[k], attempt: k },
      };
      yield {
        kind: "log",
        level: k === 1 ? "warn" : "info",
        msg: `step ${k} of turn ${turn}`,
        timestamp: time++,
        spanId: id,
        ...scope,
        attributes: { tokens: 100 + k },
      };
      const d = (turn * 7 + k * 13) % 900;
      time += d;
      yield {
        kind: "span-close",
        spanId: id,
        parentSpanId: root,
        name: k === 1 ? "tool-call" : "llm",
        timestamp: time,
        durationMs: d,
        status: k === 1 && turn % 5 === 0 ? "error" : "ok",
        ...scope,
        ...(k === 1 ? {} : {
          attributes: {
            "gen_ai.usage.input_tokens": 1000 + turn % 100,
            "gen_ai.usage.output_tokens": 100 + k,
          },
        }),
      };
      n += 3;
    }
    yield { kind: "log", level: "info", msg: "turn done", timestamp: time++, ...scope };
    if (turn % 1000 !== 999) {
      yield {
        kind: "span-close",
        spanId: root,
        name: "turn",
        timestamp: time++,
        durationMs: time - turnStart,
        status: "ok",
        ...scope,
      };
      n++;
    }
    n++;
  }
}
