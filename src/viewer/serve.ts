/**
 * `serve`: the local, read-only trace viewer. The one local HTTP server
 * (`src/http/local_server.ts`) answers GET and HEAD for its embedded assets and a small JSON API,
 * and nothing else: no path reaches the file system, a foreign `Host` header is refused
 * (DNS rebinding), a request another site made a browser send is refused (403), every other
 * method gets 405.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import {
  listenLocal,
  LOOPBACK_HOST,
  send as sendBody,
  sentForAnotherSite,
} from "../http/local_server.ts";
import { openJournalSource } from "./journal_source.ts";
import { openStoreSource } from "./store_source.ts";
import type { ViewerSource } from "./viewer_source.ts";
import type { ModelCallPart, TraceView, TurnQuery, TurnStatus } from "./view_model.ts";
import { readablePage } from "./readable_page.ts";
import type { StatsQuery } from "./stats_view.ts";
import { spanCostOf } from "./span_cost.ts";
import { valueAnswer, valueAt } from "./value_cut.ts";
import { modelCallPart, modelCallView, viewModelCalls } from "./model_call_view.ts";
import type { ModelCallDiff } from "../genai/model_call_diffs.ts";
import type { ModelPrices } from "../collector/prices.ts";
import { VIEWER_CSS } from "./assets/viewer_css.ts";
import { VIEWER_HTML } from "./assets/viewer_html.ts";
import { VIEWER_JS } from "./assets/viewer_js.ts";

/**
 * Options of {@linkcode serve}: exactly one of `db` and `journal`.
 *
 * @example
 * ```ts
 * import type { ServeOptions } from "./serve.ts";
 * const options: ServeOptions = { journal: "agent.jsonl", port: 0 };
 * if (options.host !== undefined) throw new Error("loopback is the default");
 * ```
 */
export interface ServeOptions {
  /** A SQLite trace store that `collect` fills; opened read-only. */
  db?: string;
  /** A journal to follow directly (across rotations). */
  journal?: string;
  /**
   * The TCP port; `0` picks a free one (read it from `url`).
   * @default {4319}
   */
  port?: number;
  /**
   * The address to bind. Anything but loopback exposes your records to the network.
   * @default {"127.0.0.1"}
   */
  host?: string;
  /**
   * More `Host` header names to accept besides the loopback names and `host` (a name
   * that resolves to this machine, when bound beyond loopback).
   * @default {[]}
   */
  allowedHosts?: string[];
  /** Journal source only: turn summaries kept in memory. @default {10000} */
  maxTurns?: number;
  /** Journal source only: records kept in memory to draw turns without rereading. @default {10000} */
  maxRecords?: number;
  /** Journal source only: how often to look for new records, ms. @default {200} */
  pollMs?: number;
  /** Called once the server listens, with its URL (the CLI prints it). */
  onListen?: (url: string) => void;
  /**
   * Model prices (`parsePrices` of the file `query --usage --prices` takes) for the spans
   * without a cost attribute of their own: the list, the turn and `/stats` show costs by them.
   */
  prices?: ModelPrices;
}

/**
 * A running viewer.
 *
 * @example
 * ```ts
 * import type { ViewerServer } from "./serve.ts";
 * const fake: ViewerServer = {
 *   url: "http://127.0.0.1:4319", port: 4319, close: () => Promise.resolve(),
 *   [Symbol.asyncDispose]: () => Promise.resolve(),
 * };
 * if (!fake.url.startsWith("http://127.0.0.1:")) throw new Error("loopback");
 * ```
 */
