// @ts-check
/// <reference lib="dom" />
/**
 * The model-call pane, in the detail pane of a span that holds a `provider.request`: the
 * difference between the prompt as the turn built it and the request as sent (system prompt,
 * messages added, removed, changed, tools), and the before, after and response themselves,
 * each cut when long with a "show all" that fetches the rest. The server computes all of it
 * (`/api/diff`); this draws it.
 *
 * @module
 */

/** @import { CutText, ModelCallPart, ModelCallView, PromptDiffView, WaterfallSpan } from "../view_model.ts" */
/** @import { DiffRow, ModelCallTab, SameRun } from "./model_call_model.js" */

import { getJSON, view } from "./api.js";
import { clear, el, showAllButton } from "./dom.js";
import { formatNumber } from "./format.js";
import {
  bodyCaption,
  changedParts,
  changeSign,
  cutNote,
  diffCounts,
  diffRows,
  MODEL_CALL_TABS,
  modelCallUrl,
  shownTab,
  tabAvailable,
  tabBody,
  toolsLine,
} from "./model_call_model.js";

/** Where the page's spans come from: what `/api/diff` is asked about. */
/** @typedef {{ kind: "turn" | "trace", id: string, spanName: (spanId: string) => string | undefined }} CallSource */

/** The tab the reader chose last: kept from call to call. */
/** @type {ModelCallTab | null} */
let chosenTab = null;

/**
 * The last call drawn, by its address, and the version of the turn it was fetched at: a redraw
 * of the same call draws it at once and asks again only when the turn changed.
 *
 * @type {{ url: string, version: string | null, call: ModelCallView } | null}
 */
let lastCall = null;

/**
 * A cut or whole text, with its note and a "show all" that fetches the rest.
 *
 * @param {CutText} text
 * @param {string} className The text's element class.
 * @param {(() => Promise<string>) | null} whole Fetches the whole text; `null`: the note says
 *   where it is instead.
 * @param {string} [elsewhere] Where the whole text is, when it is not fetched here.
 * @returns {HTMLElement}
 */
function cutBlock(text, className, whole, elsewhere) {
  const box = el("div", "cutbox");
  const body = el(className === "body" ? "pre" : "div", className, text.text);
  box.appendChild(body);
  if (!text.cut) return box;
  body.classList.add("is-cut");
  const note = el("p", "cutnote", cutNote(text) + (elsewhere ? " " + elsewhere : ""));
  if (whole) {
    note.appendChild(document.createTextNode(" "));
    note.appendChild(showAllButton(body, note, whole));
  }
  box.appendChild(note);
  return box;
}

/**
 * A changed text with what differs marked: `del` on the before, `ins` on the after.
 *
 * @param {CutText} before
 * @param {CutText} after
 * @returns {HTMLElement}
 */
function changedTexts(before, after) {
  const parts = changedParts(before.text, after.text);
  const box = el("div", "pair");
  /**
   * @param {"was" | "now"} side
   * @param {"del" | "ins"} tag
   * @param {string} middle
   * @param {CutText} text
   */
  function line(side, tag, middle, text) {
    const row = el("div", "txt " + side);
    row.appendChild(el("span", "side", side === "was" ? "before" : "after"));
    row.appendChild(document.createTextNode(parts.prefix));
    if (middle) row.appendChild(el(tag, null, middle));
    row.appendChild(document.createTextNode(parts.suffix));
    if (text.cut) {
      row.appendChild(el("span", "cutnote", " … " + cutNote(text)));
    }
    box.appendChild(row);
  }
  line("was", "del", parts.before, before);
  line("now", "ins", parts.after, after);
  return box;
}

/**
 * One row of the difference.
 *
 * @param {DiffRow} row
 * @returns {HTMLLIElement}
 */
function diffRow(row) {
  const li = el("li", "d " + row.change);
  li.dataset.change = row.change;
  li.dataset.role = row.role;
  li.appendChild(el("span", "sign", changeSign(row.change)));
  const main = el("div", "dmain");
  const head = el("div", "dhead");
  head.appendChild(el("span", "role" + (row.role === "system" ? " system" : ""), row.role));
  if (row.change !== "same") head.appendChild(el("span", "dchange", row.change));
  main.appendChild(head);
  if (row.change === "changed" && row.before && row.after) {
    main.appendChild(changedTexts(row.before, row.after));
  } else {
    const text = /** @type {CutText} */ (row.after || row.before);
    main.appendChild(cutBlock(text, "txt", null, "The whole message is under After."));
  }
  li.appendChild(main);
  return li;
}

/**
 * A folded run of unchanged messages.
 *
 * @param {SameRun} run
 * @returns {HTMLLIElement}
 */
function sameRun(run) {
  const li = el("li", "d run");
  const fold = el("details");
  fold.appendChild(
    el("summary", null, formatNumber(run.rows.length) + " unchanged messages"),
  );
  const list = el("ol", "diff");
  run.rows.forEach(function (row) {
    list.appendChild(diffRow(row));
  });
  fold.appendChild(list);
  li.appendChild(fold);
  return li;
}

/**
 * The difference tab.
 *
 * @param {PromptDiffView} diff
 * @returns {HTMLElement}
 */
