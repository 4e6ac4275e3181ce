/**
 * What OTLP and a journal agree on, one home for both directions (the export's records →
 * OTLP in `records_to_otlp.ts`, the receiver's OTLP → records in `otlp_to_records.ts`), as
 * `otlp-transformer` shares `common/internal.ts` between its signals: the instrumentation
 * scope of our export, the `journal.*` attributes, the OpenTelemetry attribute names a
 * record keeps for OTLP's own fields, span kinds, status codes, severity numbers and texts,
 * and the SDKs' default count limit. A name or number written here is read the same way it
 * is written, so the round trip journal → OTLP → journal gives the same records.
 *
 * @module
 */

import type { Level } from "../records.ts";
import { GEN_AI } from "../genai/attributes.ts";

/** The instrumentation scope of every record journal-sink exports: how a receiver knows its own. */
export const OTLP_SCOPE_NAME = "@dispatch/journal-sink";

/**
 * The `journal.*` attributes: what the export adds for the fields a journal record has and
 * OTLP does not, and what the receiver reads back (see `journal_marks.ts`).
 */
export const JOURNAL_ATTRIBUTES = {
  /** `extensionId` of a record (a span event's, only when it differs from its span's). */
  extensionId: "journal.extension_id",
  /** `turnId` of a record (a span event's, only when it differs from its span's). */
  turnId: "journal.turn_id",
  /** `conversationId` of a span event, only when it differs from its span's. */
  conversationId: "journal.conversation_id",
  /** The record's `body`, which OTLP spans and events have no field for. */
  body: "journal.body",
  /** The level of a log entry sent as a span event. */
  level: "journal.level",
  /**
   * On a span event: the same log entry is sent as a log record too, so a receiver that
   * gets both keeps the log record only.
   */
  logged: "journal.logged",
  /** On a span sent while still open: its end and status are placeholders. */
  open: "journal.open",
  /** The span's `durationMs` when it is not its end minus its start (a monotonic clock's). */
  durationMs: "journal.duration_ms",
  /** The journal's span id when it is not 16 hex digits (OTLP carries a hash of it). */
  spanId: "journal.span_id",
  /** The journal's parent span id when it is not 16 hex digits. */
  parentSpanId: "journal.parent_span_id",
  /** The span's links as the journal has them, when OTLP's cannot say it (a turn, a hashed id). */
  links: "journal.links",
  /** A link's `reason`, on the OTLP link. */
  linkReason: "journal.link.reason",
  /**
   * On a span: the names of the attributes the export derived from the span's records (the
   * GenAI content attributes, from its `provider.*` bodies), which a receiver of ours drops.
   */
  derived: "journal.derived",
} as const;

/** The `journal.*` keys that carry a record's scope (taken out of the attributes on receipt). */
export const JOURNAL_SCOPE_KEYS: readonly string[] = [
  JOURNAL_ATTRIBUTES.extensionId,
  JOURNAL_ATTRIBUTES.conversationId,
  JOURNAL_ATTRIBUTES.turnId,
];

/**
 * OpenTelemetry's attribute names, outside OTLP, for what OTLP has a field or a resource for:
 * the receiver writes them into records, the export turns them back into OTLP's fields.
 */
export const OTEL_ATTRIBUTES = {
  /** The resource's service name; a received record's `extensionId` unless ours says otherwise. */
  serviceName: "service.name",
  /** The instrumentation scope's name, as the receiver keeps it. */
  scopeName: "otel.scope.name",
  /** The instrumentation scope's version, as the receiver keeps it. */
  scopeVersion: "otel.scope.version",
  /** A span kind other than INTERNAL, as the receiver keeps it (`SERVER`, `CLIENT`…). */
  spanKind: "otel.span_kind",
  /** A span kind as the OpenTelemetry span processor keeps it (`client`…). */
  sdkSpanKind: "span.kind",
  /** An error status's message. */
  statusDescription: "otel.status_description",
  /** Attributes dropped by a limit, the sender's and the receiver's. */
  droppedAttributesCount: "otel.dropped_attributes_count",
  /** The record's `conversationId`, under its GenAI name. */
  conversationId: GEN_AI.CONVERSATION_ID,
} as const;

