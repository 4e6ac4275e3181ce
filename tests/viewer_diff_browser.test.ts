/// <reference lib="dom" />
// The model-call pane in a real browser (Debian's Chromium through puppeteer-core, as
// viewer_browser.test.ts): a turn written with the real capturePrompt and captureFetch, where
// extensions added a system prompt, trimmed the history, added a message, reworded the
// question and added a tool. Without Chromium it fails unless VIEWER_BROWSER_MAY_SKIP=1.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import type { TraceViewPage } from "../src/viewer/view_model.ts";
import {
  browserSkip,
  launchChromium,
  requireChromium,
  UPDATE_SCREENSHOTS,
} from "./fixtures/chromium.ts";
import { type FakeProvider, startFakeProvider } from "./fixtures/fake_provider.ts";
import {
  ADDED_CONTEXT,
  ADDED_SYSTEM,
  QUESTION,
  REMOVED_GREETING,
  writeDiffTurn,
} from "./fixtures/viewer_diff_turn.ts";

const skip = browserSkip;
const LONG = "Retrieved document: " + "the fjord is deep and cold. ".repeat(3_000);

// deno-lint-ignore no-explicit-any
type Page = any;
// deno-lint-ignore no-explicit-any
let browser: any;
let viewer: ViewerServer;
let provider: FakeProvider;
let dir: string;

before(async () => {
  if (skip) return;
  requireChromium();
  dir = mkdtempSync(join(tmpdir(), "viewer-diff-browser-"));
  provider = await startFakeProvider();
  const path = join(dir, "agent.jsonl");
  await writeDiffTurn(path, provider, "t-diff");
  await writeDiffTurn(path, provider, "t-long", LONG);
  viewer = await serve({ journal: path, port: 0, pollMs: 100 });
  browser = await launchChromium(join(dir, "chromium-profile"));
});

