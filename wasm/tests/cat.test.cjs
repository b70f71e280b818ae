// Adaptive sessions through the WASM build under Node: the golden session of
// tests/golden/cat resumes with every logged selection replayed, reproduces the
// native estimates to 1e-12 and writes the same text back; sessions run, save and
// resume; bad input is a JS Error with the core's code.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const bagdar = require("../pkg/node/bagdar_wasm.js");

const root = path.resolve(__dirname, "..", "..");
const demoJson = fs.readFileSync(path.join(root, "data/instruments/kasip-demo.json"), "utf8");
const demo = new bagdar.Instrument(demoJson);
const definition = JSON.parse(demoJson);
const demoSettings = fs.readFileSync(path.join(root, "data/cat/kasip-demo-cat.json"), "utf8");
const goldenText = fs.readFileSync(path.join(root, "tests/golden/cat/demo-session.json"), "utf8");

function close(actual, expected, tolerance, what) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`,
  );
}

test("the golden session resumes, matches native estimates to 1e-12 and round-trips", () => {
  const golden = JSON.parse(goldenText);
  const session = bagdar.CatSession.fromJson(goldenText, demo);
  assert.equal(session.stopped, true);
  assert.equal(session.stopReason, golden.stop);
  const estimates = session.estimates();
  assert.equal(estimates.length, golden.estimates.length);
  for (const [i, e] of estimates.entries()) {
    const g = golden.estimates[i];
    assert.equal(e.scale, g.scale);
    assert.equal(e.items, g.items);
    close(e.estimate.theta, g.estimate.theta, 1e-12, `${e.scale} theta`);
    close(e.estimate.se, g.estimate.se, 1e-12, `${e.scale} se`);
  }
  // The same state back: everything but the recomputed estimates is identical; those
  // agree to 1e-12 (exp and ln of the WASM build may differ from native in the last bit).
  const back = JSON.parse(session.toJson());
  const strip = (s) => ({ ...s, estimates: null });
  assert.deepEqual(strip(back), strip(golden));
  for (const [i, e] of back.estimates.entries()) {
    close(e.estimate.theta, golden.estimates[i].estimate.theta, 1e-12, `${e.scale} saved theta`);
  }
});

/// Answers like a student with θ above every cut: the highest option, or the key.
function answerFor(next) {
  const item = definition.items.find((i) => i.id === next.item);
  if (item.key !== undefined) return item.key;
  return item.reverse_keyed ? next.options[0].value : next.options.at(-1).value;
}

test("a session runs to its stop, saves and resumes to the same state at every step", () => {
  let session = bagdar.CatSession.start(demo, demoSettings, "ru", 42n);
  const asked = new Set();
  for (let step = 0; step < 200; step++) {
    const next = session.next(demo);
    if (next === null) break;
    assert.ok(!asked.has(next.item), `item ${next.item} asked twice`);
    asked.add(next.item);
    const item = definition.items.find((i) => i.id === next.item);
    assert.equal(next.stem, item.stem.ru);
    // Save and resume mid-way: the same pending item, the same state.
    const saved = session.toJson();
    session.free();
    session = bagdar.CatSession.fromJson(saved, demo);
    assert.equal(session.next(demo).item, next.item);
    session.answer(demo, next.item, answerFor(next), `2026-11-23T10:00:${String(step % 60).padStart(2, "0")}Z`);
  }
  assert.equal(session.stopped, true);
  assert.ok(asked.size < definition.items.length, "adaptive: fewer items than the full form");
  const max = JSON.parse(demoSettings).max_total;
  assert.ok(asked.size <= max);
  const estimates = session.estimates();
  const social = estimates.find((e) => e.scale === "social");
  assert.ok(social.estimate.theta > 0.5, `high answers give a high θ (${social.estimate.theta})`);
  assert.equal(session.responses().length, asked.size);
});

test("bad input is a JS Error with the core's code", () => {
  const session = bagdar.CatSession.start(demo, demoSettings, "kk", 1n);
  const next = session.next(demo);
  const other = definition.items.find((i) => i.id !== next.item).id;
  const code = (f) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof Error);
      return `${e.name}/${e.code}`;
    }
    return "no error";
  };
  assert.equal(code(() => session.answer(demo, other, 1)), "ResponseDataError/cat_item_not_pending");
  assert.equal(code(() => session.answer(demo, next.item, 99)), "ResponseDataError/cat_invalid_answer");
  assert.equal(code(() => session.answer(demo, next.item, 2.5)), "ResponseDataError/cat_invalid_answer");
  assert.equal(code(() => bagdar.CatSession.start(demo, demoSettings, "de", 1n)), "SettingsError/unknown_id");
  assert.equal(code(() => bagdar.CatSession.start(demo, "{\"routing\": 7}", "kk", 1n)).split("/")[0], "SettingsError");
  const saved = session.toJson();
  assert.equal(code(() => bagdar.CatSession.fromJson(saved.slice(0, 100), demo)), "ResponseDataError/session_syntax");
  const tampered = JSON.parse(saved);
  tampered.instrument_checksum = "0".repeat(64);
  assert.equal(code(() => bagdar.CatSession.fromJson(JSON.stringify(tampered), demo)), "InstrumentError/checksum_mismatch");
  const finished = bagdar.CatSession.fromJson(goldenText, demo);
  assert.equal(finished.next(demo), null);
  assert.equal(code(() => finished.answer(demo, "SO01", 3)), "ResponseDataError/cat_stopped");
});
