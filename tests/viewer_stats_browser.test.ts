/// <reference lib="dom" />
// /stats in a real browser (Debian's Chromium through puppeteer-core), over a journal and over
// its store, on the fixture with known tokens, prices, durations and one failing tool
// (tests/fixtures/viewer_insight.ts): the rows' exact figures, sorting by a header, the chart,
// the slowest and costliest turns, the link from the list. Without Chromium it fails unless
// VIEWER_BROWSER_MAY_SKIP=1. `UPDATE_SCREENSHOTS=1` writes docs/viewer-stats.png.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePrices } from "../src/collector/prices.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import { HISTOGRAM_ERROR } from "../src/viewer/duration_histogram.ts";
import {
  browserSkip,
  launchChromium,
  openViewerPage,
  requireChromium,
  screenshotPath,
} from "./fixtures/chromium.ts";
import { INSIGHT_PRICES, writeInsightFixture } from "./fixtures/viewer_insight.ts";

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
  dir = mkdtempSync(join(tmpdir(), "viewer-stats-browser-"));
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
  describe(`/stats over a ${from}`, { skip }, () => {
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

    /** Each table's rows as their cells' text. */
    const tables = (page: Page) =>
      page.$$eval(
        "section.stats-table",
        (nodes: HTMLElement[]) =>
          Object.fromEntries(nodes.map((n) => [
            n.dataset.kind,
            [...n.querySelectorAll("tbody tr")].map((tr) =>
              [...tr.querySelectorAll("td")].map((td) => td.textContent)
            ),
          ])),
      );

    test(
      "each name, model and tool shows its calls, errors, rate, percentiles, tokens and cost",
      { timeout: 60_000 },
      async () => {
        const page = await open(viewer, "/", "list");
        await page.click("a.stats-link");
        await page.waitForSelector('body[data-ready="stats"]', { timeout: 10_000 });
        assert.match(page.url(), /\/stats$/);
        const got = await tables(page);
        // Percentiles from a journal come from its histogram: within its stated bound of the
        // exact value (and the page's rounding: whole ms, or 10 ms above a second).
        const bound = from === "journal" ? HISTOGRAM_ERROR : 0;
        const ms = (text: string) =>
          text.endsWith(" s") ? parseFloat(text) * 1000 : parseFloat(text);
        const check = (kind: string, expected: (string | number)[][]) => {
          const rows = got[kind] as string[][];
          assert.equal(rows.length, expected.length, kind);
          rows.forEach((cells, i) => {
            const want = expected[i];
            for (let c = 0; c < want.length; c++) {
              if (typeof want[c] === "number") {
                const value = want[c] as number;
                const slack = value * bound + (value >= 1000 ? 5 : 0.5);
                assert.ok(
                  Math.abs(ms(cells[c]) - value) <= slack,
                  `${kind} ${cells[0]} ${cells[c]}`,
                );
              } else assert.equal(cells[c], want[c], `${kind} ${cells[0]} column ${c}`);
            }
          });
        };
        check("name", [
          ["execute_tool weather", "3", "1", "33.3 %", 100, 150, 150, "0", "0", "–"],
          ["turn", "3", "0", "0 %", 2000, 3000, 3000, "0", "0", "–"],
          ["chat gpt-test", "2", "0", "0 %", 200, 400, 400, "3,000", "300", "$0.0072"],
          ["chat claude-test", "1", "0", "0 %", 600, 600, 600, "3,000", "300", "$0.5000"],
        ]);
        check("model", [
          ["gpt-test", "2", "0", "0 %", 200, 400, 400, "3,000", "300", "$0.0072"],
          ["claude-test", "1", "0", "0 %", 600, 600, 600, "3,000", "300", "$0.5000"],
        ]);
        check("tool", [["weather", "3", "1", "33.3 %", 100, 150, 150, "0", "0", "–"]]);
        const bars = await page.$$eval(
          ".stats-chart svg g",
          (nodes: SVGElement[]) =>
            nodes.map((
              g,
            ) => [
              g.querySelectorAll("rect.calls").length,
              g.querySelectorAll("rect.errors").length,
            ]),
        );
        assert.equal(bars.length, 21, "a bar a second from the first start to the last");
        assert.equal(bars.filter(([calls]: number[]) => calls > 0).length, 3);
        assert.deepEqual(bars[20], [1, 1], "the failed tool's second has an error bar");
        const top = await page.$$eval(
          ".stats-top",
          (nodes: HTMLElement[]) =>
            Object.fromEntries(nodes.map((n) => [
              n.dataset.kind,
              [...n.querySelectorAll("li")].map((
                li,
              ) => [li.querySelector("a")!.getAttribute("href"), li.textContent]),
            ])),
        );
        assert.deepEqual(top, {
          slowest: [
            ["/?turn=t-3", "t-3 3.00 s · $0.5000"],
            ["/?turn=t-2", "t-2 2.00 s · $0.0042"],
            ["/?turn=t-1", "t-1 1.00 s · $0.0030"],
          ],
          costliest: [
            ["/?turn=t-3", "t-3 3.00 s · $0.5000"],
            ["/?turn=t-2", "t-2 2.00 s · $0.0042"],
            ["/?turn=t-1", "t-1 1.00 s · $0.0030"],
          ],
        });
        assert.match(
          await page.$eval(".stats-summary", (n: HTMLElement) => n.textContent),
          from === "store" ? /^9 finished spans\. Percentiles exact\.$/ : /within ±2\.2 %/,
        );
        if (from === "store") await shoot(page, "viewer-stats.png");
        await page.click('.stats-top[data-kind="costliest"] li a');
        await page.waitForSelector('body[data-ready="turn"]', { timeout: 10_000 });
        assert.match(page.url(), /\?turn=t-3/);
        assert.deepEqual(page.errors, []);
        await page.close();
      },
    );

    test(
      "a header click sorts every table by its column, again the other way, kept in the address",
      {
        timeout: 60_000,
      },
      async () => {
        const page = await open(viewer, "/stats", "stats");
        const names = async () =>
          ((await tables(page)).name as string[][]).map((cells) => cells[0]);
        await page.click('section[data-kind="name"] button[data-sort="p95"]');
        assert.deepEqual(await names(), [
          "turn",
          "chat claude-test",
          "chat gpt-test",
          "execute_tool weather",
        ]);
        assert.match(page.url(), /\/stats\?sort=p95$/);
        assert.equal(
          await page.$eval(
            'section[data-kind="name"] th[aria-sort="descending"]',
            (n: HTMLElement) => n.textContent,
          ),
          "p95 ▼",
        );
        await page.click('section[data-kind="name"] button[data-sort="p95"]');
        assert.deepEqual(await names(), [
          "execute_tool weather",
          "chat gpt-test",
          "chat claude-test",
          "turn",
        ]);
        await page.click('section[data-kind="model"] button[data-sort="cost"]');
        assert.deepEqual(await names(), [
          "chat claude-test",
          "chat gpt-test",
          "execute_tool weather",
          "turn",
        ]);
        assert.match(page.url(), /sort=cost/);
        // The sort and a range come back from the address.
        const again = await open(
          viewer,
          `/stats?sort=key&dir=asc&from=${T0 + 10_000}&to=${T0 + 20_000}`,
          "stats",
        );
        assert.deepEqual(
          ((await tables(again)).name as string[][]).map((cells) => [cells[0], cells[1]]),
          [["chat gpt-test", "1"], ["execute_tool weather", "1"], ["turn", "1"]],
        );
        assert.deepEqual(page.errors, []);
        assert.deepEqual(again.errors, []);
        await page.close();
        await again.close();
      },
    );
  });
}
