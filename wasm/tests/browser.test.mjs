// End-to-end test of the web form in a real headless Chromium (Debian's `chromium`,
// driven by playwright-core; see shared/TOOLCHAIN.md). It answers the demo battery by
// keyboard on a phone-sized screen, switches language half-way, reloads to resume,
// checks the result against the WASM engine under Node, downloads the response record,
// and checks that stale or corrupted saved state is discarded with a message — while
// recording every request the page makes: none may leave the page's own origin.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import { serve } from "../serve.mjs";

const require = createRequire(import.meta.url);
const root = new URL("../../", import.meta.url);
const executablePath = process.env.BAGDAR_CHROMIUM ?? "/usr/bin/chromium";

let server;
let browser;
let origin;

before(async () => {
  server = await serve(0);
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath,
    headless: true,
    // Flags per the machine notes: without the background-networking ones Chromium
    // tries to reach its own services, which this closed network refuses.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function openForm(context, requests, errors) {
  const page = await context.newPage();
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(`${origin}/wasm/www/`);
  return page;
}

/// Answers the current item by keyboard: option key (1-based) then Enter.
async function answerByKeyboard(page, key) {
  const item = await page.getAttribute("fieldset[data-item]", "data-item");
  await page.keyboard.press(String(key));
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    (previous) => document.querySelector("fieldset[data-item]")?.dataset.item !== previous,
    item,
  );
  return item;
}

test("the web form runs the battery offline, in three languages, and resumes", async () => {
  const definition = JSON.parse(
    await readFile(new URL("data/instruments/kasip-demo.json", root), "utf8"),
  );
  const texts = JSON.parse(await readFile(new URL("wasm/www/i18n.json", root), "utf8"));
  const requests = [];
  const errors = [];
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    acceptDownloads: true,
    locale: "ru-RU",
  });
  let page = await openForm(context, requests, errors);
  await page.waitForSelector("#start");
  // The browser's language (ru) is picked up; the title comes from the instrument.
  assert.equal(await page.textContent("h1"), definition.title.ru);
  await page.click("button.lang[data-lang=kk]");
  assert.equal(await page.getAttribute("html", "lang"), "kk");
  assert.equal(await page.textContent("h1"), definition.title.kk);
  await page.click("#start");

  const answers = new Map();
  const keyFor = (id, index) => {
    const item = definition.items.find((i) => i.id === id);
    const options = item.options ?? definition.option_sets[item.option_set];
    const k = (index * 7) % options.length;
    return { key: k + 1, value: options[k].value };
  };
  for (let i = 0; i < 10; i++) {
    const id = await page.getAttribute("fieldset[data-item]", "data-item");
    const { key, value } = keyFor(id, i);
    await answerByKeyboard(page, key);
    answers.set(id, value);
  }
  // Switch to English mid-way: same item, English texts, progress kept.
  const current = await page.getAttribute("fieldset[data-item]", "data-item");
  await page.click("button.lang[data-lang=en]");
  assert.equal(await page.getAttribute("fieldset[data-item]", "data-item"), current);
  const item = definition.items.find((i) => i.id === current);
  assert.equal(await page.textContent("#stem"), item.stem.en);
  assert.match(await page.textContent("label[for=progress]"), /^Question 11 of at most 70$/);

  // Reload: the session resumes at the same item, in English, with a notice.
  await page.reload();
  await page.waitForSelector("fieldset[data-item]");
  assert.equal(await page.getAttribute("fieldset[data-item]", "data-item"), current);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.textContent("#notice"), texts.en.resumed);

  // Adaptive: no skipping (the next question depends on the answer).
  assert.equal(await page.$("#skip"), null);
  for (let i = 10; ; i++) {
    const id = await page.getAttribute("fieldset[data-item]", "data-item").catch(() => null);
    if (id === null || (await page.$("#result-heading"))) break;
    const { key, value } = keyFor(id, i);
    await page.keyboard.press(String(key));
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      (previous) =>
        document.querySelector("#result-heading") ||
        document.querySelector("fieldset[data-item]")?.dataset.item !== previous,
      id,
    );
    answers.set(id, value);
  }
  await page.waitForSelector("#result-heading");
  assert.ok(answers.size < definition.items.length, `adaptive: ${answers.size} items asked`);

  // The result equals the engine's own decision for the same answers.
  const wasm = require("../pkg/node/bagdar_wasm.js");
  const instrument = new wasm.Instrument(JSON.stringify(definition));
  const raw = new Float64Array(definition.items.map((i) => answers.get(i.id) ?? NaN));
  const settings = JSON.stringify({ quality: { max_missing_fraction: 1.0 } });
  const expected = instrument.decide(raw, 1, settings).students[0];
  const teacher = expected.profiles.find((p) => p.profile === "teacher");
  assert.equal(await page.getAttribute("#teacher-tier", "data-tier"), teacher.tier);
  assert.equal(Number(await page.getAttribute("#teacher-tier", "data-p")), teacher.p_above_cut);
  const bars = await page.$$eval("#profile-chart rect[data-profile]", (rects) =>
    rects.map((r) => [r.dataset.profile, r.dataset.tier]),
  );
  assert.deepEqual(
    bars,
    expected.ranking.map((id) => [id, expected.profiles.find((p) => p.profile === id).tier]),
  );

  // The downloaded record is what the school re-scores.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const record = JSON.parse(await readFile(await download.path(), "utf8"));
  assert.equal(record.format, "bagdar-response-record");
  assert.equal(record.instrument.checksum, instrument.checksum);
  assert.equal(record.mode, "adaptive");
  assert.equal(record.responses.length, answers.size);
  for (const r of record.responses) assert.equal(r.value, answers.get(r.item));
  // The engine's own session state travels with the record and resumes exactly.
  const session = wasm.CatSession.fromJson(JSON.stringify(record.cat_session), instrument);
  assert.equal(session.stopped, true);
  assert.deepEqual(
    session.responses().map((r) => [r.item, r.value]),
    record.responses.map((r) => [r.item, r.value]),
  );
  assert.ok(record.responses.some((r) => r.language === "kk"));
  assert.ok(record.responses.some((r) => r.language === "en"));

  // State from another instrument version is discarded, with a message.
  await page.click("#restart");
  await page.click("#start");
  await answerByKeyboard(page, 1);
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem("bagdar.form.v1"));
    s.checksum = "0".repeat(64);
    localStorage.setItem("bagdar.form.v1", JSON.stringify(s));
  });
  await page.reload();
  await page.waitForSelector("#start");
  // (With no session left, the browser's language, Russian, applies again.)
  assert.equal(await page.textContent("#notice"), texts.ru.discarded);
  // Corrupted (truncated) state too.
  await page.evaluate(() => localStorage.setItem("bagdar.form.v1", '{"format":"bagdar-fo'));
  await page.reload();
  await page.waitForSelector("#start");
  assert.equal(await page.textContent("#notice"), texts.ru.corrupted);

  await context.close();
  assert.deepEqual(errors, []);
  assert.ok(requests.length >= 4);
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith("blob:"));
  assert.deepEqual(foreign, [], "no request may leave the page's origin");
});