/** OTLP's span kinds, each at its number (`SPAN_KIND_` left out). */
export const SPAN_KINDS: readonly string[] = [
  "UNSPECIFIED",
  "INTERNAL",
  "SERVER",
  "CLIENT",
  "PRODUCER",
  "CONSUMER",
];

/** The kind of a span that records none. */
export const SPAN_KIND_INTERNAL = 1;

const LOWER_SPAN_KINDS = SPAN_KINDS.map((kind) => kind.toLowerCase());

/**
 * OTLP's span kind number of a kind a record keeps as an attribute (`client`, `SERVER`,
 * `SPAN_KIND_PRODUCER`, in any case), or `undefined` for another value or UNSPECIFIED.
 *
 * @param value The attribute's value.
 * @returns 1 to 5, or `undefined`.
 *
 * @example
 * ```ts
 * import { spanKindNumber } from "./otlp_conventions.ts";
 * if (spanKindNumber("client") !== 3 || spanKindNumber("SPAN_KIND_SERVER") !== 2) throw new Error("kinds");
 * if (spanKindNumber("unspecified") !== undefined || spanKindNumber(3) !== undefined) throw new Error("none");
 * ```
 */
export function spanKindNumber(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const index = LOWER_SPAN_KINDS.indexOf(value.toLowerCase().replace(/^span_kind_/, ""));
  return index > 0 ? index : undefined;
}

/** OTLP's status codes, each at its number (`STATUS_CODE_` left out). */
export const STATUS_CODES: readonly string[] = ["UNSET", "OK", "ERROR"];
/** OTLP's `STATUS_CODE_OK`. */
export const STATUS_OK = 1;
/** OTLP's `STATUS_CODE_ERROR`: a span-close with status `error`. */
export const STATUS_ERROR = 2;

/** The severity number a level is exported with (the first of its OTel range). */
export const SEVERITY_NUMBER: Readonly<Record<Level, number>> = {
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
};

/**
 * The severity text a level is exported with.
 *
 * @param level The journal's level.
 * @returns `DEBUG`, `INFO`, `WARN` or `ERROR`.
 *
 * @example
 * ```ts
 * import { severityText } from "./otlp_conventions.ts";
 * if (severityText("warn") !== "WARN") throw new Error(severityText("warn"));
 * ```
 */
export function severityText(level: string): string {
  return level.toUpperCase();
}

/** OTel's severity names, each at its number (`SEVERITY_NUMBER_` left out). */
export const SEVERITY_NAMES: readonly string[] = [
  "UNSPECIFIED",
  ...["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].flatMap((
    name,
  ) => [name, `${name}2`, `${name}3`, `${name}4`]),
];

/**
 * The journal level of a received severity: numbers 1–8 (TRACE, DEBUG) debug, 9–12 info,
 * 13–16 warn, 17–24 error; when the number is unset, the text (`err…`, `fatal…`, `crit…`
 * error, `warn…` warn, `debug…`, `trace…` debug), else info. Each exported level comes
 * back as itself.
 *
 * @param severityNumber The number (0 when unset).
 * @param severityText The text, when the number is unset.
 * @returns The level.
 *
 * @example
 * ```ts
 * import { levelOfSeverity, SEVERITY_NUMBER } from "./otlp_conventions.ts";
 * if (levelOfSeverity(SEVERITY_NUMBER.warn, undefined) !== "warn") throw new Error("round trip");
 * if (levelOfSeverity(0, "Critical") !== "error") throw new Error("by text");
 * ```
 */
export function levelOfSeverity(severityNumber: number, severityText: unknown): Level {
  const n = severityNumber;
  if (n >= 17) return "error";
  if (n >= 13) return "warn";
  if (n >= 9) return "info";
  if (n >= 1) return "debug";
  const text = typeof severityText === "string" ? severityText.toLowerCase() : "";
  if (text.startsWith("err") || text.startsWith("fatal") || text.startsWith("crit")) return "error";
  if (text.startsWith("warn")) return "warn";
  if (text.startsWith("debug") || text.startsWith("trace")) return "debug";
  return "info";
}

/**
 * The OpenTelemetry SDKs' default count limit: attributes a span, event or log record keeps
 * (the receiver's default), span events a span keeps (the export's).
 */
export const OTEL_DEFAULT_COUNT_LIMIT = 128;
