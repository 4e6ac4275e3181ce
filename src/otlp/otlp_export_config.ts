/**
 * Where and how an OTLP export sends, from its options and the standard OpenTelemetry
 * environment variables, with the specification's precedence: an explicit option, then the
 * signal-specific variable (`OTEL_EXPORTER_OTLP_TRACES_*`, `…_LOGS_*`), then the generic one
 * (`OTEL_EXPORTER_OTLP_*`), then the default. Pure: the environment is a parameter.
 *
 * @module
 */

import { environment } from "../runtime/runtime.ts";

/**
 * The OTLP/HTTP encodings journal-sink sends.
 *
 * @example
 * ```ts
 * import { otlpExportConfig, type OtlpProtocol } from "@dispatch/journal-sink/collector";
 * const protocol: OtlpProtocol = "http/json";
 * if (otlpExportConfig({ protocol }, {}).traces.protocol !== "http/json") throw new Error("protocol");
 * ```
 */
export type OtlpProtocol = "http/protobuf" | "http/json";

/**
 * Body compression of OTLP requests.
 *
 * @example
 * ```ts
 * import { otlpExportConfig, type OtlpCompression } from "@dispatch/journal-sink/collector";
 * const compression: OtlpCompression = "gzip";
 * if (otlpExportConfig({ compression }, {}).logs.compression !== "gzip") throw new Error("gzip");
 * ```
 */
export type OtlpCompression = "gzip" | "none";

/**
 * The environment, as `process.env` or `Deno.env.toObject()` give it.
 *
 * @example
 * ```ts
 * import { type Environment, otlpExportConfig } from "@dispatch/journal-sink/collector";
 * const env: Environment = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
 * if (otlpExportConfig({}, env).traces.url !== "http://collector:4318/v1/traces") throw new Error("url");
 * ```
 */
export type Environment = Record<string, string | undefined>;

/**
 * What the options may set; anything left out comes from the environment or the default.
 *
 * @example
 * ```ts
 * import type { OtlpExportSettings } from "@dispatch/journal-sink/collector";
 * const settings: OtlpExportSettings = { url: "http://127.0.0.1:4318", protocol: "http/json" };
 * if (settings.protocol !== "http/json") throw new Error("unreachable");
 * ```
 */
export interface OtlpExportSettings {
  /** The base URL; `/v1/traces` and `/v1/logs` are appended. */
  url?: string;
  /** Request headers; they win over `OTEL_EXPORTER_OTLP_HEADERS` for the same name. */
  headers?: Record<string, string>;
  /** The encoding. */
  protocol?: OtlpProtocol;
  /** Body compression. */
  compression?: OtlpCompression;
  /** The resource's `service.name`. */
  serviceName?: string;
  /** More resource attributes; they win over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Record<string, unknown>;
  /**
   * Which signals to send, for a backend that takes traces only (Langfuse, Phoenix, Jaeger);
   * else both, minus one set to `none` by `OTEL_TRACES_EXPORTER` / `OTEL_LOGS_EXPORTER`.
   */
  signals?: readonly ("traces" | "logs")[];
}

/** Where one signal goes and how. */
export interface OtlpSignalTarget {
  /** The full URL (`…/v1/traces`). */
  url: string;
  /** Request headers (without the content headers). */
  headers: Record<string, string>;
  /** The encoding. */
  protocol: OtlpProtocol;
  /** Body compression. */
  compression: OtlpCompression;
  /** Whether this signal is sent at all. */
  enabled: boolean;
}

/**
 * The resolved export configuration.
 *
 * @example
 * ```ts
 * import { otlpExportConfig, type OtlpExportConfig } from "@dispatch/journal-sink/collector";
 * const config: OtlpExportConfig = otlpExportConfig({}, {});
 * if (config.traces.url !== "http://localhost:4318/v1/traces") throw new Error(config.traces.url);
 * ```
 */
export interface OtlpExportConfig {
  /** `/v1/traces`. */
  traces: OtlpSignalTarget;
  /** `/v1/logs`. */
  logs: OtlpSignalTarget;
  /** The resource's `service.name`. */
  serviceName: string;
  /** The other resource attributes. */
  resourceAttributes: Record<string, unknown>;
}

/** The spec's default endpoint for OTLP/HTTP. */
const DEFAULT_ENDPOINT = "http://localhost:4318";
const DEFAULT_SERVICE = "journal-sink";

/** `key=value,key2=value2`, values percent-decoded (the W3C Baggage form OTel uses). */
function keyValues(text: string | undefined, variable: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const item of text.split(",")) {
    if (item.trim() === "") continue;
    const eq = item.indexOf("=");
    if (eq <= 0) throw new TypeError(`${variable}: "${item.trim()}" is not key=value`);
    const key = item.slice(0, eq).trim();
    let value = item.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      throw new TypeError(`${variable}: the value of ${key} is not percent-encoded correctly`);
    }
    out[key] = value;
  }
  return out;
}

function protocolOf(value: string | undefined, variable: string): OtlpProtocol | undefined {
  if (value === undefined || value === "") return undefined;
  const v = value.trim().toLowerCase();
  if (v === "http/protobuf" || v === "http/json") return v;
  if (v === "grpc") {
    throw new TypeError(`${variable}=grpc is not supported: use http/protobuf (port 4318)`);
  }
  throw new TypeError(`${variable}=${value}: expected http/protobuf or http/json`);
}

function compressionOf(value: string | undefined, variable: string): OtlpCompression | undefined {
  if (value === undefined || value === "") return undefined;
  const v = value.trim().toLowerCase();
  if (v === "gzip" || v === "none") return v;
  throw new TypeError(`${variable}=${value}: expected gzip or none`);
}

