#!/usr/bin/env python3
"""Stdlib-only structural check of a Bagdar instrument file (format version 1).

Usage:  python3 data/tools/check_instrument.py data/instruments/kasip-demo.json [...]

This is a quick authoring aid for the data folder, not a replacement for the Rust
loader (which is the authority on validity, see data/FORMAT.md). It checks:

* required top-level fields, ``format_version == 1``, known ``languages``;
* every text (title, description, option texts, scale names and descriptions,
  item stems, option texts, profile names and descriptions) has a non-empty
  string for each language in ``languages`` and nothing else;
* script sanity: Kazakh and Russian texts contain no Latin letters (apart from a
  short allow-list such as "RIASEC" and "Bagdar"), English texts contain no
  Cyrillic, Russian texts contain no Kazakh-only letters, and no look-alike
  characters (Latin "ə", Turkish "ı", etc.) that are sometimes typed instead of
  Kazakh letters;
* ids unique (scales, items, profiles); each item's scale exists; scale kind is
  interest / disposition / aptitude;
* option sets: values strictly increasing;
* item answer options: either ``option_set`` (existing) or own ``options``,
  not both; option values unique; the number of options equals the model's
  number of categories (grm: len(intercepts) + 1; dichotomous models: 2 when
  scored by ``key``);
* ``key`` is one of the option values and only used with dichotomous models;
  ``reverse_keyed`` is not used on keyed items;
* model fields: slope finite and > 0, grm intercepts strictly decreasing,
  0 <= guessing < upper <= 1;
* profiles: component scales exist, weights > 0, a cut of the form
  {"theta": x} or {"percentile": p}, 0 < not_indicated < recommended < 1.

Exit status 0 if no problem was found, 1 otherwise (problems are printed).
"""

import json
import math
import re
import sys

KINDS = {"interest", "disposition", "aptitude"}
DICHOTOMOUS = {"rasch", "1pl", "2pl", "3pl", "4pl"}
LATIN_ALLOWED = {"RIASEC", "Bagdar"}
KK_ONLY = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
# Characters that look like Kazakh letters but are not the Cyrillic code points.
LOOKALIKES = {
    "\u0259": "Latin schwa (use Cyrillic \u04d9 U+04D9)",
    "\u018f": "Latin capital schwa (use Cyrillic \u04d8 U+04D8)",
    "\u0131": "Latin dotless i (use Cyrillic \u0456 U+0456)",
    "\u0130": "Latin capital dotted I (use Cyrillic \u0406 U+0406)",
}
LATIN_RE = re.compile(r"[A-Za-z]+")
CYR_RE = re.compile(r"[\u0400-\u04ff]")


def n_categories(model):
    t = model.get("type")
    if t in DICHOTOMOUS:
        return 2
    if t in ("grm", "gpcm", "pcm"):
        return len(model.get("intercepts", [])) + 1
    if t == "rsm":
        return len(model.get("thresholds", [])) + 1
    return None