export interface ViewerServer {
  /** `http://127.0.0.1:PORT` (the bound address; 127.0.0.1 when bound to every address). */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening, ends open connections, stops following and releases the store. */
  close(): Promise<void>;
  /** = `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

const ASSETS = new Map<string, { type: string; text: string }>([
  ["/", { type: "text/html; charset=utf-8", text: VIEWER_HTML }],
  // The same shell: the page draws `/stats` from `/api/stats`.
  ["/stats", { type: "text/html; charset=utf-8", text: VIEWER_HTML }],
  ["/viewer.css", { type: "text/css; charset=utf-8", text: VIEWER_CSS }],
  ["/viewer.js", { type: "text/javascript; charset=utf-8", text: VIEWER_JS }],
]);

const STATUSES = new Set<string>(["ok", "error", "open"]);
const PARTS = new Set<string>(["before", "after", "response"] satisfies ModelCallPart[]);
function turnQuery(params: URLSearchParams): TurnQuery {
  const text = (key: string) => {
    const value = params.get(key);
    return value === null || value === "" ? undefined : value;
  };
  const int = (key: string, fallback: number, max: number) => {
    const value = Number(params.get(key) ?? fallback);
    return Number.isInteger(value) && value >= 0 ? Math.min(value, max) : fallback;
  };
  const query: TurnQuery = {
    offset: int("offset", 0, 1e9),
    limit: Math.max(1, int("limit", 100, 500)),
  };
  const conversation = text("conversation");
  if (conversation !== undefined) query.conversation = conversation;
  const extension = text("extension");
  if (extension !== undefined) query.extension = extension;
  const status = text("status");
  if (status !== undefined && STATUSES.has(status)) query.status = status as TurnStatus;
  const q = text("q");
  if (q !== undefined) query.text = q;
  const model = text("model");
  if (model !== undefined) query.model = model;
  const attr = text("attr");
  const eq = attr?.indexOf("=") ?? -1;
  if (attr !== undefined && eq > 0) {
    query.attribute = { key: attr.slice(0, eq), value: attr.slice(eq + 1) };
  }
  for (const key of ["minMs", "maxMs", "from", "to"] as const) {
    const value = Number(text(key));
    if (text(key) !== undefined && Number.isFinite(value)) query[key] = value;
  }
  return query;
}

/**
 * Starts the viewer over a journal (`journal`) or a trace store (`db`) and resolves once
 * it listens. It binds 127.0.0.1 unless `host` says otherwise, and only ever reads.
 *
 * @param options Where the records are, where to listen.
 * @returns The running server; `close()` it when done.
 * @throws {TypeError} Unless exactly one of `db` and `journal` is given.
 * @throws {Error} When the journal or the store does not exist (`JournalNotFoundError` for a
 *   journal).
 *
 * @example Serving a journal on a free port
 * ```ts
 * import { createJournalSink } from "@dispatch/journal-sink";
 * import { serve } from "./serve.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const sink = createJournalSink({ path });
 * sink.emit({ kind: "span-open", spanId: "s1", name: "turn", timestamp: Date.now(), turnId: "t1", extensionId: "host" });
 * sink.close();
 * const viewer = await serve({ journal: path, port: 0 });
 * let page = { turns: [] as { turnId: string; status: string }[] };
 * for (let i = 0; i < 50 && page.turns.length === 0; i++) {
 *   page = await (await fetch(`${viewer.url}/api/turns`)).json();
 *   await new Promise((resolve) => setTimeout(resolve, 20));
 * }
 * await viewer.close();
 * await Deno.remove(path);
 * if (page.turns[0]?.status !== "open") throw new Error("the turn should be listed as open");
 * ```
 */
export async function serve(options: ServeOptions): Promise<ViewerServer> {
  if ((options.db === undefined) === (options.journal === undefined)) {
    throw new TypeError("serve needs exactly one of `db` (a trace store) and `journal`");
  }
  const host = options.host ?? LOOPBACK_HOST;
  const requestedPort = options.port ?? 4319;
  let source: ViewerSource;
  if (options.db !== undefined) {
    source = await openStoreSource(options.db, { prices: options.prices });
  } else {
    const journal = openJournalSource(options.journal!, {
      maxTurns: options.maxTurns,
      maxRecords: options.maxRecords,
      pollMs: options.pollMs,
      prices: options.prices,
    });
    try {
      await journal.started;
    } catch (error) {
      await journal.close();
      throw error;
    }
    source = journal;
  }
  /**
   * The last turn or trace built, and the last page of it answered: a big one is not rebuilt
   * for each of its pages, nor while nothing changed.
   */
  let last: { key: string; view: TraceView } | undefined;
  let lastPage:
    | { key: string; tag: string; bytes: Uint8Array; gzip: Uint8Array | undefined }
    | undefined;
  /** The model calls of the last turn or trace whose calls the page asked for. */
  let lastCalls: { key: string; calls: ModelCallDiff[] } | undefined;
  /**
   * What a view of `id` is cached under: the turn's own version when the source knows it,
   * else the source's (read before building: a later change is not lost).
   */
  const viewKey = (path: string, id: string) => {
    const version = source.version();
    const own = path === "/api/turn" ? source.turnVersion?.(id) : undefined;
    return { key: `${path}\n${id}\n${own ?? `*${version}`}`, own, version };
  };
  /** The view of a turn (`/api/turn`) or trace, from `last` while its key is the same. */
  const viewOf = async (path: string, id: string, key: string) => {
    if (last?.key === key) return last.view;
    const view = path === "/api/turn" ? await source.turn(id) : await source.trace(id);
    if (view) last = { key, view };
    return view;
  };
  /** A span's cost for the model-call pane: the rule the list and the turn total use. */
  const costOf = spanCostOf(options.prices);
  const encoder = new TextEncoder();
  const notModified = (response: ServerResponse, tag: string) => {
    response.writeHead(304, { ...SECURITY_HEADERS, etag: tag });
    response.end();
  };

  const send = (
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    type: string,
    text: string,
    extra: Record<string, string> = {},
  ) => {
    sendBody(response, status, type, text, SECURITY_HEADERS, extra, request.method === "HEAD");
  };
  const json = (request: IncomingMessage, response: ServerResponse, value: unknown) =>
    send(request, response, 200, "application/json; charset=utf-8", JSON.stringify(value));
  const plain = (
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    text: string,
    extra?: Record<string, string>,
  ) => send(request, response, status, "text/plain; charset=utf-8", `${text}\n`, extra);

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const hostHeader = (request.headers.host ?? "").toLowerCase(); // checked by listenLocal
    const raw = request.url ?? "/";
    if (!raw.startsWith("/")) return plain(request, response, 400, "bad request");
    const url = new URL(raw, "http://viewer.invalid");
    if (sentForAnotherSite(request, hostHeader, url.pathname)) {
      return plain(request, response, 403, "forbidden: a request from another site");
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return plain(request, response, 405, "read-only: GET and HEAD only", { allow: "GET, HEAD" });
    }
    const asset = ASSETS.get(url.pathname);
    if (asset) return send(request, response, 200, asset.type, asset.text);
    const params = url.searchParams;
    switch (url.pathname) {
      case "/favicon.ico": // asked by every browser; nothing to show
        response.writeHead(204, SECURITY_HEADERS);
        return void response.end();
      case "/api/version":
        // `?turn=<id>`: that turn's own version instead, when the source knows it, so a page
        // showing one turn refetches only when that turn changed.
        return json(request, response, {
          version: (params.has("turn") ? source.turnVersion?.(params.get("turn")!) : undefined) ??
            source.version(),
          now: Date.now(),
        });
      case "/api/turns": {
        const page = source.turns(turnQuery(params));
        return json(request, response, {
          ...page,
          skipped: source.skipped?.() ?? 0,
          version: source.version(),
          now: Date.now(),
        });
      }
      case "/api/turn":
      case "/api/trace": {
        const id = params.get("id");
        if (!id) return plain(request, response, 400, "missing id");
        const offset = Number(params.get("offset") ?? 0);
        if (!Number.isSafeInteger(offset) || offset < 0) {
          return plain(request, response, 400, "offset: a whole number of spans, 0 or more");
        }
        const asked = request.headers["if-none-match"];
        const { key, own, version } = viewKey(url.pathname, id);
        // The turn's own version when the source knows it: an unchanged turn is answered
        // 304 without being built, however busy the rest of the journal is.
        const ownTag = own === undefined ? undefined : `"v${own}${offset ? `-${offset}` : ""}"`;
        if (ownTag !== undefined && asked === ownTag) return notModified(response, asked);
        const pageKey = `${key}\n${offset}`;
        let answer = lastPage;
        if (answer?.key !== pageKey) {
          const view = await viewOf(url.pathname, id, key);
          if (!view) return plain(request, response, 404, "no such turn or trace");
          const text = JSON.stringify(readablePage(view, offset, costOf));
          // Without a version of its own, the tag is the content's: still no redraw when
          // nothing in it changed.
          const tag = ownTag ?? `"h${createHash("sha1").update(text).digest("base64url")}"`;
          answer = lastPage = { key: pageKey, tag, bytes: encoder.encode(text), gzip: undefined };
        }
        if (asked === answer.tag) return notModified(response, answer.tag);
        // A big turn is megabytes of JSON that compress ~15 times: through a browser's
        // network stack, sending them plain took longer than building them.
        const zipped = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""))
          // Level 1: 3 MB in ~5 ms (CompressionStream's default level took ~100 ms).
          ? (answer.gzip ??= gzipSync(answer.bytes, { level: 1 }))
          : undefined;
        const body = zipped ?? answer.bytes;
        response.writeHead(200, {
          ...SECURITY_HEADERS,
          "content-type": "application/json; charset=utf-8",
          "content-length": String(body.length),
          ...(zipped ? { "content-encoding": "gzip" } : {}),
          vary: "accept-encoding",
          etag: answer.tag,
          // Outside the kept body: the version it reflects (what `/api/version?turn=` says)
          // and the server's clock (open spans grow to it).
          "x-viewer-version": own ?? version,
          "x-viewer-now": String(Date.now()),
        });
        return void response.end(request.method === "HEAD" ? undefined : body);
      }
      case "/api/conversation": {
        // A conversation's turns in order, chat-style (`conversation_view.ts`).
        const id = params.get("id");
        if (!id) return plain(request, response, 400, "missing id");
        const chat = await source.conversation(id);
        if (!chat) return plain(request, response, 404, "no such conversation");
        return json(request, response, { ...chat, version: source.version(), now: Date.now() });
      }
      case "/api/stats": {
        // Per span name, model and tool over `?from=&to=` (ms since the epoch; absent: all).
        const range: StatsQuery = {};
        for (const key of ["from", "to"] as const) {
          const text = params.get(key);
          if (text === null || text === "") continue;
          const value = Number(text);
          if (!Number.isFinite(value)) {
            return plain(request, response, 400, `${key}: ms since the epoch`);
          }
          range[key] = value;
        }
        const stats = await source.stats(range);
        return json(request, response, { ...stats, version: source.version(), now: Date.now() });
      }
      case "/api/diff": {
        // One model call of a turn (or trace): its before, after, difference and response, cut
        // (`modelCallView`); `&part=` one of its bodies whole, for the page's "show all".
        const turn = params.get("turn");
        const id = turn ?? params.get("trace");
        if (!id) return plain(request, response, 400, "missing turn or trace");
        const spanId = params.get("span");
        if (!spanId) return plain(request, response, 400, "missing span");
        const part = params.get("part");
        if (part !== null && !PARTS.has(part)) {
          return plain(request, response, 400, "part: before, after or response");
        }
        const path = turn !== null ? "/api/turn" : "/api/trace";
        const { key } = viewKey(path, id);
        let calls = lastCalls?.key === key ? lastCalls.calls : undefined;
        if (calls === undefined) {
          const view = await viewOf(path, id, key);
          if (!view) return plain(request, response, 404, "no such turn or trace");
          calls = viewModelCalls(view);
          lastCalls = { key, calls };
        }
        const call = calls.find((c) => c.spanId === spanId);
        if (!call) return plain(request, response, 404, "no model call with this span");
        if (part === null) return json(request, response, modelCallView(call));
        const text = modelCallPart(call, part as ModelCallPart);
        if (text === undefined) return plain(request, response, 404, `no ${part} captured`);
        return json(request, response, { part, text });
      }
      case "/api/value": {
        // One value of a span, whole (up to 16 Mi characters): what the page sent cut
        // (`value_cut.ts`) and the reader asked to see all of.
        const turn = params.get("turn");
        const id = turn ?? params.get("trace");
        const spanId = params.get("span");
        const at = params.get("path");
        if (!id || !spanId || !at) {
          return plain(request, response, 400, "missing turn, span or path");
        }
        const path = turn !== null ? "/api/turn" : "/api/trace";
        const view = await viewOf(path, id, viewKey(path, id).key);
        if (!view) return plain(request, response, 404, "no such turn or trace");
        const span = view.spans.find((s) => s.spanId === spanId);
        const value = span === undefined ? undefined : valueAt(span, at);
        if (value === undefined) return plain(request, response, 404, "no such value");
        return json(request, response, { path: at, ...valueAnswer(value) });
      }
      default:
        return plain(request, response, 404, "not found");
    }
  };

  let server;
  try {
    server = await listenLocal((request, response) => {
      handle(request, response).catch((error) => {
        if (response.headersSent) return void response.destroy();
        plain(
          request,
          response,
          500,
          `viewer error: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    }, {
      host,
      port: requestedPort,
      allowedHosts: options.allowedHosts,
      matchPort: true,
      beyondLoopback: true,
      foreignHost: (request, response) =>
        plain(request, response, 421, "misdirected request: unknown Host header"),
    });
  } catch (error) {
    await source.close();
    throw error;
  }
  const { url, port } = server;
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await server.close();
      await source.close();
    })();
  options.onListen?.(url);
  return { url, port, close, [Symbol.asyncDispose]: close };
}
