// @ts-check
/// <reference lib="dom" />
/**
 * The detail pane: everything about the selected span (its facts, attributes, links, logs
 * and body). A pane that shows more about a span is a module beside this one, drawn into the
 * same aside: `model_call.js` for a model call's before, after and difference.
 *
 * @module
 */

/** @import { WaterfallSpan } from "../view_model.ts" */
/** @import { CallSource } from "./model_call.js" */

import { now } from "./api.js";
import { badge, clear, el } from "./dom.js";
import { formatDuration, formatTime, valueText } from "./format.js";
import { bodyFoldSummary, errorText, linkText } from "./detail_model.js";
import { drawModelCall } from "./model_call.js";
import { isModelCall } from "./model_call_model.js";

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
 * A body as preformatted text, folded when it is long.
 *
 * @param {unknown} body
 * @returns {HTMLElement}
 */
function bodyBlock(body) {
  const text = valueText(body);
  const pre = el("pre", "body", text);
  const summary = bodyFoldSummary(text);
  if (summary === undefined) return pre;
  const fold = el("details", "fold");
  fold.appendChild(el("summary", null, summary));
  fold.appendChild(pre);
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
 * @param {WaterfallSpan} span
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
  if (span.status === "open") {
    fact(facts, "Open for", formatDuration(now() - span.start) + " (no close record yet)");
  } else {
    fact(facts, "End", formatTime(/** @type {number} */ (span.end)));
    fact(facts, "Duration", formatDuration(/** @type {number} */ (span.durationMs)));
  }
  fact(facts, "Status", span.status);
  fact(facts, "Error", errorText(span));
  if (span.anomalies.length) fact(facts, "Anomalies", span.anomalies.join(", "));
  return facts;
}

/**
 * Draws `span` into the pane, or a prompt to select one. A model call's before, after and
 * their difference come first, right under its name.
 *
 * @param {HTMLElement} pane
 * @param {WaterfallSpan | undefined} span
 * @param {CallSource} source Where a model call's difference is asked for.
 */
export function drawDetail(pane, span, source) {
  clear(pane);
  if (!span) {
    pane.appendChild(el("p", "empty", "Select a span."));
    return;
  }
  pane.appendChild(el("h3", null, span.name));
  pane.appendChild(badge(span.status));
  if (isModelCall(span)) {
    const section = el("section");
    pane.appendChild(section);
    drawModelCall(section, span, source);
  } else delete document.body.dataset.modelCall;
  pane.appendChild(spanFacts(span));
  const attributes = span.attributes;
  const keys = Object.keys(attributes);
  pane.appendChild(el("h4", null, "Attributes (" + keys.length + ")"));
  if (keys.length) {
    const list = el("dl", "kv attributes");
    keys.sort().forEach(function (key) {
      fact(list, key, valueText(attributes[key]));
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
    span.logs.forEach(function (log) {
      const li = el("li");
      li.appendChild(el("span", "at", "+" + formatDuration(log.timestamp - start) + " "));
      li.appendChild(el("span", "lvl " + log.level, log.level));
      li.appendChild(el("span", "msg", log.msg));
      if (log.attributes && Object.keys(log.attributes).length) {
        li.appendChild(el("div", "muted", valueText(log.attributes)));
      }
      if (log.body !== undefined) li.appendChild(bodyBlock(log.body));
      logs.appendChild(li);
    });
    pane.appendChild(logs);
  }
  if (span.body !== undefined) {
    pane.appendChild(el("h4", null, "Body"));
    pane.appendChild(bodyBlock(span.body));
  }
}
