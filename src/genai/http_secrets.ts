/**
 * Secrets in an HTTP exchange, for the provider capture: which headers and query parameters
 * are never written, whatever the content policy. Pure.
 *
 * @module
 */

import { REDACTED } from "../redact.ts";

/**
 * A header or query parameter whose value is a credential: the names every provider uses
 * (`authorization`, `x-api-key`, `api-key`, `cookie`, `set-cookie`, `proxy-authorization`)
 * and any name with `key`, `token`, `secret`, `password`, `auth`, `session`, `credential`
 * or `signature` in it (`x-goog-api-key`, `openai-session-token`, `idempotency-key`).
 */
const SECRET_NAME =
  /key|token|secret|passw|auth|session|credential|signature|cookie|^sig$|^code$|bearer/i;

/**
 * Whether a header or query parameter named `name` carries a secret.
 *
 * @param name The header's or parameter's name, any case.
 * @returns `true` when its value must not be written.
 *
 * @example
 * ```ts
 * import { isSecretName } from "./http_secrets.ts";
 * for (const name of ["Authorization", "x-api-key", "api-key", "Cookie", "x-goog-api-key"]) {
 *   if (!isSecretName(name)) throw new Error(name);
 * }
 * if (isSecretName("content-type") || isSecretName("anthropic-version")) throw new Error("kept");
 * ```
 */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Anything a `fetch` call accepts as headers. */
export type HeadersSource =
  | { forEach(callback: (value: string, name: string) => void): void }
  | readonly (readonly [string, string])[]
  | Record<string, string | readonly string[] | undefined>;

/**
 * Headers as OpenTelemetry names them (`http.request.header.<lowercase name>`: a list of
 * values), each secret one's values replaced by `[REDACTED]`.
 *
 * @param headers A `Headers`, a list of pairs or a plain object, as given to `fetch`.
 * @param prefix `http.request.header.` or `http.response.header.`.
 * @returns Attribute name → values.
 *
 * @example
 * ```ts
 * import { headerAttributes } from "./http_secrets.ts";
 * const a = headerAttributes({ Authorization: "Bearer sk-1", "Content-Type": "application/json" },
 *   "http.request.header.");
 * if (a["http.request.header.authorization"][0] !== "[REDACTED]") throw new Error("leaked");
 * if (a["http.request.header.content-type"][0] !== "application/json") throw new Error("lost");
 * ```
 */
export function headerAttributes(
  headers: HeadersSource | undefined | null,
  prefix: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (name: string, value: unknown) => {
    const key = prefix + String(name).toLowerCase();
    const shown = isSecretName(String(name)) ? REDACTED : String(value);
    (out[key] ??= []).push(shown);
  };
  if (headers === undefined || headers === null) return out;
  if (typeof (headers as { forEach?: unknown }).forEach === "function" && !Array.isArray(headers)) {
    (headers as { forEach(cb: (value: string, name: string) => void): void }).forEach(
      (value, name) => add(name, value),
    );
    // Headers joins set-cookie values; getSetCookie keeps them apart (redacted all the same).
  } else if (Array.isArray(headers)) {
    for (const pair of headers) add(pair[0], pair[1]);
  } else {
    for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) { for (const v of value) add(name, v); }
      else add(name, value);
    }
  }
  return out;
}

/**
 * A URL with its credentials removed: a user name and password, and the value of each query
 * parameter named like a secret (`?key=…`, `?api_key=…`, `?sig=…`).
 *
 * @param url The URL as requested.
 * @returns The URL safe to write.
 *
 * @example
 * ```ts
 * import { safeUrl } from "./http_secrets.ts";
 * const url = safeUrl("https://u:p@example.com/v1/models?key=AIza123&alt=sse");
 * if (url !== "https://REDACTED:REDACTED@example.com/v1/models?key=REDACTED&alt=sse") throw new Error(url);
 * ```
 */
export function safeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL we can take apart: keep nothing after the path.
    return url.replace(/[?#].*$/s, "");
  }
  let changed = false;
  if (parsed.username !== "" || parsed.password !== "") {
    if (parsed.username !== "") parsed.username = "REDACTED";
    if (parsed.password !== "") parsed.password = "REDACTED";
    changed = true;
  }
  const params = parsed.searchParams;
  for (const name of new Set(params.keys())) {
    if (isSecretName(name)) {
      params.set(name, "REDACTED");
      changed = true;
    }
  }
  if (!changed) return url;
  return parsed.href;
}
