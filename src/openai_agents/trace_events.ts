/**
 * The parts of the OpenAI Agents SDK's tracing objects (`@openai/agents`' `Trace` and `Span`)
 * that the journal trace processor reads, matched structurally: the SDK is not a dependency.
 * A span's data is typed by its `type` (`agent`, `task`, `turn`, `response`, `generation`,
 * `function`, `handoff`, `guardrail`, `mcp_tools`, `custom`, …); fields are read defensively,
 * since the SDK fills most of them only when the span ends.
 *
 * @module
 */

/**
 * A trace: one workflow run (`Runner.run`, or `withTrace`).
 *
 * @example
 * ```ts
 * import type { AgentsTrace } from "@dispatch/journal-sink/openai-agents";
 * const trace: AgentsTrace = { traceId: "trace_0123", name: "Agent workflow", groupId: "thread-7" };
 * if (trace.groupId !== "thread-7") throw new Error("unreachable");
 * ```
 */
export interface AgentsTrace {
  /** `trace_` and 32 hex digits. */
  readonly traceId: string;
  /** The workflow name. */
  readonly name: string;
  /** The conversation or thread the run belongs to, if the host gave one. */
  readonly groupId?: string | null;
  /** The host's `traceMetadata`. */
  readonly metadata?: Record<string, unknown>;
}

/**
 * A span's data: its `type` and the fields of that type.
 *
 * @example
 * ```ts
 * import type { AgentsSpanData } from "@dispatch/journal-sink/openai-agents";
 * const data: AgentsSpanData = { type: "function", name: "get_weather", input: "{}", output: "12°C" };
 * if (data.type !== "function") throw new Error("unreachable");
 * ```
 */
export interface AgentsSpanData {
  /** `agent`, `task`, `turn`, `response`, `generation`, `function`, `handoff`, … */
  readonly type: string;
  /** The agent's, tool's, guardrail's, task's or custom span's name. */
  readonly name?: string;
  /** The fields of the span's type. */
  [field: string]: unknown;
}

/**
 * A span of a trace.
 *
 * @example
 * ```ts
 * import type { AgentsSpan } from "@dispatch/journal-sink/openai-agents";
 * const span: AgentsSpan = {
 *   traceId: "trace_0123", spanId: "span_1", parentId: null,
 *   spanData: { type: "agent", name: "Planner" }, error: null,
 * };
 * if (span.spanData.name !== "Planner") throw new Error("unreachable");
 * ```
 */
export interface AgentsSpan {
  /** The trace it belongs to. */
  readonly traceId: string;
  /** `span_` and 24 hex digits. */
  readonly spanId: string;
  /** The enclosing span; `null` for a span directly under the trace. */
  readonly parentId: string | null;
  /** What the span is about. */
  readonly spanData: AgentsSpanData;
  /** Set when the span's work failed. */
  readonly error: { message: string; data?: Record<string, unknown> } | null;
}
