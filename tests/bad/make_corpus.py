"""Writes the bad-input corpus of tests/bad/ from the demo instrument (stdlib only).

Each file is one malformed (or tricky but valid) input with the error code or reject
reason every surface must give; the manifests instruments.json and responses.json list
them. Run from the repository root: python3 tests/bad/make_corpus.py
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEMO = HERE.parent.parent / "data" / "instruments" / "kasip-demo.json"


def small_instrument() -> dict:
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    small = copy.deepcopy(demo)
    small["scales"] = [s for s in small["scales"] if s["id"] in {"social", "verbal"}]
    social = [i for i in small["items"] if i["scale"] == "social"][:3]
    verbal = [i for i in small["items"] if i["scale"] == "verbal"][:2]
    small["items"] = social + verbal
    small["profiles"] = []
    return small


def instruments(small: dict) -> list[dict]:
    out = HERE / "instruments"
    out.mkdir(exist_ok=True)
    base = json.dumps(small, ensure_ascii=False, indent=1)
    slope = json.dumps(small["items"][0]["model"]["slope"])
    cases = []

    def write(name: str, content: str | bytes, error: str | None, why: str) -> None:
        path = out / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        cases.append({"file": f"instruments/{name}", "error": error, "why": why})

    def edited(change) -> str:
        d = copy.deepcopy(small)
        change(d)
        return json.dumps(d, ensure_ascii=False)

    write("valid-small.json", base + "\n", None, "control: a small valid instrument")
    write("bom-crlf.json", "\ufeff" + base.replace("\n", "\r\n"), None, "UTF-8 BOM and CRLF")
    write("empty.json", "", "instrument_syntax", "empty file")
    write("truncated.json", base[: len(base) // 2], "instrument_syntax", "file cut off")
    write(
        "cp1251.json",
        base.encode("cp1251", errors="replace"),
        "instrument_syntax",
        "saved in a legacy 8-bit encoding (cp1251), not UTF-8",
    )
    write("nan-parameter.json", base.replace(slope, "NaN", 1), "instrument_syntax", "NaN")
    write("huge-number.json", base.replace(slope, "1e999", 1), "instrument_syntax", "1e999")
    write("not-an-object.json", "[1, 2, 3]", "instrument_syntax", "an array, not an object")

    def duplicate(d):
        d["items"][1]["id"] = d["items"][0]["id"]

    def zero_slope(d):
        d["items"][0]["model"]["slope"] = 0.0

    def increasing(d):
        d["items"][0]["model"]["intercepts"] = sorted(d["items"][0]["model"]["intercepts"])

    def wrong_count(d):
        d["items"][0]["model"]["intercepts"] = d["items"][0]["model"]["intercepts"][:2]

    def no_kazakh(d):
        del d["items"][0]["stem"]["kk"]

    def unknown_scale(d):
        d["items"][0]["scale"] = "astronomy"

    def future(d):
        d["format_version"] = 7

    def bad_key(d):
        d["items"][3]["key"] = 9

    write("duplicate-item-id.json", edited(duplicate), "duplicate_id", "two items share an id")
    write("zero-slope.json", edited(zero_slope), "invalid_parameter", "slope 0")
    write("grm-increasing.json", edited(increasing), "invalid_parameter", "GRM order")
    write("grm-wrong-count.json", edited(wrong_count), "wrong_count", "3 categories, 5 options")
    write("missing-translation.json", edited(no_kazakh), "missing_translation", "no kk stem")
    write("unknown-scale.json", edited(unknown_scale), "unknown_id", "unknown scale")
    write("future-version.json", edited(future), "unsupported_format_version", "version 7")
    write("key-not-an-option.json", edited(bad_key), "invalid_instrument", "key 9")
    return cases


def responses(small: dict) -> list[dict]:
    out = HERE / "responses"
    out.mkdir(exist_ok=True)
    ids = [i["id"] for i in small["items"]]
    header = ",".join(["student_id", "region", "school", "language", *ids])
    good = ["4", "5", "3", "2", "1"]
    cases = []

    def write(name: str, content: str | bytes, expect: dict, why: str) -> None:
        path = out / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        cases.append({"file": f"responses/{name}", **expect, "why": why})

    def row(sid: str, answers: list[str], language: str = "kk") -> str:
        return ",".join([sid, "Almaty", "School 1", language, *answers])

    write("empty.csv", "", {"exit": 1, "stderr": "empty"}, "empty file")
    write("header-only.csv", header + "\n", {"exit": 0, "scored": 0, "rejects": []}, "no rows")
    write(
        "bom-crlf.csv",
        "\ufeff" + "\r\n".join([header, row("A1", good), row("A2", good)]) + "\r\n",
        {"exit": 0, "scored": 2, "rejects": []},
        "UTF-8 BOM and CRLF from Excel: accepted",
    )
    write(
        "semicolon.csv",
        "\n".join([header.replace(",", ";"), row("A1", good).replace(",", ";")]) + "\n",
        {"exit": 1, "stderr": "looks ';'-separated"},
        "semicolon-separated without --delimiter ';': refused with a hint",
    )
    lines = [
        header,
        row("A1", good),
        row("A2", ["4", "9", "3", "2", "1"]),
        row("A3", good[:-1]),
        row("A4", good, language="de"),
        row("A5", ["4", "x", "3", "2", "1"]),
        row("A1", good),
        row("", good),
        row("A8", ["", "", "", "", ""]),
        row("45292", good),
        row("A10", ["4.0", "5", "3", "2", "1e0"]),
        row("A11", ["4.5", "5", "3", "2", "1"]),
        row("A12", ["99999999999999999999", "5", "3", "2", "1"]),
    ]
    write(
        "mixed.csv",
        "\n".join(lines) + "\n",
        {
            "exit": 0,
            "scored": 3,
            "rejects": [
                [2, "out_of_range"],
                [3, "wrong_column_count"],
                [4, "unknown_language"],
                [5, "not_a_number"],
                [6, "duplicate_id"],
                [7, "missing_id"],
                [8, "too_many_missing"],
                [11, "not_a_number"],
                [12, "not_a_number"],
            ],
        },
        "one row per reject reason; an Excel date serial as an id is just an id; "
        "4.0 and 1e0 are whole numbers",
    )
    invalid = (header + "\n" + row("A1", good) + "\n").encode("utf-8") + b"A2,\xff\xfe,x,kk\n"
    write(
        "invalid-utf8.csv",
        invalid,
        {"exit": 0, "scored": 1, "rejects": [[2, "unreadable"]]},
        "a row with bytes that are not UTF-8 is rejected, not fatal",
    )
    return cases


def main() -> None:
    small = small_instrument()
    (HERE / "instrument-small.json").write_text(
        json.dumps(small, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    manifest = {
        "description": (
            "Malformed and tricky inputs with what every surface must do. instruments: "
            "error code (null = must load) as in the WASM `code` and core/tests/bad_inputs.rs; "
            "responses: `bagdar score` against tests/bad/instrument-small.json: exit code, "
            "rows scored and rejects [row, reason]. Written by tests/bad/make_corpus.py."
        ),
        "instruments": instruments(small),
        "responses": responses(small),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    (HERE / "manifest.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
