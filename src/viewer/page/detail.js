// @ts-check
/// <reference lib="dom" />
/**
 * The detail pane: everything about the selected span (its facts, attributes, links, logs
 * and body). A pane that shows more about a span is a module beside this one, drawn into the
 * same aside: `model_call.js` for a model call's before, after and difference.
 *
 * @module
 */

/** @import { ReadableSpan } from "../readable_page.ts" */
/** @import { ValueSize } from "../value_cut.ts" */
/** @import { CallSource } from "./model_call.js" */
/** @import { ErrorDetails } from "./detail_model.js" */

import { getJSON, now } from "./api.js";
import { badge, clear, el, showAllButton } from "./dom.js";
import { formatDuration, formatNumber, formatTime, valueText } from "./format.js";
import { formatCost } from "./cost_format.js";
import {
  bodyFoldSummary,
  cutOf,
  errorDetails,
  evaluations,
  evaluationText,
  linkText,
  valueCutNote,
  valueUrl,
} from "./detail_model.js";
import { drawModelCall } from "./model_call.js";
import { isModelCall } from "./model_call_model.js";
import { silenceNote, silentSince } from "./silence.js";

/**
 * Where the pane asks for a value the server sent cut: the span's, by its path.
 *
 * @typedef {(path: string) => Promise<string>} WholeValue
 */

/**
 * A note under a value sent cut, with a "Show all" that fetches it whole into `target`.
 *
 * @param {HTMLElement} target Where the value's text is.
 * @param {ValueSize} size The whole value's size.
 * @param {() => Promise<string>} whole
 * @returns {HTMLElement}
 */
function cutNoteOf(target, size, whole) {
  target.classList.add("is-cut");
  const note = el("p", "cutnote", valueCutNote((target.textContent || "").length, size) + " ");
  note.appendChild(showAllButton(target, note, whole));
  return note;
}

/**
 * A `dt`/`dd` pair for a value the server may have sent cut.
 *
 * @param {HTMLElement} list
 * @param {string} key
 * @param {unknown} value
 * @param {ValueSize | undefined} size Its whole size when it was sent cut.
 * @param {WholeValue} whole
 * @param {string} path
 */
function valueFact(list, key, value, size, whole, path) {
  list.appendChild(el("dt", null, key));
  const dd = el("dd");
  const text = el("span", "val", valueText(value));
  dd.appendChild(text);
  if (size) {
    dd.appendChild(cutNoteOf(text, size, function () {
      return whole(path);
    }));
  }
  list.appendChild(dd);
}

/**
 * The error block: the message (with its type), then the stack one line each.
 *
 * @param {ErrorDetails} error
 * @returns {HTMLElement}
 */
function errorBlock(error) {
  const box = el("div", "errbox");
  box.setAttribute("role", "alert");
  const head = el("p", "errmsg");
  if (error.type !== undefined && error.type !== error.message) {
    head.appendChild(el("b", null, error.type + ": "));
  }
  head.appendChild(document.createTextNode(error.message));
  box.appendChild(head);
  if (error.stack.length) {
    const stack = el("ol", "stack");
    error.stack.forEach(function (line) {
      stack.appendChild(el("li", null, line));
    });
    box.appendChild(stack);
  }
  return box;
}

/**
 * A `dt`/`dd` pair, left out when there is no value.
 *
 * @param {HTMLElement} list
 * @param {string} key
 * @param {string | undefined | null} value
 */
function fact(list, key, value) {
  if (value === undefined || value === null || value === "") return;
  list.appendChild(el("dt", null, key));
  list.appendChild(el("dd", null, value));
}

/**
 * A body as preformatted text, folded when it is long; when the server sent it cut, its first
 * part, folded too, with a "Show all".
 *
 * @param {unknown} body
 * @param {ValueSize | undefined} size Its whole size when it was sent cut.
 * @param {() => Promise<string>} whole
 * @returns {HTMLElement}
 */
function bodyBlock(body, size, whole) {
  const text = valueText(body);
  const pre = el("pre", "body", text);
  const summary = size
    ? "Show body (" + valueCutNote(text.length, size) + ")"
    : bodyFoldSummary(text);
  if (summary === undefined) return pre;
  const fold = el("details", "fold");
  fold.appendChild(el("summary", null, summary));
  fold.appendChild(pre);
  if (size) fold.appendChild(cutNoteOf(pre, size, whole));
  return fold;
}

/**
 * A link: `href` set on a new anchor showing `text`.
 *
 * @param {string} text
 * @param {string} href
 * @returns {HTMLAnchorElement}
 */
function anchor(text, href) {
  const a = el("a", null, text);
  a.href = href;
  return a;
}

/**
 * The span's facts: ids, scope, times, status, error, anomalies.
 *
 * @param {ReadableSpan} span
 * @returns {HTMLDListElement}
 */
