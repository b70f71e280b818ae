// The Bagdar web form: runs the demo battery on the student's own device.
//
// Everything is computed by the WASM engine (../pkg/web); this file only shows the
// questions, keeps the session in localStorage and draws the result. No request leaves
// the page's own origin (see the Content-Security-Policy in index.html).

import init, * as bagdar from "../pkg/web/bagdar_wasm.js";

const INSTRUMENT_URL = new URL("../../data/instruments/kasip-demo.json", import.meta.url);
const CAT_SETTINGS_URL = new URL("../../data/cat/kasip-demo-cat.json", import.meta.url);
const TEXTS_URL = new URL("i18n.json", import.meta.url);
const STORE = "bagdar.form.v1";
const LANGUAGES = ["kk", "ru", "en"];

const app = document.getElementById("app");
const state = {
  definition: null, // the instrument JSON
  instrument: null, // bagdar.Instrument
  catSettings: null, // CAT settings JSON text, when adaptive testing is available
  texts: null, // i18n.json
  lang: "kk",
  session: null, // see newSession()
  notice: null, // i18n key of a message shown once
  error: null,
};

// ---------------------------------------------------------------- texts

function t(key, values = {}) {
  const table = state.texts[state.lang] || state.texts.en;
  let text = table[key] ?? state.texts.en[key] ?? key;
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{${k}}`, String(v));
  return text;
}

function local(text) {
  return text?.[state.lang] ?? text?.en ?? "";
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child != null) node.append(child instanceof Node ? child : document.createTextNode(child));
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

// ---------------------------------------------------------------- items

function itemById(id) {
  return state.definition.items.find((item) => item.id === id);
}

function optionsOf(item) {
  return item.options ?? state.definition.option_sets[item.option_set];
}

function scaleName(id) {
  return local(state.definition.scales.find((s) => s.id === id)?.name) || id;
}

function profileName(id) {
  return local(state.definition.profiles.find((p) => p.id === id)?.name) || id;
}

// ---------------------------------------------------------------- session

// A session is a plain value kept in localStorage: the instrument checksum, the mode,
// the answer log and (adaptive mode) the engine's own CAT session state.
function newSession() {
  const adaptive = Boolean(state.catSettings && bagdar.CatSession);
  const session = {
    format: "bagdar-form-session",
    version: 1,
    instrument: state.definition.id,
    checksum: state.instrument.checksum,
    mode: adaptive ? "adaptive" : "fixed",
    language: state.lang,
    started: new Date().toISOString(),
    finished: null,
    log: [], // {item, value (null = skipped), language, at}
    position: 0, // fixed mode: index of the current item
    cat: null, // adaptive mode: the engine's session JSON
    pending: null, // adaptive mode: the item being asked
  };
  if (adaptive) {
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    const cat = bagdar.CatSession.start(state.instrument, state.catSettings, state.lang, BigInt(seed));
    session.cat = cat.toJson();
    cat.free();
  }
  return session;
}

function save() {
  if (state.session) localStorage.setItem(STORE, JSON.stringify(state.session));
  else localStorage.removeItem(STORE);
}

function restore() {
  const text = localStorage.getItem(STORE);
  if (!text) return;
  let stored;
  try {
    stored = JSON.parse(text);
  } catch {
    localStorage.removeItem(STORE);
    state.notice = "corrupted";
    return;
  }
  if (stored?.format !== "bagdar-form-session" || !Array.isArray(stored.log)) {
    localStorage.removeItem(STORE);
    state.notice = "corrupted";
    return;
  }
  if (stored.checksum !== state.instrument.checksum) {
    localStorage.removeItem(STORE);
    state.notice = "discarded";
    return;
  }
  if (stored.mode === "adaptive") {
    try {
      bagdar.CatSession.fromJson(stored.cat, state.instrument).free();
    } catch {
      localStorage.removeItem(STORE);
      state.notice = "corrupted";
      return;
    }
  }
  state.session = stored;
  if (LANGUAGES.includes(stored.language)) state.lang = stored.language;
  if (stored.log.length > 0 && !stored.finished) state.notice = "resumed";
}

/// The item to show now, or null when the session is over.
function currentItem() {
  const s = state.session;
  if (s.finished) return null;
  if (s.mode === "fixed") return state.definition.items[s.position]?.id ?? null;
  if (s.pending) return s.pending;
  const cat = bagdar.CatSession.fromJson(s.cat, state.instrument);
  try {
    const next = cat.next(state.instrument);
    s.cat = cat.toJson();
    s.pending = next ? next.item : null;
  } finally {
    cat.free();
  }
  save();
  return s.pending;
}

function answer(value) {
  const s = state.session;
  const item = currentItem();
  const entry = { item, value, language: state.lang, at: new Date().toISOString() };
  if (s.mode === "fixed") {
    const existing = s.log.findIndex((e) => e.item === item);
    if (existing >= 0) s.log[existing] = entry;
    else s.log.push(entry);
    s.position += 1;
    if (s.position >= state.definition.items.length) s.finished = new Date().toISOString();
  } else {
    const cat = bagdar.CatSession.fromJson(s.cat, state.instrument);
    try {
      cat.answer(state.instrument, item, value, entry.at);
      s.cat = cat.toJson();
    } finally {
      cat.free();
    }
    s.log.push(entry);
    s.pending = null;
    if (currentItem() === null) s.finished = new Date().toISOString();
  }
  save();
}

function back() {
  const s = state.session;
  if (s.mode === "fixed" && s.position > 0) {
    s.position -= 1;
    save();
  }
}

// ---------------------------------------------------------------- views

function render() {
  app.replaceChildren();
  document.documentElement.lang = state.lang;
  document.getElementById("title").textContent = local(state.definition?.title) || "Bagdar";
  document.getElementById("language-label").textContent = t("language");
  document.title = local(state.definition?.title) || "Bagdar";
  for (const b of document.querySelectorAll("button.lang")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang));
  }
  if (state.error) {
    app.append(el("p", { class: "error", role: "alert" }, t("error", { message: state.error })));
    return;
  }
  if (state.notice) {
    const kind = state.notice === "resumed" ? "notice" : "warn";
    app.append(el("p", { class: kind, role: "status", id: "notice" }, t(state.notice)));
  }
  if (state.definition.demonstration) {
    app.append(el("p", { class: "note" }, t("demonstration")));
  }
  if (!state.session) return renderIntro();
  const item = currentItem();
  if (item === null) return renderResult();
  renderItem(item);
}

function renderIntro() {
  app.append(
    el("p", {}, local(state.definition.description)),
    el("p", {}, t("intro")),
    el("p", { class: "note" }, state.catSettings && bagdar.CatSession ? t("adaptive") : t("fixed")),
    el("button", {
      type: "button",
      class: "primary",
      id: "start",
      onclick: () => {
        state.notice = null;
        state.session = newSession();
        save();
        render();
        focusFirstOption();
      },
    }, t("start")),
  );
}

function renderItem(id) {
  const s = state.session;
  const item = itemById(id);
  const asked = s.mode === "fixed" ? s.position + 1 : s.log.length + 1;
  const total =
    s.mode === "fixed"
      ? state.definition.items.length
      : (JSON.parse(state.catSettings).max_total ?? state.definition.items.length);
  const previous = s.log.find((e) => e.item === id)?.value;
  const form = el("form", {
    id: "item-form",
    onsubmit: (event) => {
      event.preventDefault();
      const chosen = form.querySelector("input[name=answer]:checked");
      if (!chosen) {
        form.querySelector("#hint").textContent =
          s.mode === "fixed" ? t("choose_first") : t("choose_adaptive");
        return;
      }
      go(Number(chosen.value));
    },
  });
  const options = optionsOf(item).map((option, index) =>
    el("label", { class: "option" },
      el("input", {
        type: "radio",
        name: "answer",
        value: String(option.value),
        checked: previous === option.value,
        "data-key": String(index + 1),
      }),
      el("span", { class: "key", "aria-hidden": "true" }, String(index + 1)),
      el("span", {}, local(option.text))));
  form.append(
    el("label", { for: "progress", class: "note" },
      t("progress_of", { n: asked, max: total })),
    el("progress", { id: "progress", max: String(total), value: String(asked - 1) }),
    el("fieldset", { "data-item": id },
      el("legend", {}, scaleName(item.scale)),
      el("p", { class: "stem", id: "stem" }, local(item.stem)),
      el("div", { role: "radiogroup", "aria-labelledby": "stem" }, options)),
    el("p", { class: "note", id: "hint", role: "status" }, t("keyboard_hint")),
    el("div", { class: "actions" },
      s.mode === "fixed"
        ? el("button", { type: "button", id: "back", disabled: s.position === 0, onclick: () => { back(); render(); focusFirstOption(); } }, t("back"))
        : el("span"),
      // An adaptive session needs an answer to choose the next question.
      s.mode === "fixed"
        ? el("button", { type: "button", id: "skip", onclick: () => go(null) }, t("skip"))
        : el("span"),
      el("button", { type: "submit", class: "primary", id: "next" }, t("next"))),
  );
  app.append(form);
}

function go(value) {
  try {
    state.notice = null;
    answer(value);
  } catch (e) {
    state.error = e.message;
  }
  render();
  focusFirstOption();
}

function focusFirstOption() {
  const input = app.querySelector("input[name=answer]:checked") || app.querySelector("input[name=answer]");
  input?.focus();
}

/// The student's raw answers in instrument item order (NaN = not asked or skipped).
function rawAnswers() {
  const raw = new Float64Array(state.definition.items.length).fill(NaN);
  const index = new Map(state.definition.items.map((item, i) => [item.id, i]));
  for (const e of state.session.log) {
    if (e.value != null) raw[index.get(e.item)] = e.value;
  }
  return raw;
}

function decisionSettings() {
  // An adaptive session leaves most items unasked by design: that is not "too many
  // missing", so the missing-answer flag is off there.
  if (state.session.mode !== "adaptive") return undefined;
  return JSON.stringify({ quality: { max_missing_fraction: 1.0 } });
}

function renderResult() {
  const decision = state.instrument.decide(rawAnswers(), 1, decisionSettings()).students[0];
  app.append(el("h2", { id: "result-heading" }, t("finished")), el("p", {}, t("result_intro")));
  const teacher = decision.profiles.find((p) => p.profile === "teacher");
  if (teacher) {
    const p = Math.round(100 * teacher.p_above_cut);
    app.append(
      el("h3", {}, t("teacher_heading")),
      el("p", { id: "teacher-tier", "data-tier": teacher.tier, "data-p": String(teacher.p_above_cut) },
        t(`teacher_plain_${teacher.tier}`, { p })),
    );
  }
  app.append(el("h3", {}, t("chart_title")), profileChart(decision), el("p", { class: "note" }, t("chart_caption")));
  const texts = state.instrument.explain(JSON.stringify(decision.explanations), state.lang, "student");
  app.append(el("ul", { class: "explanations" }, texts.map((x) => el("li", {}, x))));
  const record = responseRecord();
  const url = URL.createObjectURL(new Blob([JSON.stringify(record, null, 2)], { type: "application/json" }));
  app.append(
    el("p", {},
      el("a", { class: "button", id: "download", href: url, download: `bagdar-${state.definition.id}-record.json` }, t("download"))),
    el("p", {},
      el("button", {
        type: "button",
        id: "restart",
        onclick: () => { state.session = null; save(); render(); },
      }, t("restart"))),
  );
}

/// What the school re-scores: the answer log with the instrument checksum.
function responseRecord() {
  const s = state.session;
  return {
    format: "bagdar-response-record",
    version: 1,
    instrument: { id: state.definition.id, version: state.definition.version, checksum: s.checksum },
    mode: s.mode,
    language: state.lang,
    started: s.started,
    finished: s.finished,
    responses: s.log,
    cat_session: s.mode === "adaptive" ? JSON.parse(s.cat) : null,
  };
}

const TIER_COLOURS = { recommended: "#2e7d32", borderline: "#f9a825", not_indicated: "#9e9e9e" };

function profileChart(decision) {
  const rows = decision.ranking.map((id) => decision.profiles.find((p) => p.profile === id));
  const width = 600;
  const rowHeight = 44;
  const labelWidth = 170;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${rows.length * rowHeight + 10}`,
    width: String(width),
    role: "img",
    id: "profile-chart",
    "aria-label": t("chart_title"),
  });
  rows.forEach((p, i) => {
    const y = i * rowHeight + 8;
    const barWidth = (width - labelWidth - 10) * p.p_above_cut;
    const percent = Math.round(100 * p.p_above_cut);
    chart.append(
      svg("text", { x: "0", y: String(y + 17), "font-size": "14" }, profileName(p.profile)),
      svg("rect", { x: String(labelWidth), y: String(y), width: String(width - labelWidth - 10), height: "24", fill: "#eee" }),
      svg("rect", {
        x: String(labelWidth),
        y: String(y),
        width: barWidth.toFixed(2),
        height: "24",
        fill: TIER_COLOURS[p.tier],
        "data-profile": p.profile,
        "data-tier": p.tier,
      }),
      svg("text", { x: String(labelWidth + 6), y: String(y + 37), "font-size": "11", fill: "#444" },
        t("chance", { p: percent })),
    );
  });
  return chart;
}

