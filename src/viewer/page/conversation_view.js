// @ts-check
/// <reference lib="dom" />
/**
 * A conversation (`/?conversation=<id>`): its turns in order, chat-style: what was asked, the
 * tool calls with their status, the answer, and each turn's duration, tokens and cost; each
 * turn links into its waterfall.
 *
 * @module
 */

/** @import { ConversationView, ChatTurn } from "../conversation_view.ts" */
/** @import { Shell } from "./main.js" */

import { getJSON, now, setServerNow, view } from "./api.js";
import { badge, clear, el } from "./dom.js";
import { formatTime } from "./format.js";
import { chatTurnFacts, conversationTotalsText, toolText } from "./conversation_model.js";

/**
 * Draws a conversation into the shell and keeps it current.
 *
 * @param {Shell} shell
 * @param {string} id The conversation.
 */
export function conversationView(shell, id) {
  const app = shell.app;
  shell.crumb.textContent = "conversation " + id;
  document.title = "journal-sink: conversation " + id;
  clear(app);
  const head = el("div", "turnbar chat-head");
  const back = el("a", null, "← turns");
  back.href = "/";
  const asList = el("a", null, "as a list");
  asList.href = "?conversation=" + encodeURIComponent(id) + "&view=list";
  const totals = el("span", "stat chat-totals");
  head.append(back, document.createTextNode("  "), asList, document.createTextNode("  "), totals);
  const turns = el("div", "chat");
  turns.id = "chat";
  app.append(head, turns);
  /** @type {string | null} */
  let lastText = null;
  /** @type {ConversationView | null} */
  let shown = null;

  /**
   * A message bubble: who, and the text (cut by the server, with its whole size).
   *
   * @param {string} who
   * @param {ChatTurn["prompt"]} text
   * @param {string} missing What to say when there is none.
   * @returns {HTMLElement}
   */
  function bubble(who, text, missing) {
    const box = el("div", "bubble " + who);
    box.appendChild(el("div", "who", who));
    const body = el("div", "said", text ? text.text : missing);
    if (!text) body.classList.add("none");
    box.appendChild(body);
    if (text && text.cut) {
      box.appendChild(
        el("div", "cut", "… cut: " + text.chars + " characters in all; the turn has it whole"),
      );
    }
    return box;
  }

  /**
   * @param {ChatTurn} turn
   * @returns {HTMLElement}
   */
  function card(turn) {
    const article = el("article", "chat-turn " + turn.status);
    article.dataset.turn = turn.turnId;
    const header = el("header");
    const link = el("a", "id", turn.turnId);
    link.href = "?turn=" + encodeURIComponent(turn.turnId);
    header.append(link, document.createTextNode(" "), badge(turn.status));
    header.appendChild(el("span", "when", formatTime(turn.start)));
    header.appendChild(el("span", "facts", chatTurnFacts(turn, now())));
    article.appendChild(header);
    const asked = bubble("user", turn.prompt, "no prompt recorded");
    if (turn.promptFrom === "model call") asked.title = "from the first model call's input";
    article.appendChild(asked);
    if (turn.tools.length) {
      const tools = el("ul", "tools");
      turn.tools.forEach(function (tool) {
        const item = el("li", "tool " + tool.status);
        const a = el("a", null, toolText(tool));
        a.href = "?turn=" + encodeURIComponent(turn.turnId) + "&span=" +
          encodeURIComponent(tool.spanId);
        item.append(badge(tool.status), document.createTextNode(" "), a);
        tools.appendChild(item);
      });
      article.appendChild(tools);
    }
    article.appendChild(bubble("assistant", turn.answer, "no answer recorded"));
    return article;
  }

  function load() {
    return getJSON("/api/conversation?id=" + encodeURIComponent(id)).then(function (got) {
      const answer = /** @type {ConversationView & { version: string, now: number }} */ (got);
      view.version = answer.version;
      setServerNow(answer.now);
      const text = JSON.stringify(answer.turns);
      if (text === lastText) return;
      lastText = text;
      shown = answer;
      totals.textContent = conversationTotalsText(answer.totals);
      clear(turns);
      answer.turns.forEach(function (turn) {
        turns.appendChild(card(turn));
      });
      performance.mark("viewer:conversation-drawn");
      document.body.dataset.ready = "conversation";
    }, function (error) {
      clear(turns);
      turns.appendChild(el("p", "empty error-text", "Could not load: " + error.message));
      document.body.dataset.ready = "conversation";
    });
  }
  view.refresh = load;
  view.tick = function () {
    if (!shown) return;
    const got = shown;
    turns.querySelectorAll("article.chat-turn.open").forEach(function (node) {
      const article = /** @type {HTMLElement} */ (node);
      const turn = got.turns.find(function (t) {
        return t.turnId === article.dataset.turn;
      });
      const facts = article.querySelector(".facts");
      if (turn && facts) facts.textContent = chatTurnFacts(turn, now());
    });
  };
  load();
}