function diffPanel(diff) {
  const panel = el("div", "dpanel");
  const counts = el("p", "dcounts");
  diffCounts(diff).forEach(function (count) {
    counts.appendChild(el("span", "chip " + count.change, count.text));
  });
  panel.appendChild(counts);
  const list = el("ol", "diff");
  diffRows(diff).forEach(function (row) {
    list.appendChild(row.change === "run" ? sameRun(row) : diffRow(row));
  });
  panel.appendChild(list);
  const tools = toolsLine(diff);
  const line = el("p", "tools", tools.lead);
  if (tools.tools.length) line.appendChild(document.createTextNode(": "));
  tools.tools.forEach(function (tool, i) {
    if (i > 0) line.appendChild(document.createTextNode(" "));
    const chip = el("span", "tool " + tool.change, changeSign(tool.change) + tool.name);
    chip.title = tool.change === "same" ? "in the request" : tool.change;
    line.appendChild(chip);
  });
  if (tools.note) line.appendChild(el("span", "muted", " (" + tools.note + ")"));
  panel.appendChild(line);
  return panel;
}

/**
 * A body tab: a caption, the body (cut, with "show all").
 *
 * @param {ModelCallView} call
 * @param {ModelCallPart} part
 * @param {WaterfallSpan} span
 * @param {CallSource} source
 * @returns {HTMLElement}
 */
function bodyPanel(call, part, span, source) {
  const panel = el("div", "dpanel");
  const spanName = call.beforeAt && call.beforeAt.spanId
    ? source.spanName(call.beforeAt.spanId)
    : undefined;
  panel.appendChild(el("p", "muted caption", bodyCaption(call, part, span.start, spanName)));
  const text = tabBody(call, part);
  if (!text) {
    panel.appendChild(el("p", "muted", "Not captured."));
    return panel;
  }
  panel.appendChild(cutBlock(text, "body", function () {
    const url = modelCallUrl(source.kind, source.id, call.spanId, part);
    return getJSON(url).then(function (answer) {
      return /** @type {{ text: string }} */ (answer).text;
    });
  }));
  return panel;
}

/**
 * Draws `call` into `section`: the tabs and the chosen one's panel.
 *
 * @param {HTMLElement} section
 * @param {ModelCallView} call
 * @param {WaterfallSpan} span
 * @param {CallSource} source
 */
function drawCall(section, call, span, source) {
  clear(section);
  section.appendChild(el("h4", null, "Prompt: before → after"));
  const tabs = el("div", "tabs");
  tabs.setAttribute("role", "tablist");
  tabs.setAttribute("aria-label", "Before, after, difference, response");
  const panel = el("div", "tabpanel");
  panel.id = "model-call-panel";
  panel.setAttribute("role", "tabpanel");
  const current = shownTab(call, chosenTab);
  /** @type {HTMLButtonElement[]} */
  const buttons = [];
  MODEL_CALL_TABS.forEach(function (entry) {
    const button = el("button", "tab", entry.label);
    button.type = "button";
    button.dataset.tab = entry.tab;
    button.setAttribute("role", "tab");
    button.setAttribute("aria-controls", panel.id);
    const on = entry.tab === current;
    button.setAttribute("aria-selected", on ? "true" : "false");
    button.tabIndex = on ? 0 : -1;
    if (!tabAvailable(call, entry.tab)) {
      button.disabled = true;
      button.title = entry.tab === "diff"
        ? "No prompt:before in this turn before the call, or no request body captured"
        : "Not captured";
    }
    button.addEventListener("click", function () {
      chosenTab = entry.tab;
      drawCall(section, call, span, source);
      const again = /** @type {HTMLElement | null} */ (
        section.querySelector('.tab[data-tab="' + entry.tab + '"]')
      );
      if (again) again.focus();
    });
    buttons.push(button);
    tabs.appendChild(button);
  });
  tabs.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const enabled = buttons.filter(function (b) {
      return !b.disabled;
    });
    const at = enabled.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (at < 0) return;
    event.preventDefault();
    const step = event.key === "ArrowRight" ? 1 : enabled.length - 1;
    enabled[(at + step) % enabled.length].click();
  });
  section.appendChild(tabs);
  if (current === "diff" && call.diff) panel.appendChild(diffPanel(call.diff));
  else if (current === "diff") {
    panel.appendChild(
      el(
        "p",
        "muted",
        "Nothing to compare: " +
          (call.before === null
            ? "the turn wrote no prompt:before (capturePrompt) before this call."
            : "the request's body was not captured."),
      ),
    );
  } else panel.appendChild(bodyPanel(call, current, span, source));
  section.appendChild(panel);
  section.dataset.tab = current;
  document.body.dataset.modelCall = call.spanId;
}

/**
 * Fills `section` with the model call `span`: at once from the last answer when it is the same
 * call, and from `/api/diff` when the turn changed since (or it is another call).
 *
 * @param {HTMLElement} section An element of the detail pane, emptied here.
 * @param {WaterfallSpan} span A span for which `isModelCall` holds.
 * @param {CallSource} source
 */
export function drawModelCall(section, span, source) {
  section.className = "mcall";
  section.setAttribute("aria-label", "Model call: before and after");
  const url = modelCallUrl(source.kind, source.id, span.spanId);
  const cached = lastCall !== null && lastCall.url === url ? lastCall : null;
  if (cached) drawCall(section, cached.call, span, source);
  else {
    clear(section);
    section.appendChild(el("h4", null, "Prompt: before → after"));
    section.appendChild(el("p", "muted", "Loading…"));
  }
  if (cached && cached.version === view.version) return;
  const version = view.version;
  getJSON(url).then(function (answer) {
    const call = /** @type {ModelCallView} */ (answer);
    const same = cached !== null && JSON.stringify(cached.call) === JSON.stringify(call);
    lastCall = { url: url, version: version, call: call };
    if (!section.isConnected || same) return;
    drawCall(section, call, span, source);
  }, function (error) {
    if (!section.isConnected) return;
    clear(section);
    section.appendChild(el("h4", null, "Prompt: before → after"));
    section.appendChild(
      el("p", "error-text", "Could not load the model call: " + error.message),
    );
  });
}
