// The golden cases of tests/golden, reproduced through the WASM build under Node
// (node --test). The Rust and Python suites read the same files with the same tolerances.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const bagdar = require("../pkg/node/bagdar_wasm.js");

const root = path.resolve(__dirname, "..", "..");
const golden = path.join(root, "tests", "golden");
const cases = fs
  .readdirSync(golden)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => [f, JSON.parse(fs.readFileSync(path.join(golden, f), "utf8"))]);

// EAP is compared with the exact integral on a wide grid (tests/golden/README.md).
const EXACT_EAP_GRID = { points: 201, min: -10, max: 10 };

function settings(c, method) {
  const grid = method === "eap" ? EXACT_EAP_GRID : c.quadrature;
  return JSON.stringify({
    method,
    grid,
    prior: { type: "normal", mean: c.prior.mean, sd: c.prior.sd },
  });
}

function data(c) {
  return Float64Array.from(c.patterns.flat().map((x) => (x === null ? NaN : x)));
}

const models = (c) => JSON.stringify(c.items.map((i) => i.model));

test("there are golden cases", () => assert.ok(cases.length >= 5));

for (const [name, c] of cases) {
  for (const method of ["eap", "map", "ml", "wle"]) {
    test(`${name} ${method}`, () => {
      const out = bagdar.scoreItems(models(c), data(c), c.patterns.length, settings(c, method));
      const e = c.expected[method];
      let compared = 0;
      e.theta.forEach((theta, p) => {
        if (e.status) assert.equal(out.status[p], e.status[p], `pattern ${p}`);
        if (theta === null) {
          assert.equal(out.theta[p], null, `pattern ${p}`);
          return;
        }
        assert.ok(Math.abs(out.theta[p] - theta) <= e.tolerance, `pattern ${p}: ${out.theta[p]} vs ${theta}`);
        assert.ok(Math.abs(out.se[p] - e.se[p]) <= e.tolerance, `pattern ${p} se`);
        compared += 1;
      });
      assert.ok(compared > 0);
    });
  }
  test(`${name} eap_sum`, () => {
    const s = JSON.stringify({ grid: c.quadrature, prior: { type: "normal", ...c.prior } });
    const table = bagdar.sumScoreTable(models(c), s);
    const e = c.expected.eap_sum;
    assert.deepEqual(table.sums, e.sum);
    e.theta.forEach((t, i) => assert.ok(Math.abs(table.theta[i] - t) <= e.tolerance, `sum ${i}`));
    e.se.forEach((t, i) => assert.ok(Math.abs(table.se[i] - t) <= e.tolerance, `sum ${i} se`));
    const pub = c.published && c.published.eap_sum;
    if (pub) pub.sum.forEach((s2, i) => assert.ok(Math.abs(table.theta[s2] - pub.theta[i]) <= pub.tolerance));
  });
}

test("instrument checksums equal the native engine", () => {
  const surfaces = JSON.parse(fs.readFileSync(path.join(golden, "surfaces", "checksums.json"), "utf8"));
  for (const [file, checksum] of Object.entries(surfaces.instruments)) {
    const ins = new bagdar.Instrument(fs.readFileSync(path.join(root, file), "utf8"));
    assert.equal(ins.checksum, checksum);
  }
});

test("the demo battery scores every scale", () => {
  const ins = new bagdar.Instrument(fs.readFileSync(path.join(root, "data/instruments/kasip-demo.json"), "utf8"));
  const n = ins.itemIds.length;
  const raw = new Float64Array(2 * n).fill(NaN);
  for (let i = 0; i < n; i++) raw[i] = 1; // first person answers option 1 everywhere
  const out = ins.score(raw, 2);
  assert.equal(out.scales.length, 12);
  assert.equal(out.instrumentChecksum, ins.checksum);
  assert.equal(out.scores[0].status[0], "ok");
  assert.equal(out.scores[0].status[1], "no_responses"); // EAP: the prior, with its status
});

test("errors are JS Errors with a class name, a stable code and the core message", () => {
  assert.throws(() => new bagdar.Instrument("{}"), (e) => e instanceof Error && e.name === "InstrumentError" && e.code === "instrument_syntax" && /format_version/.test(e.message));
  const lsat = JSON.stringify([{ type: "2pl", slope: 1, intercept: 0 }]);
  assert.throws(() => bagdar.scoreItems(lsat, Float64Array.from([2]), 1), (e) => e.name === "ResponseDataError" && e.code === "response_out_of_range" && /person 0, item 0: response 2/.test(e.message));
  assert.throws(() => bagdar.scoreItems(lsat, Float64Array.from([1, 0]), 1), (e) => e.code === "wrong_data_length");
  assert.throws(() => bagdar.scoreItems(JSON.stringify([{ type: "2pl", slope: -1, intercept: 0 }]), Float64Array.from([1]), 1), (e) => e.name === "InstrumentError" && /slope/.test(e.message));
  assert.throws(() => bagdar.scoreItems(lsat, Float64Array.from([1]), 1, '{"method":"bayes"}'), (e) => e.name === "SettingsError");
  assert.throws(() => bagdar.scoreItems("not json", Float64Array.from([1]), 1), (e) => e.name === "InstrumentError" && e.code === "invalid_json");
  const ins = new bagdar.Instrument(fs.readFileSync(path.join(root, "data/instruments/kasip-demo.json"), "utf8"));
  const raw = new Float64Array(ins.itemIds.length).fill(NaN);
  raw[0] = 9;
  assert.throws(() => ins.score(raw, 1), (e) => e.code === "invalid_answer" && /RE01: answer 9/.test(e.message));
});

