/// <reference lib="dom" />
// Cost, conversations, filters and /stats in a real browser (Debian's Chromium through
// puppeteer-core), over a journal and over its store, on the fixture with known tokens,
// prices, durations and one failing tool (tests/fixtures/viewer_insight.ts). Without Chromium
// it fails unless VIEWER_BROWSER_MAY_SKIP=1. `UPDATE_SCREENSHOTS=1` writes docs/viewer-*.png.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePrices } from "../src/collector/prices.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import {
  browserSkip,
  launchChromium,
  openViewerPage,
  requireChromium,
  screenshotPath,
} from "./fixtures/chromium.ts";
import {
  INSIGHT_CONVERSATION,
  INSIGHT_PRICES,
  writeInsightFixture,
} from "./fixtures/viewer_insight.ts";

const skip = browserSkip;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

// deno-lint-ignore no-explicit-any
type Page = any;
// deno-lint-ignore no-explicit-any
let browser: any;
let dir: string;
let journal: string;
let db: string;

before(async () => {
  if (skip) return;
  requireChromium();
  dir = mkdtempSync(join(tmpdir(), "viewer-insight-browser-"));
  ({ journal, db } = await writeInsightFixture(dir, T0));
  browser = await launchChromium(join(dir, "chromium-profile"));
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function open(viewer: ViewerServer, path: string, ready: string): Promise<Page> {
  return openViewerPage(browser, viewer.url + path, ready);
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: screenshotPath(name, dir) });
}

for (const from of ["journal", "store"] as const) {
  describe(`over a ${from}`, { skip }, () => {
    let viewer: ViewerServer;
    before(async () => {
      if (skip) return;
      const prices = parsePrices(INSIGHT_PRICES);
      viewer = await serve(
        from === "journal" ? { journal, port: 0, pollMs: 20, prices } : { db, port: 0, prices },
      );
      // The journal source indexes as it follows: wait for the last turn to close.
      for (let i = 0; i < 100; i++) {
        const got = await (await fetch(`${viewer.url}/api/turns`)).json();
        if (
          got.turns.length === 3 && got.turns.every((t: { status: string }) => t.status !== "open")
        ) break;
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    });
    after(() => viewer?.close());

    test(
      "the list shows each turn's cost and the conversation's totals",
      { timeout: 60_000 },
      async () => {
        const page = await open(viewer, "/", "list");
        const rows = await page.$$eval(
          "a.turn",
          (nodes: HTMLElement[]) =>
            nodes.map((n) => [n.dataset.turn, n.querySelector(".cost")!.textContent]),
        );
        assert.deepEqual(rows, [["t-3", "$0.5000"], ["t-2", "$0.0042"], ["t-1", "$0.0030"]]);
        const totals = await page.$eval(
          ".group .group-facts .totals",
          (n: HTMLElement) => n.textContent,
        );
        assert.equal(totals, "3 turns · 1 failed · 6,000 / 600 tokens · $0.5072");
        assert.deepEqual(page.errors, []);
        await page.close();
      },
    );

    test(
      "filters from the address narrow the list and stay in their fields",
      { timeout: 60_000 },
      async () => {
        const page = await open(viewer, "/?model=gpt-test&minMs=1500", "list");
        const rows = await page.$$eval(
          "a.turn",
          (nodes: HTMLElement[]) => nodes.map((n) => n.dataset.turn),
        );
        assert.deepEqual(rows, ["t-2"]);
        const fields = await page.$$eval(
          "form.filters input",
          (nodes: HTMLInputElement[]) => Object.fromEntries(nodes.map((n) => [n.name, n.value])),
        );
        assert.equal(fields.model, "gpt-test");
        assert.equal(fields.minMs, "1500");
        assert.deepEqual(page.errors, []);
        await page.close();
      },
    );

    test(
      "the conversation view shows the turns in order, chat-style, each linking into its waterfall",
      { timeout: 60_000 },
      async () => {
        const page = await open(viewer, `/?conversation=${INSIGHT_CONVERSATION}`, "conversation");
        const turns = await page.$$eval(
          "article.chat-turn",
          (nodes: HTMLElement[]) =>
            nodes.map((n) => ({
              turn: n.dataset.turn,
              link: n.querySelector("header a.id")!.getAttribute("href"),
              user: n.querySelector(".bubble.user .said")!.textContent,
              tools: [...n.querySelectorAll(".tools li")].map((li) => li.textContent),
              answer: n.querySelector(".bubble.assistant .said")!.textContent,
              facts: n.querySelector(".facts")!.textContent,
            })),
        );
        assert.deepEqual(turns, [
          {
            turn: "t-1",
            link: "?turn=t-1",
            user: "Question 1: weather in Oslo?",
            tools: ["ok weather · 50 ms"],
            answer: "Answer 1: rain.",
            facts: "1.00 s · 1,000 / 100 tokens · $0.0030",
          },
          {
            turn: "t-2",
            link: "?turn=t-2",
            user: "Question 2: weather in Oslo?",
            tools: ["ok weather · 100 ms"],
            answer: "Answer 2: rain.",
            facts: "2.00 s · 2,000 / 200 tokens · $0.0042",
          },
          {
            turn: "t-3",
            link: "?turn=t-3",
            user: "Question 3: weather in Oslo?",
            tools: ["error weather · 150 ms"],
            answer: "Answer 3: rain.",
            facts: "3.00 s · 3,000 / 300 tokens · $0.5000 · 1 error",
          },
        ]);
        assert.equal(
          await page.$eval(".chat-totals", (n: HTMLElement) => n.textContent),
          "3 turns · 1 failed · 6,000 / 600 tokens · $0.5072",
        );
        if (from === "store") await shoot(page, "viewer-conversation.png");
        await page.click('article.chat-turn[data-turn="t-2"] header a.id');
        await page.waitForSelector('body[data-ready="turn"]', { timeout: 10_000 });
        assert.match(page.url(), /\?turn=t-2/);
        assert.deepEqual(page.errors, []);
        await page.close();
      },
    );
  });
}
