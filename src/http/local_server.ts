/**
 * The one HTTP server under the viewer (`serve`) and the OTLP receiver (`receive`), with the
 * rules both must keep: bind loopback unless told otherwise, answer only a `Host` header
 * that names this server (DNS rebinding), refuse what a browser sends for another site,
 * stop by dropping open connections. Built on `node:http`, which Deno, Node and Bun all
 * serve; no dependency. A rule for every local server (a connection cap, a header
 * timeout) goes here.
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** The address a local server binds unless told otherwise. */
export const LOOPBACK_HOST = "127.0.0.1";

/** The names of this machine a `Host` header may use on any local server. */
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
/** Addresses that bind every interface: they name no host of their own. */
const WILDCARDS = new Set(["0.0.0.0", "::", "[::]", ""]);

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "127.0.0.1" || host === "::1" || host === "[::1]" ||
    /^127\.\d+\.\d+\.\d+$/.test(host);
}

function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/**
 * The base URL of a server bound to `host`: an IPv6 address in brackets, a wildcard bind as
 * 127.0.0.1 (the address a local client can use).
 *
 * @param host The bound address.
 * @param port The bound port.
 * @returns `http://host:port`.
 *
 * @example
 * ```ts
 * import { localUrl } from "./local_server.ts";
 * if (localUrl("0.0.0.0", 4318) !== "http://127.0.0.1:4318") throw new Error("wildcard");
 * if (localUrl("::1", 4319) !== "http://[::1]:4319") throw new Error("IPv6");
 * ```
 */
export function localUrl(host: string, port: number): string {
  return `http://${WILDCARDS.has(host) ? LOOPBACK_HOST : bracketed(host)}:${port}`;
}

/** Which `Host` headers a server answers. */
export interface HostRule {
  /** The bound address: accepted as a name too, unless it is a wildcard. */
  host: string;
  /** The bound port. */
  port: number;
  /** More names accepted (a container's service name, a name of this machine). */
  allowedHosts?: readonly string[];
  /**
   * Whether the header must name `port` too (a bare name passes only for port 80), or any
   * port (a sender behind a port forward).
   */
  matchPort: boolean;
  /**
   * Whether the header is checked when bound beyond loopback; otherwise every header passes
   * there (senders name the machine as they reach it).
   */
  beyondLoopback: boolean;
}

/**
 * The `Host` check of a server: the loopback names (`localhost`, `127.0.0.1`, `[::1]`), the
 * bound address and `allowedHosts`, compared without case.
 *
 * @param rule What the server answers to.
 * @returns Whether a request's `Host` header passes.
 *
 * @example
 * ```ts
 * import { hostCheck } from "./local_server.ts";
 * const allowed = hostCheck({ host: "127.0.0.1", port: 4319, matchPort: true, beyondLoopback: true });
 * if (!allowed("LOCALHOST:4319") || allowed("evil.example:4319") || allowed("localhost:4320")) {
 *   throw new Error("Host check");
 * }
 * ```
 */
export function hostCheck(rule: HostRule): (header: string | undefined) => boolean {
  if (!rule.beyondLoopback && !isLoopback(rule.host)) return () => true;
  const names = new Set(
    [...LOOPBACK_NAMES, ...(rule.allowedHosts ?? [])].map((name) => name.toLowerCase()),
  );
  if (!WILDCARDS.has(rule.host)) names.add(bracketed(rule.host).toLowerCase());
  const port = `:${rule.port}`;
  return (header) => {
    if (!header) return false;
    const value = rule.matchPort ? header.toLowerCase() : header.trim().toLowerCase();
    const end = value.startsWith("[") ? value.indexOf("]") + 1 : value.lastIndexOf(":");
    const name = end <= 0 ? value : value.slice(0, end);
    if (!names.has(name)) return false;
    if (!rule.matchPort) return true;
    const rest = value.slice(name.length);
    return rest === port || (rest === "" && rule.port === 80);
  };
}

