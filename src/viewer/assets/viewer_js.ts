/**
 * The viewer's script, embedded as a string so the page ships inside the package and is
 * served the same from JSR, npm or a checkout (no file is read at run time). Plain
 * browser JavaScript, no framework: every record field goes into the page through
 * `textContent` or an attribute value, never as markup.
 *
 * @module
 */

/** The JavaScript of `/viewer.js` (no template literals inside, so it embeds as is). */
export const VIEWER_JS: string = String.raw`"use strict";
(function () {
  const ROW_H = 24;
  const POLL_MS = 1000;
  const BODY_FOLD_CHARS = 1500;
  const BODY_FOLD_LINES = 25;
  const MAX_MARKS = 40;
  const MAX_SPANS = 50000; // a turn's spans fetched page by page up to this many; the rest are counted
  const app = document.getElementById("app");
  const crumb = document.getElementById("crumb");
  const live = document.getElementById("live");
  const params = new URLSearchParams(location.search);
  let version = null;
  let versionUrl = "/api/version"; // a turn's page asks for that turn's version only
  let refresh = null;
  let tick = null;
  let clockSkew = 0; // server time minus browser time, so open spans grow to the server's "now"

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }
  function now() {
    return Date.now() + clockSkew;
  }
  /**
   * The answer's JSON; with meta, { value, tag, version } from its headers, or null when
   * the server says 304 (what the page shows is still current).
   */
  function getJSON(url, etag, meta) {
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
      if (serverNow) clockSkew = serverNow - Date.now();
      if (!meta) return response.json();
      const tag = response.headers.get("etag");
      const version = response.headers.get("x-viewer-version");
      return response.json().then(function (value) {
        return { value: value, tag: tag, version: version };
      });
    });
  }
  function pad(n, width) {
    return String(n).padStart(width || 2, "0");
  }
  function fmtTime(ms) {
    const d = new Date(ms);
    if (isNaN(d.getTime())) return String(ms);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." +
      pad(d.getMilliseconds(), 3);
  }
  function fmtDuration(ms) {
    if (!isFinite(ms)) return "";
    if (ms < 1) return ms.toFixed(2) + " ms";
    if (ms < 1000) return Math.round(ms) + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
    const m = Math.floor(ms / 60000);
    if (m < 60) return m + "m " + Math.floor((ms % 60000) / 1000) + "s";
    return Math.floor(m / 60) + "h " + (m % 60) + "m";
  }
  /** 1234567 → "1,234,567". By hand: the first toLocaleString call loads ICU data (~45 ms). */
  function fmtNum(n) {
    const value = Number(n || 0);
    if (!isFinite(value) || Math.abs(value) >= 1e21) return String(value);
    const parts = String(Math.abs(value)).split(".");
    const whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (value < 0 ? "-" : "") + whole + (parts.length > 1 ? "." + parts[1] : "");
  }
  function valueText(value) {
    if (typeof value === "string") return value;
    try {
      const text = JSON.stringify(value, null, 2);
      return text === undefined ? String(value) : text;
    } catch (_) {
      return String(value);
    }
  }
  /** What a list line stands for: its turn, else (a trace without a turn) its trace. */
  function lineId(turn) {
    return turn.turnId !== undefined ? turn.turnId : turn.traceId;
  }
  function badge(status) {
    return el("span", "badge " + status, status);
  }
  function setLive(ok) {
    live.classList.toggle("stale", !ok);
    live.textContent = ok ? "live" : "disconnected";
  }
  /** Polling rather than server-sent events: one tiny request a second, nothing to hold open. */
  function startPolling() {
    setInterval(function () {
      getJSON(versionUrl).then(function (answer) {
        setLive(true);
        clockSkew = answer.now - Date.now();
        if (version !== null && answer.version !== version && refresh) {
          version = answer.version;
          refresh();
        }
      }, function () {
        setLive(false);
      });
    }, POLL_MS);
    setInterval(function () {
      if (tick) tick();
    }, 1000);
  }

  // ---------------------------------------------------------------- turn list
  function listView() {
    const state = {
      conversation: params.get("conversation") || "",
      extension: params.get("extension") || "",
      status: params.get("status") || "",
      q: params.get("q") || "",
      offset: Math.max(0, Number(params.get("offset")) || 0),
    };
    const LIMIT = 100;
    let page = null;
    let lastText = null;
    crumb.textContent = "turns";
    document.title = "journal-sink: turns";
    clear(app);
    const form = el("form", "filters");
    form.setAttribute("role", "search");
    function field(label, name, kind) {
      const wrap = el("label", null, label);
      const input = kind === "select" ? el("select") : el("input");
      input.name = name;
      if (kind === "select") {
        ["", "ok", "error", "open"].forEach(function (value) {
          const option = el("option", null, value || "any");
          option.value = value;
          input.appendChild(option);
        });
      } else {
        input.type = "search";
        input.autocomplete = "off";
      }
      input.value = state[name];
      input.addEventListener(kind === "select" ? "change" : "input", function () {
        state[name] = input.value;
        state.offset = 0;
        clearTimeout(input.timer);
        input.timer = setTimeout(load, kind === "select" ? 0 : 250);
      });
      wrap.appendChild(input);
      form.appendChild(wrap);
      return input;
    }
    const text = field("Search (/)", "q");
    const conversation = field("Conversation", "conversation");
    field("Extension", "extension");
    field("Status", "status", "select");
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
      state.offset = Math.max(0, state.offset - LIMIT);
      load();
    });
    older.addEventListener("click", function () {
      state.offset += LIMIT;
      load();
    });
    pager.append(newer, older, where);
    app.append(form, list, pager);

    function query() {
      const q = new URLSearchParams();
      ["conversation", "extension", "status", "q"].forEach(function (key) {
        if (state[key]) q.set(key, state[key]);
      });
      if (state.offset) q.set("offset", String(state.offset));
      return q;
    }
    function load() {
      const q = query();
      history.replaceState(null, "", q.toString() ? "?" + q.toString() : "/");
      q.set("limit", String(LIMIT));
      return getJSON("/api/turns?" + q.toString()).then(function (answer) {
        version = answer.version;
        clockSkew = answer.now - Date.now();
        const textNow = JSON.stringify(answer.turns) + answer.more;
        if (textNow === lastText) return;
        lastText = textNow;
        page = answer;
        draw();
      }, function (error) {
        clear(list);
        list.appendChild(el("p", "empty error-text", "Could not load turns: " + error.message));
      });
    }
    function duration(turn) {
      return (turn.status === "open" ? Math.max(turn.end, now()) : turn.end) - turn.start;
    }
    function draw() {
      const focused = document.activeElement && document.activeElement.dataset
        ? document.activeElement.dataset.turn
        : undefined;
      clear(list);
      if (page.turns.length === 0) {
        list.appendChild(el("p", "empty", state.offset ? "No older turns." : "No turns match."));
      }
      const groups = new Map();
      page.turns.forEach(function (turn) {
        const key = turn.conversationId === undefined ? "" : turn.conversationId;
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(turn);
      });
      const head = el("div", "turn head");
      ["Turn or trace", "First span", "Started", "Duration", "Status", "Spans · errors", "Tokens in / out"]
        .forEach(function (label, i) {
          head.appendChild(el("span", i >= 3 && i !== 4 ? "num" + (i === 6 ? " tokens" : "") : null, label));
        });
      list.appendChild(head);
      groups.forEach(function (turns, key) {
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
        turns.forEach(function (turn) {
          const row = el("a", "turn " + turn.status);
          const kind = turn.turnId !== undefined ? "turn" : "trace";
          row.href = "?" + kind + "=" + encodeURIComponent(lineId(turn));
          row.dataset.turn = lineId(turn);
          row.dataset.kind = kind;
          row.appendChild(el("span", "id", lineId(turn)));
          row.appendChild(el("span", "name", turn.name));
          row.appendChild(el("span", null, fmtTime(turn.start)));
          const dur = el("span", "num dur", fmtDuration(duration(turn)));
          row.appendChild(dur);
          const st = el("span");
          st.appendChild(badge(turn.status));
          row.appendChild(st);
          row.appendChild(el("span", "num", fmtNum(turn.spans) + " · " + fmtNum(turn.errors)));
          row.appendChild(el(
            "span",
            "num tokens",
            turn.inputTokens || turn.outputTokens
              ? fmtNum(turn.inputTokens) + " / " + fmtNum(turn.outputTokens)
              : "–",
          ));
          row.title = (kind === "trace" ? "trace without a turn; " : "") + turn.extensions.join(", ");
          group.appendChild(row);
        });
        list.appendChild(group);
      });
      newer.disabled = state.offset === 0;
      older.disabled = !page.more;
      where.textContent = (page.turns.length
        ? "turns " + (state.offset + 1) + "–" + (state.offset + page.turns.length)
        : "") + (page.skipped ? " · " + fmtNum(page.skipped) + " unreadable records skipped" : "");
      if (focused !== undefined) {
        const again = list.querySelector('a.turn[data-turn="' + CSS.escape(focused) + '"]');
        if (again) again.focus();
      }
      performance.mark("viewer:list-drawn");
      document.body.dataset.ready = "list";
    }
    tick = function () {
      if (!page) return;
      list.querySelectorAll("a.turn.open").forEach(function (row) {
        const turn = page.turns.find(function (t) {
          return lineId(t) === row.dataset.turn;
        });
        if (turn) row.querySelector(".dur").textContent = fmtDuration(duration(turn));
      });
    };
    refresh = load;
    document.addEventListener("keydown", function (event) {
      const target = event.target;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "SELECT");
      if (event.key === "/" && !typing) {
        event.preventDefault();
        text.focus();
        return;
      }
      if (typing && event.key !== "ArrowDown") return;
      const rows = Array.prototype.slice.call(list.querySelectorAll("a.turn"));
      if (rows.length === 0) return;
      const at = rows.indexOf(document.activeElement);
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

  // ---------------------------------------------------------------- waterfall
  function turnView(kind, id) {
    crumb.textContent = kind + " " + id;
    if (kind === "turn") versionUrl = "/api/version?turn=" + encodeURIComponent(id);
    document.title = "journal-sink: " + kind + " " + id;
    let data = null;
    let selected = -1;
    let loaded = false;
    let spanRange = null; // the time axis: computed once per answer, again each second while spans are open
    const wanted = params.get("span");
    clear(app);
    const bar = el("div", "turnbar");
    const back = el("a", null, "← turns");
    back.href = "/";
    const stats = el("span", "stat");
    bar.append(back, stats);
    const split = el("div", "split");
    const fall = el("section", "waterfall");
    fall.setAttribute("aria-label", "Waterfall");
    const axis = el("div", "axis");
    const rows = el("div", "rows");
    rows.tabIndex = 0;
    rows.setAttribute("role", "listbox");
    rows.setAttribute("aria-label", "Spans (arrow keys move, Escape returns to the list)");
    const inner = el("div", "rows-inner");
    rows.appendChild(inner);
    fall.append(axis, rows, el("div", "hint", "↑ ↓ Home End PgUp PgDn: move · Esc: back to turns"));
    const detail = el("aside", "detail");
    detail.id = "detail";
    detail.setAttribute("aria-label", "Selected span");
    split.append(fall, detail);
    app.append(bar, split);

    function range() {
      let t0 = Infinity;
      let t1 = -Infinity;
      const current = now();
      data.spans.forEach(function (span) {
        if (span.start < t0) t0 = span.start;
        const end = span.status === "open" ? Math.max(current, span.start) : span.end;
        if (end > t1) t1 = end;
        if (span.start > t1) t1 = span.start;
      });
      if (!isFinite(t0)) t0 = t1 = current;
      return { t0: t0, total: Math.max(t1 - t0, 1), current: current };
    }
    function labelWidth() {
      return Math.max(160, Math.min(360, Math.floor(rows.clientWidth * 0.36)));
    }
    function drawAxis(r, lw, axisWidth) {
      clear(axis);
      const width = Math.max(1, axisWidth - lw - 84);
      for (let i = 0; i < 5; i++) {
        const tick = el("div", "tick", fmtDuration((r.total * i) / 4));
        tick.style.left = (lw + (width * i) / 4) + "px";
        axis.appendChild(tick);
      }
    }
    function drawRows() {
      if (!data) return;
      const r = spanRange || (spanRange = range());
      // Every geometry read before any write: one layout per draw, not one per row.
      const lw = labelWidth();
      const axisWidth = axis.clientWidth;
      const first = Math.max(0, Math.floor(rows.scrollTop / ROW_H) - 10);
      const last = Math.min(data.spans.length, first + Math.ceil(rows.clientHeight / ROW_H) + 20);
      drawAxis(r, lw, axisWidth);
      const fragment = document.createDocumentFragment();
      const current = r.current; // open bars end where the axis does
      for (let i = first; i < last; i++) {
        const span = data.spans[i];
        const row = el("div", "row " + span.status + (i === selected ? " selected" : ""));
        row.setAttribute("role", "option");
        row.setAttribute("aria-selected", i === selected ? "true" : "false");
        row.dataset.index = String(i);
        row.dataset.span = span.spanId;
        row.style.top = i * ROW_H + "px";
        const label = el("div", "label");
        label.style.width = lw + "px";
        label.style.paddingLeft = 6 + Math.min(span.depth, 24) * 12 + "px";
        label.appendChild(el("span", "nm", span.name));
        label.appendChild(el("span", "svc", span.extensionId));
        label.title = span.name + " (" + span.extensionId + ")";
        const track = el("div", "track");
        track.style.marginRight = "84px";
        const end = span.status === "open" ? Math.max(current, span.start) : span.end;
        const b = el("div", "bar");
        const left = ((span.start - r.t0) / r.total) * 100;
        b.style.left = left + "%";
        b.style.width = Math.max(0, ((end - span.start) / r.total) * 100) + "%";
        b.appendChild(el(
          "span",
          "dur",
          span.status === "open" ? "open " + fmtDuration(end - span.start) : fmtDuration(end - span.start),
        ));
        track.appendChild(b);
        const marks = span.logs.length > MAX_MARKS ? MAX_MARKS : span.logs.length;
        for (let k = 0; k < marks; k++) {
          const log = span.logs[k];
          const m = el("div", "logmark " + log.level);
          m.style.left = ((log.timestamp - r.t0) / r.total) * 100 + "%";
          m.title = log.level + ": " + log.msg;
          track.appendChild(m);
        }
        row.append(label, track);
        fragment.appendChild(row);
      }
      clear(inner);
      inner.style.height = data.spans.length * ROW_H + "px";
      inner.appendChild(fragment);
    }
    function select(index, scroll) {
      if (!data || data.spans.length === 0) return;
      selected = Math.max(0, Math.min(data.spans.length - 1, index));
      const q = new URLSearchParams(location.search);
      q.set("span", data.spans[selected].spanId);
      history.replaceState(null, "", "?" + q.toString());
      if (scroll) {
        const top = selected * ROW_H;
        if (top < rows.scrollTop) rows.scrollTop = top;
        else if (top + ROW_H > rows.scrollTop + rows.clientHeight) {
          rows.scrollTop = top + ROW_H - rows.clientHeight;
        }
      }
      drawRows();
      drawDetail();
    }
    function kv(list, key, value) {
      if (value === undefined || value === null || value === "") return;
      list.appendChild(el("dt", null, key));
      list.appendChild(el("dd", null, value));
    }
    function errorText(span) {
      const keys = ["error.message", "exception.message", "error", "error.type", "exception.type", "status.message"];
      for (let i = 0; i < keys.length; i++) {
        if (span.attributes[keys[i]] !== undefined) return valueText(span.attributes[keys[i]]);
      }
      return span.status === "error" ? "(no error attribute)" : undefined;
    }
    function bodyBlock(body) {
      const text = valueText(body);
      const pre = el("pre", "body", text);
      const lines = text.split("\n").length;
      if (text.length <= BODY_FOLD_CHARS && lines <= BODY_FOLD_LINES) return pre;
      const fold = el("details", "fold");
      fold.appendChild(el("summary", null, "Show body (" + fmtNum(lines) + " lines, " + fmtNum(text.length) + " characters)"));
      fold.appendChild(pre);
      return fold;
    }
    function drawDetail() {
      clear(detail);
      const span = data.spans[selected];
      if (!span) {
        detail.appendChild(el("p", "empty", "Select a span."));
        return;
      }
      const h3 = el("h3", null, span.name);
      detail.appendChild(h3);
      detail.appendChild(badge(span.status));
      const facts = el("dl", "kv");
      kv(facts, "Span", span.spanId);
      kv(facts, "Parent", span.parentSpanId);
      if (span.traceId) {
        facts.appendChild(el("dt", null, "Trace"));
        const dd = el("dd");
        const a = el("a", null, span.traceId);
        a.href = "?trace=" + encodeURIComponent(span.traceId);
        a.title = "Every span of this trace, across turns";
        dd.appendChild(a);
        facts.appendChild(dd);
      }
      kv(facts, "Extension", span.extensionId);
      kv(facts, "Conversation", span.conversationId);
      kv(facts, "Turn", span.turnId);
      kv(facts, "Start", fmtTime(span.start));
      if (span.status === "open") {
        kv(facts, "Open for", fmtDuration(now() - span.start) + " (no close record yet)");
      } else {
        kv(facts, "End", fmtTime(span.end));
        kv(facts, "Duration", fmtDuration(span.durationMs));
      }
      kv(facts, "Status", span.status);
      kv(facts, "Error", errorText(span));
      if (span.anomalies.length) kv(facts, "Anomalies", span.anomalies.join(", "));
      detail.appendChild(facts);
      const keys = Object.keys(span.attributes);
      detail.appendChild(el("h4", null, "Attributes (" + keys.length + ")"));
      if (keys.length) {
        const attrs = el("dl", "kv attributes");
        keys.sort().forEach(function (key) {
          kv(attrs, key, valueText(span.attributes[key]));
        });
        detail.appendChild(attrs);
      }
      if (span.links.length) {
        detail.appendChild(el("h4", null, "Links (" + span.links.length + ")"));
        const links = el("ul", "logs");
        span.links.forEach(function (link) {
          const li = el("li", null, link.spanId + (link.reason ? " (" + link.reason + ")" : ""));
          if (link.turnId) {
            li.appendChild(document.createTextNode(" in turn "));
            const a = el("a", null, link.turnId);
            a.href = "?turn=" + encodeURIComponent(link.turnId);
            li.appendChild(a);
          }
          links.appendChild(li);
        });
        detail.appendChild(links);
      }
      detail.appendChild(el("h4", null, "Logs (" + span.logs.length + ")"));
      if (span.logs.length) {
        const logs = el("ul", "logs");
        span.logs.forEach(function (log) {
          const li = el("li");
          li.appendChild(el("span", "at", "+" + fmtDuration(log.timestamp - span.start) + " "));
          li.appendChild(el("span", "lvl " + log.level, log.level));
          li.appendChild(el("span", "msg", log.msg));
          if (log.attributes && Object.keys(log.attributes).length) {
            li.appendChild(el("div", "muted", valueText(log.attributes)));
          }
          if (log.body !== undefined) li.appendChild(bodyBlock(log.body));
          logs.appendChild(li);
        });
        detail.appendChild(logs);
      }
      if (span.body !== undefined) {
        detail.appendChild(el("h4", null, "Body"));
        detail.appendChild(bodyBlock(span.body));
      }
    }
    function summary() {
      let errors = 0;
      let open = 0;
      const input = data.inputTokens; // totals from the server: the page counts no tokens
      const output = data.outputTokens;
      data.spans.forEach(function (span) {
        if (span.status === "error") errors++;
        if (span.status === "open") open++;
      });
      const r = spanRange || (spanRange = range());
      clear(stats);
      function stat(label, value) {
        const s = el("span", "stat", label + " ");
        s.appendChild(el("b", null, value));
        stats.appendChild(s);
        stats.appendChild(document.createTextNode("  "));
      }
      stats.appendChild(badge(open ? "open" : errors ? "error" : "ok"));
      stats.appendChild(document.createTextNode("  "));
      stat("spans", data.total > data.spans.length
        ? fmtNum(data.spans.length) + " of " + fmtNum(data.total)
        : fmtNum(data.spans.length));
      if (data.total > data.spans.length) {
        stat("not shown", fmtNum(data.total - data.spans.length) + " (the first " + fmtNum(MAX_SPANS) + " are)");
      }
      stat("errors", fmtNum(errors));
      stat("open", fmtNum(open));
      stat("duration", fmtDuration(r.total));
      if (input || output) stat("tokens in / out", fmtNum(input) + " / " + fmtNum(output));
      if (data.spans.length) stat("started", fmtTime(r.t0));
    }
    let tag = null;
    /** The pages after the first, up to MAX_SPANS spans, appended to it. */
    function morePages(url, first) {
      let next = first.next;
      function fetchNext() {
        if (next === undefined || first.spans.length >= MAX_SPANS) return Promise.resolve(first);
        return getJSON(url + "&offset=" + next).then(function (page) {
          for (let i = 0; i < page.spans.length; i++) first.spans.push(page.spans[i]);
          next = page.next;
          return fetchNext();
        });
      }
      return fetchNext();
    }
    function load() {
      const url = "/api/" + kind + "?id=" + encodeURIComponent(id);
      return getJSON(url, tag, true).then(function (got) {
        if (got === null) return null; // 304: this turn did not change, nothing to redraw
        return morePages(url, got.value).then(function () {
          return got;
        });
      }).then(function (got) {
        if (got === null) return;
        const answer = got.value;
        tag = got.tag;
        if (got.version !== null) version = got.version;
        spanRange = null;
        const keep = data && selected >= 0 ? data.spans[selected].spanId : wanted;
        data = answer;
        selected = 0;
        for (let i = 0; i < data.spans.length; i++) {
          if (data.spans[i].spanId === keep) {
            selected = i;
            break;
          }
        }
        summary();
        select(selected, !loaded);
        loaded = true;
        performance.mark("viewer:turn-drawn");
        document.body.dataset.ready = "turn";
      }, function (error) {
        clear(detail);
        clear(inner);
        detail.appendChild(el("p", "empty error-text", "Could not load " + kind + ": " + error.message));
        document.body.dataset.ready = "missing";
      });
    }
    rows.addEventListener("scroll", function () {
      requestAnimationFrame(drawRows);
    });
    window.addEventListener("resize", function () {
      drawRows();
    });
    rows.addEventListener("click", function (event) {
      const row = event.target.closest ? event.target.closest(".row") : null;
      if (row) {
        select(Number(row.dataset.index), false);
        rows.focus();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.target && (event.target.tagName === "INPUT" || event.target.tagName === "SUMMARY")) return;
      if (event.key === "Escape") {
        location.href = "/";
        return;
      }
      if (!data || event.target === detail || detail.contains(event.target)) return;
      const pageRows = Math.max(1, Math.floor(rows.clientHeight / ROW_H) - 1);
      const moves = {
        ArrowDown: selected + 1, j: selected + 1, ArrowUp: selected - 1, k: selected - 1,
        Home: 0, End: data.spans.length - 1, PageDown: selected + pageRows, PageUp: selected - pageRows,
      };
      if (Object.prototype.hasOwnProperty.call(moves, event.key)) {
        event.preventDefault();
        select(moves[event.key], true);
      }
    });
    tick = function () {
      if (!data) return;
      if (data.spans.some(function (span) { return span.status === "open"; })) {
        spanRange = null;
        summary();
        drawRows();
      }
    };
    refresh = load;
    performance.mark("viewer:turn-start");
    load().then(function () {
      rows.focus();
    });
  }

  startPolling();
  if (params.get("turn")) turnView("turn", params.get("turn"));
  else if (params.get("trace")) turnView("trace", params.get("trace"));
  else listView();
})();
`;
