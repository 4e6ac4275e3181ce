/**
 * The OpenAI Agents SDK `TracingProcessor` that writes the SDK's traces and spans as journal
 * spans, each opened at `onTraceStart` / `onSpanStart`, so a run that dies mid-turn leaves them
 * open in the journal.
 *
 * @module
 */

import { type Attributes, createLogger, type Logger, type Span } from "../logger/logger.ts";
import type { LogSink } from "../records.ts";
import { GEN_AI, GEN_AI_OPERATION } from "../genai/attributes.ts";
import { startAgent, startToolCall } from "../genai/spans.ts";
import { hasTokens, modelCallAttributes, runnerUsageAttributes } from "./span_usage.ts";
import type { AgentsSpan, AgentsSpanData, AgentsTrace } from "./trace_events.ts";

/**
 * A sink the processor may flush (`forceFlush`, `shutdown`) and close (`shutdown` with
 * `closeSinkOnShutdown`): a `JournalSink`, or any `{ emit }`.
 *
 * @example
 * ```ts
 * import type { FlushableSink } from "@dispatch/journal-sink/openai-agents";
 * const sink: FlushableSink = { emit: () => {}, flush: () => {} };
 * sink.flush?.();
 * ```
 */
export interface FlushableSink extends LogSink {
  /** Writes what is buffered. */
  flush?(): void;
  /** Flushes and releases the sink. */
  close?(): void;
}

/**
 * Options of {@linkcode createJournalTraceProcessor}: a `logger`, or a `sink` (with an
 * `extensionId`) for the processor to make its own.
 *
 * @example
 * ```ts
 * import type { JournalTraceProcessorOptions } from "@dispatch/journal-sink/openai-agents";
 * const options: JournalTraceProcessorOptions = { sink: { emit: () => {} }, extensionId: "agents" };
 * if (options.extensionId !== "agents") throw new Error("unreachable");
 * ```
 */
export interface JournalTraceProcessorOptions {
  /** Where the spans go; its conversation and turn apply to them. */
  logger?: Logger;
  /** Where records go, when no `logger` is given: a `JournalSink`, or any `{ emit }`. */
  sink?: FlushableSink;
  /**
   * The `extensionId` of the records, with `sink`.
   * @default {"openai-agents"}
   */
  extensionId?: string;
  /**
   * Write what the SDK kept of inputs and outputs (model input and output, tool arguments and
   * results) as bodies of `gen_ai.input` / `gen_ai.output` log entries in the span. The SDK
   * keeps them only with `traceIncludeSensitiveData` (its default).
   * @default {true}
   */
  captureContent?: boolean;
  /**
   * Whether `shutdown()` closes the `sink`. Off by default: the host that made the sink owns
   * it, so `shutdown()` only flushes.
   * @default {false}
   */
  closeSinkOnShutdown?: boolean;
}

/**
 * The processor: the SDK's `TracingProcessor` interface. Register it with
 * `addTraceProcessor(...)` (beside the SDK's exporter) or `setTraceProcessors([...])`.
 *
 * @example
 * ```ts
 * import { createJournalTraceProcessor, type JournalTraceProcessor } from "@dispatch/journal-sink/openai-agents";
 * const processor: JournalTraceProcessor = createJournalTraceProcessor({ sink: { emit: () => {} } });
 * await processor.forceFlush();
 * ```
 */
export interface JournalTraceProcessor {
  /** A run begins: opens its root span, in the conversation of its `groupId`. */
  onTraceStart(trace: AgentsTrace): Promise<void>;
  /** The run ended: closes its root span. */
  onTraceEnd(trace: AgentsTrace): Promise<void>;
  /** Opens the span's journal span under its parent's. */
  onSpanStart(span: AgentsSpan): Promise<void>;
  /** Closes it with its status and what its data says by then. */
  onSpanEnd(span: AgentsSpan): Promise<void>;
  /** Flushes the sink (closes it with `closeSinkOnShutdown`). */
  shutdown(timeout?: number): Promise<void>;
  /** Flushes the sink given as `sink` (`sink.flush()`, which fsyncs a `JournalSink`). */
  forceFlush(): Promise<void>;
}

interface OpenSpan {
  span: Span;
  traceId: string;
  parentId: string | null;
  /** A span under it already carries the usage its own `usage` field sums up. */
  covered: boolean;
}