/**
 * Whether the browser sent this request for a page of another origin: `Sec-Fetch-Site`
 * says `cross-site` or `same-site`, or `Origin` is not the server's own. Any page on the web
 * could otherwise make a browser ask the server again and again (`<img src=…>`): each an
 * answer it cannot read but work the server pays for. A link to the page itself still
 * opens (a top-level navigation to `/`); clients without these headers (curl, scripts) are
 * not browsers acting for another site and are answered.
 *
 * @param request The request.
 * @param host Its `Host` header, lowercased (already checked).
 * @param path Its path.
 * @returns `true` to refuse it.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from "node:http";
 * import { sentForAnotherSite } from "./local_server.ts";
 * const request = { headers: { "sec-fetch-site": "cross-site" } } as unknown as IncomingMessage;
 * if (!sentForAnotherSite(request, "127.0.0.1:4319", "/api/turns")) throw new Error("cross-site");
 * ```
 */
export function sentForAnotherSite(request: IncomingMessage, host: string, path: string): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) return true;
  const site = request.headers["sec-fetch-site"];
  if (site !== "cross-site" && site !== "same-site") return false;
  return !(path === "/" && request.headers["sec-fetch-mode"] === "navigate" &&
    request.headers["sec-fetch-dest"] === "document");
}

const encoder = new TextEncoder();

/**
 * Answers with a whole body: `content-type`, its `content-length` in bytes, the extra
 * headers, and the body unless `head` (a HEAD request gets the length without the body).
 *
 * @param response The response.
 * @param status The HTTP status.
 * @param type The content type.
 * @param body Text (sent as UTF-8) or bytes.
 * @param headers Headers sent before the content headers.
 * @param after Headers sent after them (they win).
 * @param head Whether to leave the body out.
 */
export function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
  after: Record<string, string> = {},
  head = false,
): void {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  response.writeHead(status, {
    ...headers,
    "content-type": type,
    "content-length": String(bytes.length),
    ...after,
  });
  response.end(head ? undefined : bytes);
}

/** Where and how a local server listens. */
export interface LocalServerOptions {
  /**
   * The address to bind.
   * @default {"127.0.0.1"}
   */
  host?: string;
  /** The port; 0 picks a free one. */
  port: number;
  /** More `Host` names accepted (see {@linkcode HostRule}). */
  allowedHosts?: readonly string[];
  /** See {@linkcode HostRule.matchPort}. */
  matchPort: boolean;
  /** See {@linkcode HostRule.beyondLoopback}. */
  beyondLoopback: boolean;
  /** Answers a request whose `Host` header fails the check (the handler never sees it). */
  foreignHost: (request: IncomingMessage, response: ServerResponse) => void;
  /** Answers a request the HTTP parser refused; by default Node's answer (400, 431…). */
  clientError?: (error: Error, socket: Socket) => void;
}

/** A server that listens. */
export interface LocalServer {
  /** The base URL ({@linkcode localUrl}). */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** Stops listening and drops open connections; the same promise on every call. */
  close(): Promise<void>;
}

/**
 * Starts a server that passes each request whose `Host` header passes the check to
 * `handler`, and resolves once it listens.
 *
 * @param handler Answers a request.
 * @param options Where to listen, the `Host` rule and how to refuse.
 * @returns The listening server.
 * @throws When the port cannot be bound (`EADDRINUSE`…).
 *
 * @example
 * ```ts
 * import { listenLocal, send } from "./local_server.ts";
 * const server = await listenLocal((_request, response) => send(response, 200, "text/plain", "hi"), {
 *   port: 0, matchPort: true, beyondLoopback: true,
 *   foreignHost: (_request, response) => send(response, 421, "text/plain", "unknown Host"),
 * });
 * const text = await (await fetch(server.url)).text();
 * await server.close();
 * if (text !== "hi") throw new Error(text);
 * ```
 */
export async function listenLocal(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: LocalServerOptions,
): Promise<LocalServer> {
  const host = options.host ?? LOOPBACK_HOST;
  let allowed: (header: string | undefined) => boolean = () => false; // until the port is known
  const server = createServer((request, response) => {
    if (allowed(request.headers.host)) handler(request, response);
    else options.foreignHost(request, response);
  });
  if (options.clientError) server.on("clientError", options.clientError);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  allowed = hostCheck({ ...options, host, port });
  let closed: Promise<void> | undefined;
  return {
    url: localUrl(host, port),
    port,
    close: () => closed ??= stopServer(server),
  };
}

function stopServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}
