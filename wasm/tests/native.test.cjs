// The WASM build reproduces the native engine to 1e-12: every golden case and method
// (tests/golden/surfaces/native-scores.json, written by core/tests/surfaces.rs) and the
// demo battery's decisions for 40 students.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const bagdar = require("../pkg/node/bagdar_wasm.js");

const root = path.resolve(__dirname, "..", "..");
const native = JSON.parse(
  fs.readFileSync(path.join(root, "tests/golden/surfaces/native-scores.json"), "utf8"),
);
const tolerance = native.tolerance;

function same(actual, expected, what) {
  if (expected === null) {
    assert.equal(actual, null, what);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
}

test("every golden case and method equals the native engine", () => {
  assert.ok(native.cases.length >= 20);
  for (const c of native.cases) {
    const golden = JSON.parse(fs.readFileSync(path.join(root, "tests/golden", c.file), "utf8"));
    const models = JSON.stringify(golden.items.map((i) => i.model));
    const data = Float64Array.from(golden.patterns.flat().map((x) => (x === null ? NaN : x)));
    const settings = JSON.stringify({
      method: c.method,
      grid: golden.quadrature,
      prior: { type: "normal", mean: golden.prior.mean, sd: golden.prior.sd },
    });
    const out = bagdar.scoreItems(models, data, golden.patterns.length, settings);
    c.theta.forEach((t, p) => same(out.theta[p], t, `${c.file} ${c.method} theta ${p}`));
    c.se.forEach((s, p) => same(out.se[p], s, `${c.file} ${c.method} se ${p}`));
  }
});

test("demo decisions equal the native engine", () => {
  const d = native.decisions;
  const instrument = new bagdar.Instrument(fs.readFileSync(path.join(root, d.instrument), "utf8"));
  const raw = Float64Array.from(d.answers.flat().map((x) => (x === null ? NaN : x)));
  const batch = instrument.decide(raw, d.answers.length);
  batch.students.forEach((s, i) => {
    s.profiles.forEach((p, j) => {
      assert.equal(p.profile, d.profiles[j]);
      same(p.composite_mean, d.composite[i][j], `student ${i} ${p.profile} composite`);
      same(p.p_above_cut, d.p_above_cut[i][j], `student ${i} ${p.profile} p`);
    });
    s.scales.forEach((r, k) => same(r.estimate.theta, d.theta[i][k], `student ${i} scale ${k}`));
  });
});