function spanFacts(span) {
  const facts = el("dl", "kv");
  fact(facts, "Span", span.spanId);
  fact(facts, "Parent", span.parentSpanId);
  if (span.traceId) {
    facts.appendChild(el("dt", null, "Trace"));
    const dd = el("dd");
    const a = anchor(span.traceId, "?trace=" + encodeURIComponent(span.traceId));
    a.title = "Every span of this trace, across turns";
    dd.appendChild(a);
    facts.appendChild(dd);
  }
  fact(facts, "Extension", span.extensionId);
  fact(facts, "Conversation", span.conversationId);
  fact(facts, "Turn", span.turnId);
  fact(facts, "Start", formatTime(span.start));
  const at = now();
  const silent = silentSince(span, at);
  if (silent !== undefined) {
    fact(
      facts,
      "Open",
      "≥ " + formatDuration(silent - span.start) + ", " + silenceNote(silent, at),
    );
  } else if (span.status === "open") {
    fact(facts, "Open for", formatDuration(at - span.start) + " (no close record yet)");
  } else {
    fact(facts, "End", formatTime(/** @type {number} */ (span.end)));
    fact(facts, "Duration", formatDuration(/** @type {number} */ (span.durationMs)));
  }
  fact(facts, "Status", span.status);
  if (span.costUsd !== undefined) fact(facts, "Cost", formatCost(span.costUsd));
  const tokensIn = span.attributes["gen_ai.usage.input_tokens"];
  const tokensOut = span.attributes["gen_ai.usage.output_tokens"];
  if (typeof tokensIn === "number" || typeof tokensOut === "number") {
    fact(
      facts,
      "Tokens in / out",
      formatNumber(typeof tokensIn === "number" ? tokensIn : 0) + " / " +
        formatNumber(typeof tokensOut === "number" ? tokensOut : 0),
    );
  }
  if (span.anomalies.length) fact(facts, "Anomalies", span.anomalies.join(", "));
  return facts;
}

/**
 * Draws `span` into the pane, or a prompt to select one. Its error and evaluations come first,
 * then a model call's before, after and their difference, right under its name.
 *
 * @param {HTMLElement} pane
 * @param {ReadableSpan | undefined} span
 * @param {CallSource} source Where a model call's difference and a value whole are asked for.
 */
export function drawDetail(pane, span, source) {
  clear(pane);
  if (!span) {
    pane.appendChild(el("p", "empty", "Select a span."));
    return;
  }
  const spanId = span.spanId;
  /** @type {WholeValue} */
  const whole = function (path) {
    return getJSON(valueUrl(source.kind, source.id, spanId, path)).then(function (answer) {
      return /** @type {{ text: string }} */ (answer).text;
    });
  };
  pane.appendChild(el("h3", null, span.name));
  pane.appendChild(badge(span.status));
  const error = errorDetails(span);
  if (error) pane.appendChild(errorBlock(error));
  const scores = evaluations(span);
  if (scores.length) {
    pane.appendChild(el("h4", null, "Evaluations (" + scores.length + ")"));
    const list = el("ul", "evals");
    scores.forEach(function (e) {
      const li = el("li", "eval");
      li.appendChild(el("b", null, evaluationText(e)));
      if (e.explanation !== undefined) li.appendChild(el("div", "muted", e.explanation));
      list.appendChild(li);
    });
    pane.appendChild(list);
  }
  if (isModelCall(span)) {
    const section = el("section");
    pane.appendChild(section);
    drawModelCall(section, span, source);
  } else delete document.body.dataset.modelCall;
  pane.appendChild(spanFacts(span));
  const attributes = span.attributes;
  const shownInError = error && error.log < 0 ? error.keys : [];
  const keys = Object.keys(attributes).filter(function (key) {
    return shownInError.indexOf(key) < 0;
  });
  pane.appendChild(
    el(
      "h4",
      null,
      "Attributes (" + keys.length + ")" +
        (shownInError.length ? " and " + shownInError.length + " in the error above" : ""),
    ),
  );
  if (keys.length) {
    const list = el("dl", "kv attributes");
    keys.sort().forEach(function (key) {
      const path = "attributes/" + key;
      valueFact(list, key, attributes[key], cutOf(span, path), whole, path);
    });
    pane.appendChild(list);
  }
  if (span.links.length) {
    pane.appendChild(el("h4", null, "Links (" + span.links.length + ")"));
    const links = el("ul", "logs");
    span.links.forEach(function (link) {
      const li = el("li", null, linkText(link));
      if (link.turnId) {
        li.appendChild(document.createTextNode(" in turn "));
        li.appendChild(anchor(link.turnId, "?turn=" + encodeURIComponent(link.turnId)));
      }
      links.appendChild(li);
    });
    pane.appendChild(links);
  }
  const start = span.start;
  pane.appendChild(el("h4", null, "Logs (" + span.logs.length + ")"));
  if (span.logs.length) {
    const logs = el("ul", "logs");
    span.logs.forEach(function (log, i) {
      const li = el("li");
      li.appendChild(el("span", "at", "+" + formatDuration(log.timestamp - start) + " "));
      li.appendChild(el("span", "lvl " + log.level, log.level));
      li.appendChild(el("span", "msg", log.msg));
      const logAttributes = log.attributes || {};
      const skip = error && error.log === i ? error.keys : [];
      const own = Object.keys(logAttributes).filter(function (key) {
        return skip.indexOf(key) < 0;
      });
      if (skip.length) li.appendChild(el("span", "muted", " (the error above)"));
      if (own.length) {
        const list = el("dl", "kv logattrs");
        own.forEach(function (key) {
          const path = "logs/" + i + "/attributes/" + key;
          valueFact(list, key, logAttributes[key], cutOf(span, path), whole, path);
        });
        li.appendChild(list);
      }
      if (log.body !== undefined) {
        const path = "logs/" + i + "/body";
        li.appendChild(bodyBlock(log.body, cutOf(span, path), function () {
          return whole(path);
        }));
      }
      logs.appendChild(li);
    });
    pane.appendChild(logs);
  }
  if (span.body !== undefined) {
    pane.appendChild(el("h4", null, "Body"));
    pane.appendChild(bodyBlock(span.body, cutOf(span, "body"), function () {
      return whole("body");
    }));
  }
}
