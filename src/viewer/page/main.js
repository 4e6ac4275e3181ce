// @ts-check
/// <reference lib="dom" />
/**
 * The viewer's page: picks the view the address asks for and starts the poll. The other
 * modules of this folder are bundled with it into `../assets/viewer_js.ts`
 * (`node scripts/generate_viewer_assets.ts`).
 *
 * @module
 */

import { startPolling } from "./api.js";
import { listView } from "./list_view.js";
import { turnView } from "./turn_view.js";
import { conversationView } from "./conversation_view.js";
import { statsView } from "./stats_view.js";

/**
 * The page's fixed parts (see `../assets/viewer_html.ts`).
 *
 * @typedef {object} Shell
 * @property {HTMLElement} app Where a view draws.
 * @property {HTMLElement} crumb The header's text of what is shown.
 * @property {HTMLElement} live The header's live indicator.
 */

/**
 * Starts the page in the document's shell.
 *
 * @param {URLSearchParams} params The page's query.
 */
export function startViewer(params) {
  /** @param {string} id */
  const part = function (id) {
    return /** @type {HTMLElement} */ (document.getElementById(id));
  };
  /** @type {Shell} */
  const shell = { app: part("app"), crumb: part("crumb"), live: part("live") };
  startPolling(shell.live);
  const turn = params.get("turn");
  const trace = params.get("trace");
  if (location.pathname === "/stats") statsView(shell, params);
  else if (turn) turnView(shell, "turn", turn, params.get("span"));
  else if (trace) turnView(shell, "trace", trace, params.get("span"));
  else if (params.get("conversation") && params.get("view") !== "list") {
    conversationView(shell, /** @type {string} */ (params.get("conversation")));
  } else listView(shell, params);
}
