/// <reference lib="dom" />
// One turn readable, in Chromium (puppeteer-core, as viewer_browser.test.ts), over a journal
// and over its store: a dead writer's hung span drawn to its last record with "no record
// since", a 4 MiB attribute shown cut with its size and a "Show all", an error shown once with
// its stack as lines, an evaluation on its span and in the header, zoom and pan of the axis.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJournalSink } from "../mod.ts";
import { collectJournal } from "../src/collector/collect.ts";
import { serve, type ViewerServer } from "../src/viewer/serve.ts";
import {
  browserSkip,
  launchChromium,
  requireChromium,
  UPDATE_SCREENSHOTS,
} from "./fixtures/chromium.ts";
import { BIG_CHARS, readableTurn } from "./fixtures/viewer_turn_journal.ts";

const skip = browserSkip;

// deno-lint-ignore no-explicit-any
type Page = any;
// deno-lint-ignore no-explicit-any
let browser: any;
let dir: string;
const viewers: Record<"journal" | "store", ViewerServer | undefined> = {
  journal: undefined,
  store: undefined,
};

before(async () => {
  if (skip) return;
  requireChromium();
  dir = mkdtempSync(join(tmpdir(), "viewer-turn-browser-"));
  const journal = join(dir, "agent.jsonl");
  const sink = createJournalSink({ path: journal, fsync: "none", maxRecordBytes: 8 << 20 });
  for (const record of readableTurn(Date.now())) sink.emit(record);
  sink.close();
  const db = join(dir, "traces.db");
  await collectJournal(journal, { db, once: true });
  viewers.journal = await serve({ journal, port: 0, pollMs: 100 });
  viewers.store = await serve({ db, port: 0 });
  browser = await launchChromium(join(dir, "chromium-profile"));
});