after(async () => {
  await browser?.close();
  await viewer?.close();
  await provider?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The span id of turn `turn`'s model call, once the server has indexed the turn. */
async function callSpan(turn: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const response = await fetch(`${viewer.url}/api/turn?id=${turn}`);
    if (response.status === 200) {
      const page = await response.json() as TraceViewPage;
      const call = page.spans.find((span) => span.name === "chat gpt-4o");
      if (call && page.spans.length === 4) return call.spanId;
    } else await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`turn ${turn} was never indexed`);
}

/** The turn's page with its model call selected, once the pane has drawn the call. */
async function openCall(
  turn: string,
  scheme = "light",
  viewport = { width: 1280, height: 760 },
): Promise<Page> {
  const span = await callSpan(turn);
  const page = await browser.newPage();
  await page.setViewport(viewport);
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
  const errors: string[] = [];
  page.on("pageerror", (error: Error) => errors.push(error.message));
  page.on("console", (message: { type(): string; text(): string }) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.errors = errors;
  await page.goto(`${viewer.url}/?turn=${turn}&span=${span}`);
  await page.waitForSelector(`body[data-model-call="${span}"]`, { timeout: 10_000 });
  return page;
}

async function showTab(page: Page, tab: string): Promise<void> {
  await page.click(`#detail .tab[data-tab="${tab}"]`);
  await page.waitForSelector(`#detail .mcall[data-tab="${tab}"]`);
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "a PNG");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

test(
  "a model call's pane shows the system prompt an extension added as added, and every change",
  { skip, timeout: 60_000 },
  async () => {
    const page = await openCall("t-diff");
    const shown = await page.evaluate(() => {
      const pane = document.querySelector("#detail .mcall")!;
      return {
        tab: pane.querySelector('.tab[aria-selected="true"]')?.textContent,
        chips: Array.from(pane.querySelectorAll(".dcounts .chip")).map((n) => n.textContent),
        rows: Array.from(pane.querySelectorAll("li.d")).map((li) => [
          (li as HTMLElement).dataset.change,
          (li as HTMLElement).dataset.role,
          li.querySelector(".sign")?.textContent,
        ]),
        system: pane.querySelector('li.d[data-role="system"] .txt')?.textContent,
        removed: pane.querySelector("li.d.removed .txt")?.textContent,
        added: pane.querySelector('li.d.added[data-role="user"] .txt')?.textContent,
        del: pane.querySelector("li.d.changed del")?.textContent ?? null,
        ins: pane.querySelector("li.d.changed ins")?.textContent,
        tools: Array.from(pane.querySelectorAll(".tools .tool")).map((n) => [
          n.textContent,
          n.className,
        ]),
      };
    });
    assert.deepEqual(shown, {
      tab: "Difference",
      chips: ["system prompt added", "1 added", "2 removed", "1 changed", "2 same"],
      rows: [
        ["added", "system", "+"],
        ["removed", "user", "−"],
        ["removed", "assistant", "−"],
        ["same", "user", ""],
        ["same", "assistant", ""],
        ["added", "user", "+"],
        ["changed", "user", "~"],
      ],
      system: ADDED_SYSTEM,
      removed: REMOVED_GREETING,
      added: ADDED_CONTEXT,
      del: null,
      ins: " (Today is Saturday 6 December; rain is expected.)",
      tools: [["get_weather", "tool same"], ["+search_places", "tool added"]],
    });
    const changed = await page.$eval("li.d.changed .txt.was", (n: Element) => n.textContent);
    assert.equal(changed, "before" + QUESTION);
    // The bodies themselves, one tab each; the tab chosen stays chosen.
    await showTab(page, "before");
    const beforeText = await page.$eval("#detail .mcall pre.body", (n: Element) => n.textContent);
    assert.ok(beforeText.includes(REMOVED_GREETING) && !beforeText.includes(ADDED_SYSTEM));
    assert.match(
      await page.$eval("#detail .mcall .caption", (n: Element) => n.textContent),
      /^prompt:before: the prompt as the turn built it, on plan, /,
    );
    await showTab(page, "after");
    const afterText = await page.$eval("#detail .mcall pre.body", (n: Element) => n.textContent);
    assert.ok(afterText.includes(ADDED_SYSTEM) && afterText.includes('"search_places"'));
    await showTab(page, "response");
    assert.match(
      await page.$eval("#detail .mcall pre.body", (n: Element) => n.textContent),
      /"content": "Hello!"/,
    );
    // Arrow keys move between the tabs.
    await page.keyboard.press("ArrowLeft");
    await page.waitForSelector('#detail .mcall[data-tab="after"]');
    assert.deepEqual(page.errors, []);
    await page.close();
  },
);

test(
  "a long body is shown cut with its size, and 'Show all' fetches the rest",
  { skip, timeout: 60_000 },
  async () => {
    const page = await openCall("t-long");
    const message = await page.evaluate(() => {
      const li = Array.from(document.querySelectorAll("#detail li.d.added"))
        .find((n) => n.querySelector(".cutnote"));
      return li?.querySelector(".cutnote")?.textContent;
    });
    assert.match(
      message,
      new RegExp(`^Showing the first 2,000 of ${LONG.length.toLocaleString("en")} characters`),
    );
    await showTab(page, "after");
    const note = await page.$eval("#detail .mcall .cutnote", (n: Element) => n.textContent);
    assert.match(
      note,
      /^Showing the first 20,000 of [\d,]+ characters \([\d,]+ lines\)\. Show all$/,
    );
    await page.click("#detail .mcall .showall");
    await page.waitForFunction(() => !document.querySelector("#detail .mcall .cutnote"));
    const text = await page.$eval("#detail .mcall pre.body", (n: Element) => n.textContent);
    assert.ok(text.includes(LONG), "the whole body, the long message in it");
    assert.deepEqual(page.errors, []);
    await page.close();
  },
);

test(
  "the screenshot in docs/capture.md: the difference of a model call, light and dark",
  { skip, timeout: 60_000 },
  async () => {
    for (const scheme of ["light", "dark"]) {
      const page = await openCall("t-diff", scheme, { width: 1280, height: 800 });
      await page.setViewport({ width: 1280, height: 800, deviceScaleFactor: 2 });
      await page.waitForSelector('#detail .mcall[data-tab="diff"]');
      const name = scheme === "light" ? "capture-diff.png" : "capture-diff-dark.png";
      const path = UPDATE_SCREENSHOTS
        ? new URL(`../docs/${name}`, import.meta.url).pathname
        : join(dir, name);
      await page.screenshot({ path });
      const bytes = readFileSync(path);
      assert.deepEqual(pngSize(bytes), { width: 2560, height: 1600 });
      assert.ok(bytes.length > 20_000, `${bytes.length} bytes: not a blank page`);
      assert.deepEqual(page.errors, []);
      await page.close();
    }
  },
);
