/// <reference lib="dom" />
// The viewer in a real browser: Debian's Chromium, headless, driven by puppeteer-core.
// Without Chromium this test fails (CI installs it) unless VIEWER_BROWSER_MAY_SKIP=1 says
// a skip is fine; the server side is proven on every runtime by viewer_server.test.ts.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink, type JournalSink } from "../mod.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import {
  browserSkip,
  launchChromium,
  requireChromium,
  UPDATE_SCREENSHOTS,
} from "./fixtures/chromium.ts";
import { HOSTILE, lateTurn, readmeTurn, viewerRecords } from "./fixtures/viewer_journal.ts";

const skip = browserSkip;

// deno-lint-ignore no-explicit-any
type Page = any;
// deno-lint-ignore no-explicit-any
let browser: any;
let viewer: ViewerServer;
let sink: JournalSink;
let dir: string;

before(async () => {
  if (skip) return;
  requireChromium();
  dir = mkdtempSync(join(tmpdir(), "viewer-browser-"));
  const path = join(dir, "agent.jsonl");
  sink = createJournalSink({ path, fsync: "none" });
  for (const record of viewerRecords(Date.now())) sink.emit(record);
  sink.flush();
  viewer = await serve({ journal: path, port: 0, pollMs: 100 });
  browser = await launchChromium(join(dir, "chromium-profile"), [
    // A foreign name that resolves to this machine: what a DNS-rebinding page would use.
    "--host-resolver-rules=MAP rebind.test 127.0.0.1",
  ]);
});

after(async () => {
  await browser?.close();
  await viewer?.close();
  sink?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(
  path: string,
  ready: string,
  scheme = "light",
  base?: string,
): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 760 });
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
  const errors: string[] = [];
  page.on("pageerror", (error: Error) => errors.push(error.message));
  page.on("console", (message: { type(): string; text(): string }) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.errors = errors;
  await page.goto((base ?? viewer.url) + path);
  await page.waitForSelector(`body[data-ready="${ready}"]`, { timeout: 10_000 });
  return page;
}

/** Nothing hostile ran or became an element. */
async function assertInert(page: Page): Promise<void> {
  const state = await page.evaluate(() => ({
    pwned: typeof (window as unknown as { __pwned?: number }).__pwned,
    planted: document.querySelectorAll("#pwn-c, #pwn-k, img, svg, script:not([src])").length,
  }));
  assert.deepEqual(state, { pwned: "undefined", planted: 0 });
}

test(
  "the list shows a failed turn and an open turn, grouped by conversation",
  { skip, timeout: 60_000 },
  async () => {
    const page = await open("/", "list");
    const rows = await page.$$eval("a.turn", (links: HTMLAnchorElement[]) =>
      links.map((link) => [
        link.dataset.turn,
        link.querySelector(".badge")?.textContent,
        link.closest("section")?.querySelector("h2")?.textContent,
      ]));
    assert.deepEqual(rows, [
      ["t-open", "open", "conversation c2"],
      ["t-hostile", "ok", `conversation ${HOSTILE.conversation}`],
      ["t-fail", "error", "conversation c1"],
      ["t-ok", "ok", "conversation c1"],
    ]);
    const tokens = await page.$eval(
      'a.turn[data-turn="t-ok"] .tokens',
      (node: Element) => node.textContent,
    );
    assert.equal(tokens, "1,200 / 340");
    await assertInert(page);
    assert.deepEqual(page.errors, []);
    await page.close();
  },
);

test(
  "the list is keyboard navigable: arrows move between turns, Enter opens one",
  { skip, timeout: 60_000 },
  async () => {
    const page = await open("/", "list");
    await page.focus("main");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    const focused = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.turn);
    assert.equal(focused, "t-fail");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    await page.waitForSelector('body[data-ready="turn"]');
    assert.equal(new URL(page.url()).searchParams.get("turn"), "t-fail");
    await page.close();
  },
);

