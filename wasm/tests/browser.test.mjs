// End-to-end test of the web form in a real headless Chromium (Debian's `chromium`,
// driven by playwright-core; see shared/TOOLCHAIN.md). On a phone-sized screen it
// completes the adaptive battery once in each language by keyboard, switching language
// and reloading mid-way, and checks each result against the native engine (the `bagdar`
// binary re-scoring the downloaded record) and the WASM engine under Node. It also
// checks that stale or corrupted saved state is discarded with a message, that the page
// logs no console error, and that no request leaves the page's own origin. Screenshots
// of a question and a result page go to wasm/tests/artifacts/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "../serve.mjs";

const require = createRequire(import.meta.url);
const root = new URL("../../", import.meta.url);
const rootPath = fileURLToPath(root);
const executablePath = process.env.BAGDAR_CHROMIUM ?? "/usr/bin/chromium";
const artifacts = fileURLToPath(new URL("artifacts/", import.meta.url));
const definition = JSON.parse(
  await readFile(new URL("data/instruments/kasip-demo.json", root), "utf8"),
);
const texts = JSON.parse(await readFile(new URL("wasm/www/i18n.json", root), "utf8"));
const wasm = require("../pkg/node/bagdar_wasm.js");
const instrument = new wasm.Instrument(JSON.stringify(definition));

/// The native CLI: BAGDAR_BIN, or the newer of the workspace's release and debug builds.
function nativeBinary() {
  if (process.env.BAGDAR_BIN) return process.env.BAGDAR_BIN;
  const candidates = ["target/release/bagdar", "target/debug/bagdar"]
    .map((p) => join(rootPath, p))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  assert.ok(candidates.length > 0, "no bagdar binary: cargo build -p bagdar-cli");
  return candidates[0];
}

let server;
let browser;
let origin;
const requests = [];
const errors = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
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
  assert.deepEqual(errors, [], "console errors");
  assert.ok(requests.length >= 4);
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith("blob:"));
  assert.deepEqual(foreign, [], "no request may leave the page's origin");
});

async function newPage(locale) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    acceptDownloads: true,
    locale,
  });
  const page = await context.newPage();
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(`${origin}/wasm/www/`);
  return { context, page };
}

const currentItem = (page) => page.getAttribute("fieldset[data-item]", "data-item");

/// Scripted answer for the n-th question: an option chosen by a fixed rule.
function scripted(id, n) {
  const item = definition.items.find((i) => i.id === id);
  const options = item.options ?? definition.option_sets[item.option_set];
  const k = (n * 7 + id.length) % options.length;
  return { key: k + 1, value: options[k].value };
}

