// @ts-check
/// <reference lib="dom" />
/**
 * The page's side of the JSON API: fetching answers, the server's clock, and the poll that
 * redraws the page when records arrive.
 *
 * @module
 */

/** @import { VersionAnswer } from "../view_model.ts" */

/** How often the page asks whether records arrived, ms. */
const POLL_MS = 1000;

/**
 * What the open view shares with the poll: the version it shows, where to ask for the
 * version, how to redraw on a change, and what to redo each second.
 *
 * @type {{
 *   version: string | null,
 *   versionUrl: string,
 *   refresh: (() => unknown) | null,
 *   tick: (() => void) | null,
 * }}
 */
export const view = { version: null, versionUrl: "/api/version", refresh: null, tick: null };

/** Server time minus browser time, so open spans grow to the server's "now". */
let clockSkew = 0;

/**
 * The server's clock, as far as the page knows it.
 *
 * @returns {number} ms since the epoch.
 */
export function now() {
  return Date.now() + clockSkew;
}

/**
 * Sets the server's clock from an answer's `now`.
 *
 * @param {number} serverNow
 */
export function setServerNow(serverNow) {
  clockSkew = serverNow - Date.now();
}

/**
 * An answer's JSON.
 *
 * @template T
 * @param {string} url
 * @returns {Promise<T>}
 */
export function getJSON(url) {
  return request(url, null).then(function (response) {
    return /** @type {Promise<T>} */ (/** @type {Response} */ (response).json());
  });
}

/**
 * An answer with what its headers say: `{ value, tag, version }`, or `null` when the server
 * says 304 (what the page shows is still current).
 *
 * @template T
 * @param {string} url
 * @param {string | null} etag The tag of what the page shows.
 * @returns {Promise<{ value: T, tag: string | null, version: string | null } | null>}
 */
export function getTagged(url, etag) {
  return request(url, etag).then(function (response) {
    if (response === null) return null;
    const tag = response.headers.get("etag");
    const version = response.headers.get("x-viewer-version");
    return response.json().then(function (value) {
      return { value: /** @type {T} */ (value), tag: tag, version: version };
    });
  });
}

/**
 * The response, `null` for 304; an error with the status and text of any other failure.
 *
 * @param {string} url
 * @param {string | null} etag
 * @returns {Promise<Response | null>}
 */
function request(url, etag) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  if (etag) headers["if-none-match"] = etag;
  return fetch(url, { headers: headers, cache: "no-store" }).then(function (response) {
    if (response.status === 304) return null;
    if (!response.ok) {
      return response.text().then(function (text) {
        throw new Error(response.status + " " + text.trim());
      });
    }
    const serverNow = Number(response.headers.get("x-viewer-now"));
    if (serverNow) setServerNow(serverNow);
    return response;
  });
}

/**
 * Polling rather than server-sent events: one tiny request a second, nothing to hold open.
 *
 * @param {HTMLElement} live The header's live indicator.
 */
export function startPolling(live) {
  /** @param {boolean} ok */
  function setLive(ok) {
    live.classList.toggle("stale", !ok);
    live.textContent = ok ? "live" : "disconnected";
  }
  setInterval(function () {
    getJSON(view.versionUrl).then(function (answer) {
      const got = /** @type {VersionAnswer} */ (answer);
      setLive(true);
      setServerNow(got.now);
      if (view.version !== null && got.version !== view.version && view.refresh) {
        view.version = got.version;
        view.refresh();
      }
    }, function () {
      setLive(false);
    });
  }, POLL_MS);
  setInterval(function () {
    if (view.tick) view.tick();
  }, 1000);
}
