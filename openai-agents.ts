/**
 * The OpenAI Agents SDK bridge: `createJournalTraceProcessor({ logger })` (or `{ sink }`)
 * returns a `TracingProcessor` for `addTraceProcessor` / `setTraceProcessors` that writes each
 * run's trace and spans (agent, turn, model call, function call, handoff, guardrail, MCP,
 * custom) as journal spans, opened when the SDK starts them, so a run that dies mid-turn
 * leaves them visibly open. The trace's `group_id` is the conversation; usage is written once.
 * `@openai/agents` is not a dependency: its traces and spans are matched structurally.
 *
 * @example A function call that never returned reads back as open
 * ```ts
 * import { reconstructTraces, type LogRecord } from "@dispatch/journal-sink";
 * import { createJournalTraceProcessor } from "@dispatch/journal-sink/openai-agents";
 * const records: LogRecord[] = [];
 * const processor = createJournalTraceProcessor({ sink: { emit: (r) => void records.push(r) } });
 * await processor.onTraceStart({ traceId: "trace_1", name: "Agent workflow" });
 * await processor.onSpanStart({ traceId: "trace_1", spanId: "span_1", parentId: null, error: null,
 *   spanData: { type: "function", name: "shell", input: "", output: "" } });
 * // the process dies here
 * const [root] = reconstructTraces(records).roots;
 * if (root.status !== "open" || root.children[0].name !== "execute_tool shell") {
 *   throw new Error("open spans");
 * }
 * ```
 *
 * @module
 */

export {
  createJournalTraceProcessor,
  type FlushableSink,
  type JournalTraceProcessor,
  type JournalTraceProcessorOptions,
} from "./src/openai_agents/journal_trace_processor.ts";
export type { AgentsSpan, AgentsSpanData, AgentsTrace } from "./src/openai_agents/trace_events.ts";