const SPAN_TYPE = "openai_agents.span.type";
const SPAN_ID = "openai_agents.span.id";

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** A tool's arguments as the SDK gives them (a JSON string), parsed when they parse. */
function parsed(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Creates the `TracingProcessor` that writes an Agents SDK run as journal spans: the trace
 * (in the conversation of its `group_id`), then `task`, `invoke_agent {name}` (with
 * `gen_ai.agent.name`), `turn {n}`, `chat` for each model call, `execute_tool {name}` for each
 * function call, `handoff`, `guardrail {name}`, `mcp_tools {server}` and custom spans, each
 * opened when the SDK starts it; a span the SDK marks failed closes with status `"error"`.
 * Usage is written once as `gen_ai.usage.*`: on the model call when the SDK kept the response
 * there, else on the turn (else the task) that sums it.
 *
 * @param options A `logger`, or a `sink` and an `extensionId`; content capture.
 * @returns The processor.
 * @throws {TypeError} Without a `logger` or a `sink`, or with both.
 *
 * @example A run seen by the processor
 * ```ts
 * import type { LogRecord } from "@dispatch/journal-sink";
 * import { createJournalTraceProcessor } from "@dispatch/journal-sink/openai-agents";
 * const records: LogRecord[] = [];
 * const processor = createJournalTraceProcessor({ sink: { emit: (r) => void records.push(r) } });
 * const trace = { traceId: "trace_1", name: "Agent workflow", groupId: "thread-7" };
 * const agent = { traceId: "trace_1", spanId: "span_1", parentId: null, error: null,
 *   spanData: { type: "agent", name: "Planner" } };
 * await processor.onTraceStart(trace);
 * await processor.onSpanStart(agent);
 * await processor.onSpanEnd(agent);
 * await processor.onTraceEnd(trace);
 * const names = records.filter((r) => r.kind === "span-open").map((r) => r.name);
 * if (names.join() !== "Agent workflow,invoke_agent Planner") throw new Error(names.join());
 * if (records.some((r) => r.conversationId !== "thread-7")) throw new Error("conversation");
 * ```
 */
export function createJournalTraceProcessor(
  options: JournalTraceProcessorOptions,
): JournalTraceProcessor {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createJournalTraceProcessor needs { logger } or { sink }");
  }
  const { sink } = options;
  if ((options.logger === undefined) === (sink === undefined)) {
    throw new TypeError("createJournalTraceProcessor: give either a logger or a sink");
  }
  const base = options.logger ??
    createLogger({ sink: sink!, extensionId: options.extensionId ?? "openai-agents" });
  const capture = options.captureContent !== false;
  const traces = new Map<string, { root: Span; spans: Set<string> }>();
  const spans = new Map<string, OpenSpan>();

  /** The run's usage is on a span under each of these: their own sums are not counted again. */
  const cover = (parentId: string | null) => {
    for (let id = parentId; id !== null;) {
      const open = spans.get(id);
      if (open === undefined) return;
      open.covered = true;
      id = open.parentId;
    }
  };

  const open = (parent: Logger, s: AgentsSpan): Span => {
    const d = s.spanData;
    const ids: Attributes = { [SPAN_TYPE]: d.type, [SPAN_ID]: s.spanId };
    switch (d.type) {
      case "agent":
        return startAgent(parent, { name: text(d.name), attributes: ids }).span;
      case "function":
        return startToolCall(parent, {
          name: text(d.name) ?? "function",
          type: "function",
          attributes: ids,
        }).span;
      case "response":
      case "generation":
        return parent.span(GEN_AI_OPERATION.CHAT, {
          [GEN_AI.OPERATION_NAME]: GEN_AI_OPERATION.CHAT,
          ...(d.type === "response" ? { [GEN_AI.PROVIDER_NAME]: "openai" } : {}),
          ...ids,
        });
      case "turn":
        return parent.span(`turn ${d.turn}`, {
          [GEN_AI.AGENT_NAME]: text(d.agent_name),
          "openai_agents.turn": d.turn,
          ...ids,
        });
      case "handoff": {
        const from = text(d.from_agent);
        const to = text(d.to_agent);
        return parent.span(to === undefined ? "handoff" : `handoff ${to}`, {
          "openai_agents.handoff.from": from,
          "openai_agents.handoff.to": to,
          ...ids,
        });
      }
      case "mcp_tools":
        return parent.span(`mcp_tools ${text(d.server) ?? ""}`.trimEnd(), {
          "openai_agents.mcp.server": text(d.server),
          ...ids,
        });
      case "custom":
        return parent.span(text(d.name) ?? "custom", ids);
      default:
        return parent.span(`${d.type} ${text(d.name) ?? text(d.model) ?? ""}`.trimEnd(), ids);
    }
  };

  /** Writes the span's input and output in log entries, then returns its close attributes. */
  const closing = (open: OpenSpan, d: AgentsSpanData): Attributes => {
    const span = open.span;
    const a: Attributes = {};
    switch (d.type) {
      case "response":
      case "generation": {
        Object.assign(a, modelCallAttributes(d));
        if (hasTokens(a)) cover(open.parentId);
        const response = d._response as { output?: unknown } | undefined;
        const input = d._input ?? d.input;
        const output = response?.output ?? d.output;
        if (capture && input !== undefined) span.info("gen_ai.input", undefined, { input });
        if (capture && output !== undefined) span.info("gen_ai.output", undefined, { output });
        break;
      }
      case "turn":
      case "task": {
        const usage = runnerUsageAttributes(d.usage);
        if (!hasTokens(usage)) break;
        if (open.covered) {
          // The model calls under it carry these tokens already.
          a["openai_agents.usage"] = d.usage;
        } else {
          Object.assign(a, usage);
          cover(open.parentId);
        }
        break;
      }
      case "agent":
        a["openai_agents.agent.handoffs"] = d.handoffs;
        a["openai_agents.agent.tools"] = d.tools;
        a["openai_agents.agent.output_type"] = d.output_type;
        break;
      case "function":
        if (capture && text(d.input) !== undefined) {
          span.info("gen_ai.input", undefined, { arguments: parsed(d.input) });
        }
        if (capture && d.output !== undefined && d.output !== "") {
          span.info("gen_ai.output", undefined, { output: d.output });
        }
        a["openai_agents.mcp.data"] = d.mcp_data;
        break;
      case "handoff":
        a["openai_agents.handoff.from"] = d.from_agent;
        a["openai_agents.handoff.to"] = d.to_agent;
        break;
      case "guardrail":
        a["openai_agents.guardrail.triggered"] = d.triggered;
        break;
      case "mcp_tools":
        a["openai_agents.mcp.tools"] = d.result;
        break;
      case "custom":
        a["openai_agents.data"] = d.data;
        break;
    }
    for (const key of Object.keys(a)) if (a[key] === undefined) delete a[key];
    return a;
  };

  return {
    onTraceStart(trace) {
      if (!traces.has(trace.traceId)) {
        const group = text(trace.groupId);
        const log = group === undefined ? base : base.child({ conversationId: group });
        const a: Attributes = {
          [GEN_AI.OPERATION_NAME]: GEN_AI_OPERATION.INVOKE_WORKFLOW,
          "openai_agents.trace.id": trace.traceId,
        };
        if (group !== undefined) a[GEN_AI.CONVERSATION_ID] = group;
        if (trace.metadata !== undefined && Object.keys(trace.metadata).length > 0) {
          a["openai_agents.trace.metadata"] = trace.metadata;
        }
        const root = log.span(text(trace.name) ?? "Agent workflow", a);
        traces.set(trace.traceId, { root, spans: new Set() });
      }
      return Promise.resolve();
    },

    onTraceEnd(trace) {
      const t = traces.get(trace.traceId);
      if (t !== undefined) {
        traces.delete(trace.traceId);
        // A span still open here stays open in the journal: it never ended.
        for (const id of t.spans) spans.delete(id);
        t.root.end("ok");
      }
      return Promise.resolve();
    },

    onSpanStart(s) {
      if (!spans.has(s.spanId)) {
        const t = traces.get(s.traceId);
        const parent = (s.parentId === null ? undefined : spans.get(s.parentId)?.span) ??
          t?.root ?? base;
        spans.set(s.spanId, {
          span: open(parent, s),
          traceId: s.traceId,
          parentId: s.parentId,
          covered: false,
        });
        t?.spans.add(s.spanId);
      }
      return Promise.resolve();
    },

    onSpanEnd(s) {
      const entry = spans.get(s.spanId);
      if (entry !== undefined) {
        const a = closing(entry, s.spanData);
        spans.delete(s.spanId);
        traces.get(entry.traceId)?.spans.delete(s.spanId);
        if (s.error === null || s.error === undefined) {
          entry.span.end("ok", a);
        } else {
          const error = new Error(s.error.message);
          if (s.error.data !== undefined) a["openai_agents.error.data"] = s.error.data;
          entry.span.fail(error, { [GEN_AI.ERROR_TYPE]: "_OTHER", ...a });
        }
      }
      return Promise.resolve();
    },

    shutdown() {
      if (options.closeSinkOnShutdown === true) sink?.close?.();
      else sink?.flush?.();
      return Promise.resolve();
    },

    forceFlush() {
      sink?.flush?.();
      return Promise.resolve();
    },
  };
}