function signal(
  settings: OtlpExportSettings,
  env: Environment,
  name: "TRACES" | "LOGS",
): OtlpSignalTarget {
  const path = name === "TRACES" ? "/v1/traces" : "/v1/logs";
  const specific = env[`OTEL_EXPORTER_OTLP_${name}_ENDPOINT`];
  const generic = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const base = (text: string) => text.trim().replace(/\/+$/, "") + path;
  // A signal-specific endpoint is the full URL, used as it is; a base gets the path.
  const url = settings.url
    ? base(settings.url)
    : specific
    ? specific.trim()
    : base(generic || DEFAULT_ENDPOINT);
  const protocol = settings.protocol ??
    protocolOf(env[`OTEL_EXPORTER_OTLP_${name}_PROTOCOL`], `OTEL_EXPORTER_OTLP_${name}_PROTOCOL`) ??
    protocolOf(env.OTEL_EXPORTER_OTLP_PROTOCOL, "OTEL_EXPORTER_OTLP_PROTOCOL") ??
    "http/protobuf";
  const compression = settings.compression ??
    compressionOf(
      env[`OTEL_EXPORTER_OTLP_${name}_COMPRESSION`],
      `OTEL_EXPORTER_OTLP_${name}_COMPRESSION`,
    ) ??
    compressionOf(env.OTEL_EXPORTER_OTLP_COMPRESSION, "OTEL_EXPORTER_OTLP_COMPRESSION") ??
    "none";
  const headers = {
    ...keyValues(env.OTEL_EXPORTER_OTLP_HEADERS, "OTEL_EXPORTER_OTLP_HEADERS"),
    ...keyValues(env[`OTEL_EXPORTER_OTLP_${name}_HEADERS`], `OTEL_EXPORTER_OTLP_${name}_HEADERS`),
    ...settings.headers,
  };
  if (!/^https?:\/\//i.test(url)) throw new TypeError(`OTLP endpoint ${url} is not an http(s) URL`);
  const lower = name === "TRACES" ? "traces" : "logs";
  const enabled = settings.signals
    ? settings.signals.includes(lower)
    : env[`OTEL_${name}_EXPORTER`]?.trim().toLowerCase() !== "none";
  return { url, headers, protocol, compression, enabled };
}

/**
 * Resolves an export's endpoints, headers, protocol, compression and resource. Precedence
 * for each: the option, then `OTEL_EXPORTER_OTLP_{TRACES,LOGS}_{ENDPOINT,HEADERS,PROTOCOL,
 * COMPRESSION}`, then `OTEL_EXPORTER_OTLP_{ENDPOINT,HEADERS,PROTOCOL,COMPRESSION}`, then
 * `http://localhost:4318`, no headers, `http/protobuf`, no compression. A signal-specific
 * endpoint is used as given; the option `url` and the generic endpoint get `/v1/traces` or
 * `/v1/logs` appended. Headers merge by name (option > signal > generic). `service.name` is
 * the option `serviceName`, else `OTEL_SERVICE_NAME`, else the option's or
 * `OTEL_RESOURCE_ATTRIBUTES`' `service.name`, else `journal-sink`. A signal is sent unless
 * the option `signals` leaves it out or (without the option) `OTEL_TRACES_EXPORTER` /
 * `OTEL_LOGS_EXPORTER` is `none`.
 *
 * @param settings The explicit options.
 * @param env The environment variables.
 * @returns The configuration.
 * @throws {TypeError} For a malformed variable, or `grpc` (not supported: OTLP/HTTP only).
 *
 * @example Environment fills what the options leave out
 * ```ts
 * import { otlpExportConfig } from "@dispatch/journal-sink/collector";
 * const config = otlpExportConfig({ protocol: "http/json" }, {
 *   OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com",
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example.com/ingest",
 *   OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
 *   OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20abc",
 *   OTEL_SERVICE_NAME: "agent",
 * });
 * if (config.traces.url !== "https://traces.example.com/ingest") throw new Error("signal endpoint");
 * if (config.logs.url !== "https://otel.example.com/v1/logs") throw new Error("generic endpoint");
 * if (config.logs.protocol !== "http/json") throw new Error("option wins");
 * if (config.logs.headers.authorization !== "Bearer abc") throw new Error("headers");
 * if (config.serviceName !== "agent") throw new Error("service");
 * ```
 */
export function otlpExportConfig(settings: OtlpExportSettings, env: Environment): OtlpExportConfig {
  const resource: Record<string, unknown> = {
    ...keyValues(env.OTEL_RESOURCE_ATTRIBUTES, "OTEL_RESOURCE_ATTRIBUTES"),
    ...settings.resourceAttributes,
  };
  const fromResource = resource["service.name"];
  delete resource["service.name"];
  const serviceName = settings.serviceName || env.OTEL_SERVICE_NAME ||
    (typeof fromResource === "string" && fromResource) || DEFAULT_SERVICE;
  return {
    traces: signal(settings, env, "TRACES"),
    logs: signal(settings, env, "LOGS"),
    serviceName,
    resourceAttributes: resource,
  };
}

/**
 * The process environment, or `{}` where it cannot be read (Deno without `--allow-env`).
 *
 * @returns The variables.
 *
 * @example
 * ```ts
 * import { processEnvironment } from "./otlp_export_config.ts";
 * if (typeof processEnvironment() !== "object") throw new Error("unreachable");
 * ```
 */
export function processEnvironment(): Environment {
  return environment();
}
