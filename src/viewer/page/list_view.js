// @ts-check
/// <reference lib="dom" />
/**
 * The turn list (`/`): filters, the lines grouped by conversation, a pager, keyboard moves.
 *
 * @module
 */

/** @import { TurnListAnswer, TurnSummary } from "../view_model.ts" */
/** @import { Shell } from "./main.js" */

import { getJSON, now, setServerNow, view } from "./api.js";
import { badge, clear, el } from "./dom.js";
import { formatDuration, formatNumber, formatTime } from "./format.js";
import { formatCost } from "./cost_format.js";
import { conversationTotalsText } from "./conversation_model.js";
import {
  apiQuery,
  groupByConversation,
  lineDuration,
  lineId,
  LIST_LIMIT,
  listFilters,
  listQuery,
  pagerText,
  tokensText,
} from "./list_model.js";
import { turnSilence } from "./silence.js";

/** The header row's labels; from the fourth on (but the status) right-aligned numbers. */
const LIST_COLUMNS = [
  "Turn or trace",
  "First span",
  "Started",
  "Duration",
  "Status",
  "Spans · errors",
  "Tokens in / out",
  "Cost",
];

/**
 * Draws the turn list into the shell and keeps it current.
 *
 * @param {Shell} shell
 * @param {URLSearchParams} params The page's query.
 */