// ---------------------------------------------------------------- wiring

function setLanguage(lang) {
  state.lang = lang;
  if (state.session) {
    state.session.language = lang;
    save();
  }
  const focused = document.activeElement?.name === "answer" ? document.activeElement.value : null;
  const checked = app.querySelector("input[name=answer]:checked")?.value;
  render();
  if (checked) app.querySelector(`input[name=answer][value="${checked}"]`).checked = true;
  if (focused) app.querySelector(`input[name=answer][value="${focused}"]`)?.focus();
}

document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const form = document.getElementById("item-form");
  if (!form) return;
  if (event.key === "Enter" && event.target?.tagName !== "BUTTON") {
    // Radio buttons do not submit a form on Enter by themselves.
    event.preventDefault();
    form.requestSubmit();
    return;
  }
  const input = form.querySelector(`input[data-key="${event.key}"]`);
  if (input) {
    input.checked = true;
    input.focus();
    event.preventDefault();
  }
});

for (const b of document.querySelectorAll("button.lang")) {
  b.addEventListener("click", () => setLanguage(b.dataset.lang));
}

async function main() {
  try {
    await init();
    const [definition, texts] = await Promise.all([
      fetch(INSTRUMENT_URL).then((r) => r.text()),
      fetch(TEXTS_URL).then((r) => r.json()),
    ]);
    state.texts = texts;
    state.instrument = new bagdar.Instrument(definition);
    state.definition = JSON.parse(definition);
    if (bagdar.CatSession) {
      const response = await fetch(CAT_SETTINGS_URL);
      if (response.ok) state.catSettings = await response.text();
    }
    const preferred = (navigator.language || "").slice(0, 2);
    if (LANGUAGES.includes(preferred)) state.lang = preferred;
    restore();
  } catch (e) {
    state.texts ??= { en: {} };
    state.error = e.message;
  }
  render();
  focusFirstOption();
}

main();