def check(doc):
    errs = []

    def err(where, msg):
        errs.append(f"{where}: {msg}")

    langs = doc.get("languages")
    if not isinstance(langs, list) or not langs:
        err("languages", "missing or empty")
        langs = []

    def text(where, t):
        if not isinstance(t, dict):
            err(where, "text is not an object")
            return
        extra = set(t) - set(langs)
        if extra:
            err(where, f"unexpected languages {sorted(extra)}")
        for lang in langs:
            s = t.get(lang)
            if not isinstance(s, str) or not s.strip():
                err(where, f"missing or empty '{lang}' text")
                continue
            if s != s.strip() or "  " in s:
                err(where, f"'{lang}' text has stray whitespace")
            for ch, why in LOOKALIKES.items():
                if ch in s:
                    err(where, f"'{lang}' text contains {why}")
            if lang in ("kk", "ru"):
                bad = [w for w in LATIN_RE.findall(s) if w not in LATIN_ALLOWED]
                if bad:
                    err(where, f"'{lang}' text contains Latin letters: {bad}")
            if lang == "ru" and KK_ONLY & set(s):
                err(where, f"'ru' text contains Kazakh-only letters: {sorted(KK_ONLY & set(s))}")
            if lang == "en" and CYR_RE.search(s):
                err(where, "'en' text contains Cyrillic letters")

    for f in (
        "format_version",
        "id",
        "version",
        "title",
        "description",
        "languages",
        "scales",
        "items",
    ):
        if f not in doc:
            err("top level", f"missing field '{f}'")
    if doc.get("format_version") != 1:
        err("format_version", "must be 1")
    text("title", doc.get("title"))
    text("description", doc.get("description"))

    option_sets = doc.get("option_sets", {})
    for name, opts in option_sets.items():
        values = [o.get("value") for o in opts]
        if any(b <= a for a, b in zip(values, values[1:])):
            err(f"option_sets.{name}", "values must be strictly increasing")
        for o in opts:
            text(f"option_sets.{name}[{o.get('value')}]", o.get("text"))

    scale_ids = set()
    for s in doc.get("scales", []):
        sid = s.get("id")
        if sid in scale_ids:
            err(f"scale {sid}", "duplicate id")
        scale_ids.add(sid)
        if s.get("kind") not in KINDS:
            err(f"scale {sid}", f"unknown kind {s.get('kind')!r}")
        text(f"scale {sid}.name", s.get("name"))
        text(f"scale {sid}.description", s.get("description"))

    item_ids = set()
    for it in doc.get("items", []):
        iid = it.get("id")
        w = f"item {iid}"
        if iid in item_ids:
            err(w, "duplicate id")
        item_ids.add(iid)
        if it.get("scale") not in scale_ids:
            err(w, f"unknown scale {it.get('scale')!r}")
        if not isinstance(it.get("content_area"), str) or not it["content_area"].strip():
            err(w, "missing content_area")
        text(f"{w}.stem", it.get("stem"))

        has_set, has_own = "option_set" in it, "options" in it
        if has_set == has_own:
            err(w, "needs exactly one of option_set / options")
            continue
        if has_set:
            opts = option_sets.get(it["option_set"])
            if opts is None:
                err(w, f"unknown option_set {it['option_set']!r}")
                continue
        else:
            opts = it["options"]
            for o in opts:
                text(f"{w}.options[{o.get('value')}]", o.get("text"))
        values = [o.get("value") for o in opts]
        if len(set(values)) != len(values):
            err(w, "duplicate option values")

        model = it.get("model", {})
        t = model.get("type")
        slope = model.get("slope", 1.0)
        if not isinstance(slope, (int, float)) or not math.isfinite(slope) or slope <= 0:
            err(w, f"slope must be finite and > 0, got {slope!r}")
        if t == "grm":
            d = model.get("intercepts", [])
            if any(b >= a for a, b in zip(d, d[1:])):
                err(w, f"grm intercepts not strictly decreasing: {d}")
        if t in ("3pl", "4pl"):
            g = model.get("guessing")
            u = model.get("upper", 1.0)
            if not (isinstance(g, (int, float)) and 0 <= g < u <= 1):
                err(w, f"need 0 <= guessing < upper <= 1, got g={g!r} u={u!r}")
        k = n_categories(model)
        if k is None:
            err(w, f"unknown model type {t!r}")
        elif "key" in it:
            if t not in DICHOTOMOUS:
                err(w, "keyed item needs a dichotomous model")
            if it["key"] not in values:
                err(w, f"key {it['key']!r} is not an option value")
            if it.get("reverse_keyed"):
                err(w, "reverse_keyed makes no sense on a keyed item")
        elif k != len(opts):
            err(w, f"{len(opts)} options but model '{t}' has {k} categories")

    prof_ids = set()
    for p in doc.get("profiles", []):
        pid = p.get("id")
        w = f"profile {pid}"
        if pid in prof_ids:
            err(w, "duplicate id")
        prof_ids.add(pid)
        text(f"{w}.name", p.get("name"))
        text(f"{w}.description", p.get("description"))
        comps = p.get("components", [])
        if not comps:
            err(w, "no components")
        seen = set()
        for c in comps:
            if c.get("scale") not in scale_ids:
                err(w, f"unknown component scale {c.get('scale')!r}")
            if c.get("scale") in seen:
                err(w, f"scale {c.get('scale')!r} listed twice")
            seen.add(c.get("scale"))
            wt = c.get("weight")
            if not isinstance(wt, (int, float)) or not wt > 0:
                err(w, f"weight must be > 0, got {wt!r}")
        cut = p.get("cut", {})
        if not (set(cut) == {"theta"} or set(cut) == {"percentile"}):
            err(w, f"cut must be {{'theta': x}} or {{'percentile': p}}, got {cut!r}")
        tiers = p.get("tiers", {})
        r, n = tiers.get("recommended"), tiers.get("not_indicated")
        if not (isinstance(r, (int, float)) and isinstance(n, (int, float)) and 0 < n < r < 1):
            err(w, f"need 0 < not_indicated < recommended < 1, got {tiers!r}")
    return errs


def summary(doc):
    kinds = {s["id"]: s["kind"] for s in doc["scales"]}
    lines = [
        f"{doc['id']} {doc['version']}: {len(doc['scales'])} scales, "
        f"{len(doc['items'])} items, {len(doc.get('profiles', []))} profiles"
    ]
    for s in doc["scales"]:
        its = [i for i in doc["items"] if i["scale"] == s["id"]]
        rev = sum(1 for i in its if i.get("reverse_keyed"))
        lines.append(
            f"  {s['id']:<14} {kinds[s['id']]:<12} items={len(its):>2} reverse_keyed={rev}"
        )
    return "\n".join(lines)


def main(paths):
    bad = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        errs = check(doc)
        for e in errs:
            print(f"{path}: {e}")
        if errs:
            bad += 1
        else:
            print(f"{path}: OK")
            print(summary(doc))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