/// Answers the current question by keyboard (option key, then Enter).
async function answer(page, n, answers) {
  const id = await currentItem(page);
  const { key, value } = scripted(id, n);
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

/// P(composite > cut) per profile from the native CLI re-scoring the record.
function nativeResult(recordPath, name) {
  const bin = nativeBinary();
  const dir = join(tmpdir(), `bagdar-browser-${process.pid}-${name}`);
  mkdirSync(dir, { recursive: true });
  const table = join(dir, "responses.csv");
  const scores = join(dir, "scores.csv");
  const demo = join(rootPath, "data/instruments/kasip-demo.json");
  execFileSync(bin, ["records", recordPath, "--instrument", demo, "--output", table, "--quiet"]);
  execFileSync(bin, ["score", table, "--instrument", demo, "--output", scores, "--min-answered", "0", "--quiet"]);
  return readFile(scores, "utf8").then((text) => {
    const [header, row] = text.trim().split("\n").map((l) => l.split(","));
    return Object.fromEntries(header.map((h, i) => [h, row[i]]));
  });
}

for (const [lang, other, locale] of [
  ["kk", "ru", "kk-KZ"],
  ["ru", "en", "ru-RU"],
  ["en", "kk", "en-US"],
]) {
  test(`the battery in ${lang}: language switch, reload, result equals the native engine`, async () => {
    let { context, page } = await newPage(locale);
    await page.waitForSelector("#start");
    // The browser's language is picked up; the title comes from the instrument.
    assert.equal(await page.getAttribute("html", "lang"), lang);
    assert.equal(await page.textContent("h1"), definition.title[lang]);
    await page.click("#start");
    const answers = new Map();
    let n = 0;
    for (; n < 8; n++) await answer(page, n, answers);

    // Switch language mid-way: same question, texts in the other language, progress kept.
    const id = await currentItem(page);
    const item = definition.items.find((i) => i.id === id);
    await page.click(`button.lang[data-lang=${other}]`);
    assert.equal(await currentItem(page), id);
    assert.equal(await page.textContent("#stem"), item.stem[other]);
    await page.click(`button.lang[data-lang=${lang}]`);
    assert.equal(await page.textContent("#stem"), item.stem[lang]);
    assert.equal(
      await page.textContent("label[for=progress]"),
      texts[lang].progress_of.replace("{n}", "9").replace("{max}", "70"),
    );
    if (lang === "kk") await page.screenshot({ path: join(artifacts, "question-kk.png"), fullPage: true });

    // Reload: the session resumes at the same question, with a notice.
    await page.reload();
    await page.waitForSelector("fieldset[data-item]");
    assert.equal(await currentItem(page), id);
    assert.equal(await page.textContent("#notice"), texts[lang].resumed);
    // Adaptive: no skipping (the next question depends on the answer).
    assert.equal(await page.$("#skip"), null);
    while (!(await page.$("#result-heading"))) await answer(page, n++, answers);
    assert.ok(answers.size < definition.items.length, `adaptive: ${answers.size} questions`);
    await page.screenshot({ path: join(artifacts, `result-${lang}.png`), fullPage: true });

    // The downloaded record is what the school re-scores.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const recordPath = join(tmpdir(), `bagdar-record-${process.pid}-${lang}.json`);
    await writeFile(recordPath, await readFile(await download.path()));
    const record = JSON.parse(await readFile(recordPath, "utf8"));
    assert.equal(record.format, "bagdar-response-record");
    assert.equal(record.mode, "adaptive");
    assert.equal(record.instrument.checksum, instrument.checksum);
    assert.equal(record.responses.length, answers.size);
    for (const r of record.responses) assert.equal(r.value, answers.get(r.item));
    assert.ok(record.responses.some((r) => r.language === lang));

    // The page's result equals the WASM engine's under Node for the same answers...
    const raw = new Float64Array(definition.items.map((i) => answers.get(i.id) ?? NaN));
    const settings = JSON.stringify({ quality: { max_missing_fraction: 1.0 } });
    const expected = instrument.decide(raw, 1, settings).students[0];
    const teacher = expected.profiles.find((p) => p.profile === "teacher");
    const shownP = Number(await page.getAttribute("#teacher-tier", "data-p"));
    assert.equal(await page.getAttribute("#teacher-tier", "data-tier"), teacher.tier);
    assert.equal(shownP, teacher.p_above_cut);
    const bars = await page.$$eval("#profile-chart rect[data-profile]", (rects) =>
      rects.map((r) => [r.dataset.profile, r.dataset.tier]),
    );
    assert.deepEqual(
      bars,
      expected.ranking.map((p) => [p, expected.profiles.find((q) => q.profile === p).tier]),
    );
    // ...and the native engine's, re-scoring the downloaded record (6 decimals in CSV).
    const native = await nativeResult(recordPath, lang);
    assert.equal(native.teacher_tier, teacher.tier);
    assert.ok(Math.abs(Number(native.teacher_p_above_cut) - shownP) <= 5e-7, `${native.teacher_p_above_cut} vs ${shownP}`);
    await context.close();
  });
}

test("saved state from another instrument version, or corrupted, is discarded with a message", async () => {
  const { context, page } = await newPage("ru-RU");
  await page.click("#start");
  await answer(page, 0, new Map());
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem("bagdar.form.v1"));
    s.checksum = "0".repeat(64);
    localStorage.setItem("bagdar.form.v1", JSON.stringify(s));
  });
  await page.reload();
  await page.waitForSelector("#start");
  assert.equal(await page.textContent("#notice"), texts.ru.discarded);
  await page.evaluate(() => localStorage.setItem("bagdar.form.v1", '{"format":"bagdar-fo'));
  await page.reload();
  await page.waitForSelector("#start");
  assert.equal(await page.textContent("#notice"), texts.ru.corrupted);
  await context.close();
});