test(
  "a turn appended after the page opened appears without a reload",
  { skip, timeout: 60_000 },
  async () => {
    const page = await open("/", "list");
    await page.evaluate(() => ((window as unknown as { __same: boolean }).__same = true));
    const started = Date.now();
    for (const record of lateTurn(Date.now())) sink.emit(record);
    sink.flush();
    await page.waitForSelector('a.turn[data-turn="t-late"]', { timeout: 5_000 });
    const elapsed = Date.now() - started;
    assert.equal(
      await page.evaluate(() => (window as unknown as { __same?: boolean }).__same),
      true,
    );
    assert.ok(elapsed < 3_000, `appeared after ${elapsed} ms`);
    await page.close();
  },
);

test("the waterfall marks the error span, and the detail pane shows the body and the error", {
  skip,
}, async () => {
  const page = await open("/?turn=t-fail", "turn");
  const rows = await page.$$eval(
    ".row",
    (nodes: HTMLElement[]) =>
      nodes.map((row) => [row.querySelector(".nm")?.textContent, row.classList.contains("error")]),
  );
  assert.deepEqual(rows, [["turn", true], ["chat m-large", false], ["tool weather", true]]);
  const indents = await page.$$eval(
    ".row .label",
    (nodes: HTMLElement[]) => nodes.map((n) => n.style.paddingLeft),
  );
  assert.ok(parseFloat(indents[1]) > parseFloat(indents[0]), "children are indented");
  const markers = await page.$$eval(".row .logmark", (nodes: HTMLElement[]) => nodes.length);
  assert.equal(markers, 2);
  await page.click('.row[data-span="f-llm"]');
  await page.waitForSelector("#detail pre.body");
  const body = await page.$eval("#detail pre.body", (node: Element) => node.textContent);
  assert.match(body, /"content": "What is the weather in Paris\?"/);
  await page.keyboard.press("ArrowDown");
  await page.waitForFunction(() =>
    document.querySelector("#detail h3")?.textContent === "tool weather"
  );
  const error = await page.$eval("#detail .errbox .errmsg", (node: Element) => node.textContent);
  assert.equal(error, "weather API: 503 Service Unavailable");
  const logs = await page.$$eval(
    "#detail .logs .msg",
    (nodes: Element[]) => nodes.map((n) => n.textContent),
  );
  assert.deepEqual(logs, ["upstream returned 503"]);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test(
  "open spans are drawn as bars that keep growing to now",
  { skip, timeout: 60_000 },
  async () => {
    const page = await open("/?turn=t-open&span=o-tool", "turn");
    const opened = await page.$$eval(
      ".row.open",
      (nodes: HTMLElement[]) => nodes.map((n) => n.dataset.span),
    );
    assert.deepEqual(opened, ["o-root", "o-tool"]);
    const width = () =>
      page.$eval(
        '.row[data-span="o-tool"] .bar',
        (bar: HTMLElement) => parseFloat(bar.style.width),
      );
    const label = () =>
      page.$eval('.row[data-span="o-tool"] .dur', (node: Element) => node.textContent);
    const [w1, l1] = [await width(), await label()];
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const [w2, l2] = [await width(), await label()];
    assert.ok(w2 > w1, `bar width ${w1}% → ${w2}%`);
    assert.notEqual(l2, l1);
    assert.match(l2, /^open /);
    const status = await page.$eval("#detail .badge", (node: Element) => node.textContent);
    assert.equal(status, "open");
    await page.close();
  },
);

test(
  "hostile record text is shown as text, never run as markup",
  { skip, timeout: 60_000 },
  async () => {
    const page = await open("/?turn=t-hostile", "turn");
    const shown = await page.evaluate(() => ({
      name: document.querySelector(".row .nm")?.textContent,
      title: document.querySelector("#detail h3")?.textContent,
      attributes: Array.from(document.querySelectorAll("#detail dl.attributes > *")).map((n) =>
        n.textContent
      ),
      body: document.querySelector("#detail pre.body")?.textContent,
      log: document.querySelector("#detail .logs .msg")?.textContent,
    }));
    assert.deepEqual(shown, {
      name: HOSTILE.name,
      title: HOSTILE.name,
      attributes: [HOSTILE.key, HOSTILE.value],
      body: HOSTILE.body,
      log: HOSTILE.msg,
    });
    await assertInert(page);
    assert.deepEqual(page.errors, []);
    await page.close();
  },
);

test("dark scheme follows prefers-color-scheme", { skip, timeout: 60_000 }, async () => {
  const light = await open("/", "list", "light");
  const dark = await open("/", "list", "dark");
  const background = (page: Page) =>
    page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(await background(light), "rgb(255, 255, 255)");
  assert.equal(await background(dark), "rgb(21, 24, 28)");
  await light.close();
  await dark.close();
});

test(
  "a page reached through a foreign host name (DNS rebinding) gets 421 and no data",
  { skip, timeout: 60_000 },
  async () => {
    const page = await browser.newPage();
    const response = await page.goto(`http://rebind.test:${viewer.port}/api/turns`);
    assert.equal(response.status(), 421);
    assert.doesNotMatch(await response.text(), /t-fail/);
    await page.close();
  },
);

test(
  "an open turn that did not change is neither refetched nor redrawn while other turns arrive",
  { skip, timeout: 60_000 },
  async () => {
    const page = await open("/?turn=t-fail", "turn");
    const answers: number[] = [];
    page.on("response", (response: { url(): string; status(): number }) => {
      if (response.url().includes("/api/turn?")) answers.push(response.status());
    });
    await page.evaluate(
      () => ((document.querySelector(".row") as unknown as { mark: number }).mark = 1),
    );
    const marked = () =>
      page.evaluate(() => (document.querySelector(".row") as unknown as { mark?: number }).mark);
    for (let i = 0; i < 3; i++) {
      for (const record of lateTurn(Date.now())) sink.emit({ ...record, turnId: `t-busy-${i}` });
      sink.flush();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(answers, [], "no request for the turn while it did not change");
    assert.equal(await marked(), 1, "the rows were not redrawn");
    // A record of this turn does get through, within about a second.
    const started = Date.now();
    sink.emit({
      kind: "log",
      level: "warn",
      msg: "late retry note",
      timestamp: Date.now(),
      spanId: "f-root",
      extensionId: "host",
      conversationId: "c1",
      turnId: "t-fail",
    });
    sink.flush();
    await page.waitForFunction(
      () => (document.querySelector(".row") as unknown as { mark?: number }).mark === undefined,
      { timeout: 5_000 },
    );
    assert.ok(Date.now() - started < 3_000, `redrawn after ${Date.now() - started} ms`);
    assert.deepEqual(answers, [200]);
    assert.deepEqual(page.errors, []);
    await page.close();
  },
);

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "a PNG");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

test(
  "the README screenshot: a failed turn still running, its model call's prompt in the detail pane",
  { skip, timeout: 60_000 },
  async () => {
    for (const record of readmeTurn(Date.now())) sink.emit(record);
    sink.flush();
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${viewer.url}/api/turn?id=t-readme`)).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const page = await open("/?turn=t-readme&span=r-llm1", "turn");
    await page.setViewport({ width: 1100, height: 640, deviceScaleFactor: 2 });
    await page.waitForFunction(() => document.querySelectorAll(".row").length === 6);
    const shown = await page.evaluate(() => ({
      error: document.querySelectorAll(".row.error").length,
      open: document.querySelectorAll(".row.open").length,
      body: document.querySelector("#detail pre.body")?.textContent ?? "",
    }));
    assert.deepEqual({ ...shown, body: shown.body.includes("Will it rain in Paris") }, {
      error: 2,
      open: 2,
      body: true,
    });
    const path = UPDATE_SCREENSHOTS
      ? new URL("../docs/viewer.png", import.meta.url).pathname
      : join(dir, "viewer.png");
    await page.screenshot({ path });
    const bytes = readFileSync(path);
    assert.deepEqual(pngSize(bytes), { width: 2200, height: 1280 });
    assert.ok(bytes.length > 20_000, `${bytes.length} bytes: not a blank page`);
    assert.deepEqual(page.errors, []);
    await page.close();
  },
);

test(
  "a trace without a turn is listed by its trace id and opens; a turn of 12,001 spans loads every page",
  { skip, timeout: 120_000 },
  async () => {
    const path = join(dir, "otel-like.jsonl");
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const t = Date.now() - 10_000;
    const otel = { extensionId: "otel-agent", traceId };
    const big = { extensionId: "host", turnId: "t-big" };
    const other = createJournalSink({ path, fsync: "none" });
    other.emit({ kind: "span-open", spanId: "o1", name: "invoke_agent", timestamp: t, ...otel });
    other.emit({
      kind: "span-open",
      spanId: "o2",
      parentSpanId: "o1",
      name: "execute_tool shell",
      timestamp: t + 1,
      ...otel,
    });
    other.emit({
      kind: "span-close",
      spanId: "o2",
      parentSpanId: "o1",
      name: "execute_tool shell",
      timestamp: t + 5,
      durationMs: 4,
      status: "error",
      ...otel,
    });
    other.emit({ kind: "span-open", spanId: "b0", name: "turn", timestamp: t - 5000, ...big });
    for (let i = 1; i < 12_001; i++) {
      other.emit({
        kind: "span-open",
        spanId: `b${i}`,
        parentSpanId: "b0",
        name: "step",
        timestamp: t - 5000 + i / 10,
        ...big,
      });
    }
    other.close();
    await using second = await serve({ journal: path, port: 0, pollMs: 100 });
    for (let i = 0; i < 100; i++) {
      const list = await (await fetch(`${second.url}/api/turns`)).json();
      if (list.turns.length === 2 && list.turns[1].spans === 12_001) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const page = await open("/", "list", "light", second.url);
    const rows = await page.$$eval("a.turn", (links: HTMLAnchorElement[]) =>
      links.map((link) => [
        link.dataset.kind,
        link.querySelector(".id")?.textContent,
        link.querySelector(".name")?.textContent,
        link.querySelector(".badge")?.textContent,
        new URL(link.href).search,
      ]));
    assert.deepEqual(rows, [
      ["trace", traceId, "invoke_agent", "open", `?trace=${traceId}`],
      ["turn", "t-big", "turn", "open", "?turn=t-big"],
    ]);
    await Promise.all([page.waitForNavigation(), page.click('a.turn[data-kind="trace"]')]);
    await page.waitForSelector('body[data-ready="turn"]');
    const spans = await page.$$eval(
      ".row",
      (nodes: HTMLElement[]) => nodes.map((row) => row.querySelector(".nm")?.textContent),
    );
    assert.deepEqual(spans, ["invoke_agent", "execute_tool shell"]);
    await page.close();
    const bigPage = await open("/?turn=t-big", "turn", "light", second.url);
    const shown = await bigPage.evaluate(() => ({
      stats: document.querySelector(".turnbar")?.textContent ?? "",
      height: (document.querySelector(".rows-inner") as HTMLElement).style.height,
    }));
    assert.match(shown.stats, /spans 12,001\b/);
    assert.equal(shown.height, `${12_001 * 24}px`, "every page's rows are in the waterfall");
    await bigPage.keyboard.press("End");
    await bigPage.waitForFunction(() =>
      document.querySelector("#detail h3")?.textContent === "step" &&
      document.querySelector(".row.selected")?.getAttribute("data-span") === "b12000"
    );
    assert.deepEqual(bigPage.errors, []);
    await bigPage.close();
  },
);