export function listView(shell, params) {
  const app = shell.app;
  const state = listFilters(params);
  /** @type {TurnListAnswer | null} */
  let page = null;
  /** @type {string | null} */
  let lastText = null;
  shell.crumb.textContent = "turns";
  document.title = "journal-sink: turns";
  clear(app);
  const form = el("form", "filters");
  form.setAttribute("role", "search");
  /**
   * A labelled filter field, bound to `state[name]`.
   *
   * @param {string} label
   * @param {"q" | "conversation" | "extension" | "status" | "model" | "attr" | "minMs" | "maxMs" | "from" | "to"} name
   * @param {"select" | "number" | "datetime-local"} [kind] A select of statuses, a number or a
   *   time; else a search box.
   * @returns {HTMLInputElement | HTMLSelectElement}
   */
  function field(label, name, kind) {
    const wrap = el("label", null, label);
    /** @type {HTMLInputElement | HTMLSelectElement} */
    let input;
    if (kind === "select") {
      const select = input = el("select");
      ["", "ok", "error", "open"].forEach(function (value) {
        const option = el("option", null, value || "any");
        option.value = value;
        select.appendChild(option);
      });
    } else {
      const box = input = el("input");
      box.type = kind || "search";
      box.autocomplete = "off";
    }
    input.name = name;
    input.value = state[name] || "";
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    input.addEventListener(kind === "select" ? "change" : "input", function () {
      state[name] = input.value;
      state.offset = 0;
      clearTimeout(timer);
      timer = setTimeout(load, kind === "select" ? 0 : 250);
    });
    wrap.appendChild(input);
    form.appendChild(wrap);
    return input;
  }
  const text = field("Search (/)", "q");
  const conversation = field("Conversation", "conversation");
  field("Extension", "extension");
  field("Status", "status", "select");
  field("Model", "model");
  field("Attribute (key=value)", "attr");
  field("Min ms", "minMs", "number");
  field("Max ms", "maxMs", "number");
  field("From", "from", "datetime-local");
  field("To", "to", "datetime-local");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    load();
  });
  const list = el("div", "list");
  list.id = "turns";
  const pager = el("div", "pager");
  const newer = el("button", null, "← Newer");
  const older = el("button", null, "Older →");
  const where = el("span", "stat");
  newer.type = older.type = "button";
  newer.addEventListener("click", function () {
    state.offset = Math.max(0, state.offset - LIST_LIMIT);
    load();
  });
  older.addEventListener("click", function () {
    state.offset += LIST_LIMIT;
    load();
  });
  pager.append(newer, older, where);
  // Across turns: calls, errors, latency and cost per span name, model and tool.
  const stats = el("a", "chat-link stats-link", "Stats →");
  stats.href = "/stats";
  form.appendChild(stats);
  app.append(form, list, pager);

  function load() {
    const shown = listQuery(state);
    history.replaceState(null, "", shown.toString() ? "?" + shown.toString() : "/");
    const q = apiQuery(state);
    q.set("limit", String(LIST_LIMIT));
    return getJSON("/api/turns?" + q.toString()).then(function (got) {
      const answer = /** @type {TurnListAnswer} */ (got);
      view.version = answer.version;
      setServerNow(answer.now);
      const textNow = JSON.stringify(answer.turns) + answer.more;
      if (textNow === lastText) return;
      lastText = textNow;
      page = answer;
      draw(answer);
    }, function (error) {
      clear(list);
      list.appendChild(el("p", "empty error-text", "Could not load turns: " + error.message));
    });
  }
  /**
   * One line of the list: a link to its turn or trace.
   *
   * @param {TurnSummary} turn
   * @returns {HTMLAnchorElement}
   */
  function line(turn) {
    const row = el("a", "turn " + turn.status);
    const kind = turn.turnId !== undefined ? "turn" : "trace";
    row.href = "?" + kind + "=" + encodeURIComponent(lineId(turn));
    row.dataset.turn = lineId(turn);
    row.dataset.kind = kind;
    row.appendChild(el("span", "id", lineId(turn)));
    const name = el("span", "name", turn.name);
    const silence = turnSilence(turn, now()); // an open turn whose writers went quiet
    if (silence) name.appendChild(el("span", "silence", " · " + silence));
    row.appendChild(name);
    row.appendChild(el("span", null, formatTime(turn.start)));
    row.appendChild(el("span", "num dur", formatDuration(lineDuration(turn, now()))));
    const status = el("span");
    status.appendChild(badge(turn.status));
    row.appendChild(status);
    row.appendChild(
      el("span", "num", formatNumber(turn.spans) + " · " + formatNumber(turn.errors)),
    );
    row.appendChild(el("span", "num tokens", tokensText(turn)));
    row.appendChild(el("span", "num cost", formatCost(turn.costUsd)));
    row.title = (kind === "trace" ? "trace without a turn; " : "") + turn.extensions.join(", ");
    return row;
  }
  /** @param {TurnListAnswer} page */
  function draw(page) {
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const focused = active && active.dataset ? active.dataset.turn : undefined;
    clear(list);
    if (page.turns.length === 0) {
      list.appendChild(el("p", "empty", state.offset ? "No older turns." : "No turns match."));
    }
    const head = el("div", "turn head");
    LIST_COLUMNS.forEach(function (label, i) {
      head.appendChild(
        el(
          "span",
          i >= 3 && i !== 4 ? "num" + (i === 6 ? " tokens" : i === 7 ? " cost" : "") : null,
          label,
        ),
      );
    });
    list.appendChild(head);
    groupByConversation(page.turns).forEach(function (turns, key) {
      const group = el("section", "group");
      const h2 = el("h2");
      if (key === "") {
        h2.textContent = "no conversation";
      } else {
        h2.appendChild(document.createTextNode("conversation "));
        const pick = el("button", null, key);
        pick.type = "button";
        pick.title = "Show only this conversation";
        pick.addEventListener("click", function () {
          state.conversation = key;
          conversation.value = key;
          state.offset = 0;
          load();
        });
        h2.appendChild(pick);
      }
      group.appendChild(h2);
      if (key !== "") {
        // Beside the heading, not in it: the conversation's chat view and its totals.
        const facts = el("p", "group-facts");
        const chat = el("a", "chat-link", "conversation view");
        chat.href = "?conversation=" + encodeURIComponent(key);
        facts.appendChild(chat);
        const total = (page.conversations || []).find(function (c) {
          return c.conversationId === key;
        });
        if (total) facts.appendChild(el("span", "totals", conversationTotalsText(total)));
        group.appendChild(facts);
      }
      turns.forEach(function (turn) {
        group.appendChild(line(turn));
      });
      list.appendChild(group);
    });
    newer.disabled = state.offset === 0;
    older.disabled = !page.more;
    where.textContent = pagerText(page, state.offset);
    if (focused !== undefined) {
      const again = /** @type {HTMLElement | null} */ (
        list.querySelector('a.turn[data-turn="' + CSS.escape(focused) + '"]')
      );
      if (again) again.focus();
    }
    performance.mark("viewer:list-drawn");
    document.body.dataset.ready = "list";
  }
  view.tick = function () {
    if (!page) return;
    const shown = page;
    list.querySelectorAll("a.turn.open").forEach(function (node) {
      const row = /** @type {HTMLElement} */ (node);
      const turn = shown.turns.find(function (t) {
        return lineId(t) === row.dataset.turn;
      });
      const cell = row.querySelector(".dur");
      if (turn && cell) cell.textContent = formatDuration(lineDuration(turn, now()));
    });
  };
  view.refresh = load;
  document.addEventListener("keydown", function (event) {
    const target = /** @type {HTMLElement | null} */ (event.target);
    const typing = target && (target.tagName === "INPUT" || target.tagName === "SELECT");
    if (event.key === "/" && !typing) {
      event.preventDefault();
      text.focus();
      return;
    }
    if (typing && event.key !== "ArrowDown") return;
    /** @type {HTMLElement[]} */
    const rows = Array.prototype.slice.call(list.querySelectorAll("a.turn"));
    if (rows.length === 0) return;
    const at = rows.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    let next = -1;
    if (event.key === "ArrowDown" || event.key === "j") next = Math.min(rows.length - 1, at + 1);
    if (event.key === "ArrowUp" || event.key === "k") next = Math.max(0, at - 1);
    if (event.key === "Home") next = 0;
    if (event.key === "End") next = rows.length - 1;
    if (next >= 0) {
      event.preventDefault();
      rows[next].focus();
      rows[next].scrollIntoView({ block: "nearest" });
    }
  });
  performance.mark("viewer:list-start");
  load();
}