after(async () => {
  await browser?.close();
  await viewers.journal?.close();
  await viewers.store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(viewer: ViewerServer, path: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 760 });
  const errors: string[] = [];
  page.on("pageerror", (error: Error) => errors.push(error.message));
  page.errors = errors;
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${viewer.url}/api/turn?id=t-read`)).status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await page.goto(viewer.url + path);
  await page.waitForSelector('body[data-ready="turn"]', { timeout: 10_000 });
  return page;
}

/** A bar's left edge and width, % of the track. */
function bar(page: Page, spanId: string): Promise<{ left: number; width: number }> {
  return page.$eval(`.row[data-span="${spanId}"] .bar`, (node: HTMLElement) => ({
    left: parseFloat(node.style.left),
    width: parseFloat(node.style.width),
  }));
}

for (const source of ["journal", "store"] as const) {
  describe(`over a ${source}`, { skip }, () => {
    test("the dead writer's hung span ends at its last record, marked, and the axis stays 10 s", {
      timeout: 60_000,
    }, async () => {
      const page = await open(viewers[source]!, "/?turn=t-read");
      const hung = await page.$eval('.row[data-span="hung"]', (row: HTMLElement) => ({
        silent: row.classList.contains("silent"),
        label: row.querySelector(".dur")?.textContent ?? "",
      }));
      assert.equal(hung.silent, true);
      assert.match(hung.label, /^open ≥ 500 ms · no record since .+ \((1h 59m|2h 0m) ago\)$/);
      // The turn runs 10 s (the root's close): the model call's 2 s is a fifth of the axis.
      const chat = await bar(page, "chat");
      assert.ok(
        Math.abs(chat.width - 20) < 0.01 && Math.abs(chat.left - 1) < 0.01,
        JSON.stringify(chat),
      );
      const hungBar = await bar(page, "hung");
      assert.ok(Math.abs(hungBar.left - 40) < 0.01 && Math.abs(hungBar.width - 5) < 0.01);
      const ticks = await page.$$eval(".axis .tick", (n: Element[]) => n.map((t) => t.textContent));
      assert.deepEqual(ticks, ["0.00 ms", "2.50 s", "5.00 s", "7.50 s", "10.0 s"]);
      assert.deepEqual(page.errors, []);
      await page.close();
    });

    test("a 4 MiB attribute is shown cut with its size, and whole after Show all", {
      timeout: 60_000,
    }, async () => {
      const page = await open(viewers[source]!, "/?turn=t-read&span=big");
      const drawn = await page.evaluate(() => {
        const [start] = performance.getEntriesByName("viewer:turn-start");
        const [end] = performance.getEntriesByName("viewer:turn-drawn");
        return end.startTime - start.startTime;
      });
      const cell = () =>
        page.evaluate(() => {
          const dt = [...document.querySelectorAll("#detail dl.attributes dt")]
            .find((n) => n.textContent === "tool.result")!;
          const dd = dt.nextElementSibling as HTMLElement;
          return {
            chars: dd.querySelector(".val")!.textContent!.length,
            note: dd.querySelector(".cutnote")?.textContent ?? null,
          };
        });
      const cut = await cell();
      assert.equal(cut.chars, 10_000);
      assert.equal(
        cut.note,
        "Showing the first 10,000 of 4,194,304 characters (1 line). Show all",
      );
      const pageText = await page.evaluate(() => document.body.textContent!.length);
      assert.ok(pageText < 300_000, `${pageText} characters on the page`);
      const clicked = Date.now();
      await page.click("#detail dl.attributes .showall");
      await page.waitForFunction(() => !document.querySelector("#detail dl.attributes .cutnote"));
      const whole = Date.now() - clicked;
      assert.deepEqual(await cell(), { chars: BIG_CHARS, note: null });
      console.log(
        `${source}: turn with a 4 MiB attribute drawn in ${
          drawn.toFixed(0)
        } ms; Show all ${whole} ms`,
      );
      assert.deepEqual(page.errors, []);
      await page.close();
    });

    test("an error is shown once, its stack as lines", { timeout: 60_000 }, async () => {
      const page = await open(viewers[source]!, "/?turn=t-read&span=fail");
      const shown = await page.evaluate(() => ({
        message: document.querySelector("#detail .errbox .errmsg")?.textContent,
        stack: [...document.querySelectorAll("#detail .errbox .stack li")].map((n) =>
          n.textContent
        ),
        boxes: document.querySelectorAll("#detail .errbox").length,
        keys: [...document.querySelectorAll("#detail dl.attributes dt")].map((n) => n.textContent),
        times: document.querySelector("#detail")!.textContent!.split("weather API: 503").length - 1,
        escaped: document.querySelector("#detail")!.textContent!.includes("\\n"),
      }));
      assert.deepEqual(shown, {
        message: "Error: weather API: 503",
        stack: [
          "    at fetchWeather (tools/weather.ts:41:11)",
          "    at async runTool (agent/tools.ts:88:5)",
        ],
        boxes: 1,
        keys: [],
        times: 1,
        escaped: false,
      });
      await page.close();
    });

    test(
      "an evaluation shows on its span and in the turn header",
      { timeout: 60_000 },
      async () => {
        const page = await open(viewers[source]!, "/?turn=t-read&span=chat");
        const shown = await page.evaluate(() => ({
          span: [...document.querySelectorAll("#detail .evals li")].map((n) => n.textContent),
          header: document.querySelector(".turnbar")?.textContent ?? "",
        }));
        assert.deepEqual(shown.span, ["relevance 0.9 (relevant)Answers the question asked."]);
        assert.match(shown.header, /evaluations relevance 0\.9 \(relevant\)/);
        // The model call's cost (its gen_ai.usage.cost) in the pane, the turn's in the header.
        const facts = await page.$$eval(
          "#detail dl.kv:not(.attributes) dt, #detail dl.kv:not(.attributes) dd",
          (nodes: Element[]) => nodes.map((n) => n.textContent),
        );
        assert.equal(facts[facts.indexOf("Cost") + 1], "$0.0123");
        assert.equal(facts[facts.indexOf("Tokens in / out") + 1], "1,000 / 200");
        assert.match(shown.header, /cost \$0\.0123/);
        await page.close();
      },
    );

    test("the list says the open turn went silent two hours ago", { timeout: 60_000 }, async () => {
      const page = await browser.newPage();
      await page.goto(viewers[source]!.url + "/");
      await page.waitForSelector('body[data-ready="list"]');
      const text = await page.$eval(
        'a.turn[data-turn="t-read"] .silence',
        (n: Element) => n.textContent,
      );
      // Two hours less the turn's 10 s, give or take the test's own seconds.
      assert.match(text, /^ · open, silent for (1h 59m|2h 0m)$/);
      await page.close();
    });
  });
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

test(
  "a drag zooms the axis, the labels follow, arrows pan, 0 shows the whole turn; the screenshot",
  {
    skip,
    timeout: 60_000,
  },
  async () => {
    const page = await open(viewers.journal!, "/?turn=t-read&span=fail");
    const ticks = () => page.$$eval(".axis .tick", (n: Element[]) => n.map((t) => t.textContent));
    const geometry = await page.evaluate(() => {
      const fall = document.querySelector(".waterfall")!.getBoundingClientRect();
      const label = document.querySelector(".row .label")!.getBoundingClientRect();
      return { left: fall.left, top: fall.top, labels: label.width, width: fall.width };
    });
    // The track runs from the labels to 84 px short of the right edge; 0–10 s along it.
    const track = geometry.width - geometry.labels - 84;
    const x = (ms: number) => geometry.left + geometry.labels + (track * ms) / 10_000;
    const y = geometry.top + 60;
    await page.mouse.move(x(2000), y);
    await page.mouse.down();
    await page.mouse.move(x(3000), y, { steps: 4 });
    await page.mouse.move(x(4000), y, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelector(".waterfall.zoomed"));
    const zoomed = await ticks();
    assert.equal(zoomed.length, 5);
    const seconds = zoomed.map((t: string) => parseFloat(t!));
    assert.ok(Math.abs(seconds[0] - 2) < 0.05 && Math.abs(seconds[4] - 4) < 0.05, zoomed.join());
    // The failed tool (3.3–3.8 s) now spans a quarter of the axis.
    const fail = await bar(page, "fail");
    assert.ok(Math.abs(fail.width - 25) < 1.5, JSON.stringify(fail));
    // The hung tool starts at 4 s, where the window ends: at its right edge.
    assert.ok((await bar(page, "hung")).left > 97);
    const path = UPDATE_SCREENSHOTS
      ? new URL("../docs/viewer-zoom.png", import.meta.url).pathname
      : join(dir, "viewer-zoom.png");
    await page.screenshot({ path });
    assert.deepEqual(pngSize(readFileSync(path)), { width: 1280, height: 760 });
    await page.focus(".rows");
    await page.keyboard.press("ArrowRight");
    const panned = (await ticks()).map((t: string) => parseFloat(t!));
    assert.ok(Math.abs(panned[0] - 2.5) < 0.05 && Math.abs(panned[4] - 4.5) < 0.05, panned.join());
    await page.keyboard.press("0");
    assert.deepEqual(await ticks(), ["0.00 ms", "2.50 s", "5.00 s", "7.50 s", "10.0 s"]);
    assert.equal(await page.$(".waterfall.zoomed"), null);
    assert.deepEqual(page.errors, []);
    await page.close();
  },
);