test("decisions and trilingual explanations", () => {
  const ins = new bagdar.Instrument(fs.readFileSync(path.join(root, "data/instruments/kasip-demo.json"), "utf8"));
  const n = ins.itemIds.length;
  const raw = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    raw[i] = 1; // a straight-liner
    raw[n + i] = i % 3 === 0 ? NaN : 3;
  }
  const batch = ins.decide(raw, 2);
  assert.equal(batch.students.length, 2);
  assert.equal(batch.instrumentChecksum, ins.checksum);
  const teacher = batch.students[0].profiles.find((p) => p.profile === "teacher");
  assert.ok(teacher.p_above_cut >= 0 && teacher.p_above_cut <= 1);
  const tier = teacher.p_above_cut >= 0.8 ? "recommended" : teacher.p_above_cut <= 0.2 ? "not_indicated" : "borderline";
  assert.equal(teacher.tier, tier);
  assert.equal(batch.students[0].caution, true);
  assert.ok(batch.students[0].quality.some((f) => f.flag === "long_string"));
  const keys = JSON.stringify(batch.students[1].explanations);
  const kk = ins.explain(keys, "kk", "student");
  const en = ins.explain(keys, "en", "counselor");
  assert.equal(kk.length, batch.students[1].explanations.length);
  assert.equal(en.length, kk.length);
  assert.ok(!kk.join(" ").includes("{"));
  assert.throws(() => ins.explain(keys, "de", "student"), (e) => e.name === "SettingsError");
});

test("the bad-input corpus gives the core's error codes", () => {
  const bad = path.join(root, "tests", "bad");
  const manifest = JSON.parse(fs.readFileSync(path.join(bad, "manifest.json"), "utf8"));
  assert.ok(manifest.instruments.length >= 15);
  for (const c of manifest.instruments) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(bad, c.file)));
    if (c.error === null) {
      assert.equal(bagdar.Instrument.fromBytes(bytes).checksum.length, 64, c.file);
    } else {
      assert.throws(() => bagdar.Instrument.fromBytes(bytes), (e) => e instanceof Error && e.code === c.error, c.file);
    }
  }
});

test("bad CAT session states (and bad answers to resumed ones) give the core's errors", () => {
  const bad = path.join(root, "tests", "bad");
  const manifest = JSON.parse(fs.readFileSync(path.join(bad, "manifest.json"), "utf8"));
  const ins = bagdar.Instrument.fromBytes(new Uint8Array(fs.readFileSync(path.join(bad, "instrument-small.json"))));
  assert.ok(manifest.sessions.length >= 20);
  for (const c of manifest.sessions) {
    const text = fs.readFileSync(path.join(bad, c.file), "utf8");
    const label = `${c.file} ${JSON.stringify(c.answer ?? null)}`;
    const run = () => {
      const session = bagdar.CatSession.fromJson(text, ins);
      if (c.answer) session.answer(ins, c.answer.item, c.answer.value);
    };
    if (c.error === null) {
      run();
      continue;
    }
    assert.throws(
      run,
      (e) =>
        e instanceof Error &&
        e.code === c.error &&
        e.name === c.class &&
        e.message.includes(c.message ?? ""),
      label,
    );
  }
});

test("the cut chooser meets its target and rejects a bad one", () => {
  const text = fs.readFileSync(path.join(root, "data/instruments/kasip-demo.json"), "utf8");
  const ins = new bagdar.Instrument(text);
  const def = JSON.parse(text);
  const lines = fs
    .readFileSync(path.join(root, "data/demo/responses.csv"), "utf8")
    .split("\n");
  const header = lines[0].split(",");
  const columns = def.items.map((i) => header.indexOf(i.id));
  const rows = lines
    .slice(1)
    .map((l) => l.split(","))
    .filter((f) => f.length === header.length && f[0].startsWith("S"))
    .slice(0, 300);
  const raw = Float64Array.from(rows.flatMap((f) => columns.map((c) => (f[c] === "" ? NaN : Number(f[c])))));
  const choice = ins.chooseCut(raw, rows.length, "teacher", JSON.stringify({ share_above: 0.2 }));
  assert.ok(Math.abs(choice.share_above - 0.2) <= 0.01, `${choice.share_above}`);
  assert.ok(choice.expected_accuracy > 0.5 && choice.expected_accuracy <= 1);
  assert.throws(
    () => ins.chooseCut(raw, rows.length, "teacher", JSON.stringify({ share_above: 1.5 })),
    (e) => e instanceof Error && e.name === "SettingsError",
  );
  assert.throws(
    () => ins.chooseCut(raw, rows.length, "astronaut", JSON.stringify({ share_above: 0.2 })),
    (e) => e instanceof Error && e.name === "SettingsError" && e.code === "unknown_id",
  );
});
