"""Writes the bad-input corpus of tests/bad/ from the demo instrument (stdlib only).

Each file is one malformed (or tricky but valid) input with the error code or reject
reason every surface must give; manifest.json lists them. Run from the repository root:
python3 tests/bad/make_corpus.py

Two CAT sessions have to be written by the core (the instrument checksum and the replayed
selections are the engine's): sessions/valid.json and sessions/other-instrument.json.
When the bagdar Python package is importable they are written afresh through it;
otherwise the committed ones are kept. Every other session file is an edit of them. The
.xlsx files are written here too, with zipfile (no spreadsheet library needed).
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

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
    head = ["student_id", "region", "school", "language", *ids]

    def sheet_row(sid, answers: list) -> list:
        return [sid, "Almaty", "School 1", "kk", *answers]

    numbers = [4, 5, 3, 2, 1]
    write(
        "mixed.xlsx",
        xlsx(
            [
                head,
                sheet_row("A1", numbers),
                sheet_row(Date(45292), numbers),
                sheet_row("A3", [4, "four", 3, 2, 1]),
                sheet_row("A4", [4.5, 5, 3, 2, 1]),
                sheet_row("A5", [4, 9, 3, 2, 1]),
                sheet_row("A6", ["4", "5", "3", "2", "1"]),
                sheet_row("A7", [True, 5, 3, 2, 1]),
                sheet_row("A8", [None, None, None, None, None]),
                sheet_row("A9", [4.0, 5.0, 3, 2, 1]),
                sheet_row("A10", [4, Date(45292), 3, 2, 1]),
            ]
        ),
        {
            "exit": 0,
            "scored": 4,
            "rejects": [
                [3, "not_a_number"],
                [4, "not_a_number"],
                [5, "out_of_range"],
                [7, "not_a_number"],
                [8, "too_many_missing"],
                [10, "not_a_number"],
            ],
        },
        "Excel: a date in the id column is an id (2024-01-01); numbers stored as text "
        "and 4.0 are answers; text, 4.5, TRUE and a date in an item column are not",
    )
    write(
        "empty-sheet.xlsx",
        xlsx([]),
        {"exit": 1, "stderr": "is empty: no header row"},
        "an Excel file whose sheet has no cells",
    )
    return cases


def core_sessions() -> tuple[str, str]:
    """A session on the small instrument (two answers, SO03 pending) and one on the demo
    instrument, as the core saves them; the committed files when bagdar is missing."""
    out = HERE / "sessions"
    out.mkdir(exist_ok=True)
    valid, other = out / "valid.json", out / "other-instrument.json"
    try:
        import bagdar
    except ImportError:
        return valid.read_text(encoding="utf-8"), other.read_text(encoding="utf-8")

    def session(instrument_path: Path, answers: int) -> str:
        instrument = bagdar.Instrument.load(instrument_path)
        s = bagdar.CatSession.start(instrument, None, "kk", 7)
        for _ in range(answers):
            item = s.next_item()
            s.answer(item["item"], item["options"][1]["value"])
        s.next_item()
        return s.to_json() + "\n"

    valid.write_text(session(HERE / "instrument-small.json", 2), encoding="utf-8")
    other.write_text(session(DEMO, 1), encoding="utf-8")
    return valid.read_text(encoding="utf-8"), other.read_text(encoding="utf-8")


def sessions() -> list[dict]:
    """Saved CAT sessions (`bagdar-cat-session` v1) resumed against instrument-small.json;
    a case with `answer` resumes the file and then answers, and the answer must fail."""
    out = HERE / "sessions"
    valid_text, other_text = core_sessions()
    valid = json.loads(valid_text)
    pending = valid["pending"]
    answered = valid["responses"][0]["item"]
    cases = []
    classes = {
        "session_syntax": "ResponseDataError",
        "invalid_session": "ResponseDataError",
        "cat_item_not_pending": "ResponseDataError",
        "cat_invalid_answer": "ResponseDataError",
        "cat_stopped": "ResponseDataError",
        "checksum_mismatch": "InstrumentError",
        "unknown_id": "SettingsError",
        "invalid_setting": "SettingsError",
    }

    def case(
        name: str,
        error: str | None,
        why: str,
        answer: dict | None = None,
        message: str | None = None,
    ) -> None:
        entry = {"file": f"sessions/{name}", "error": error}
        if error is not None:
            entry["class"] = classes[error]
        if answer is not None:
            entry["answer"] = answer
        if message is not None:
            entry["message"] = message
        cases.append({**entry, "why": why})

    def write(
        name: str, content: str, error: str | None, why: str, message: str | None = None
    ) -> None:
        (out / name).write_text(content, encoding="utf-8", newline="")
        case(name, error, why, message=message)

    def edited(change, sentinel: str | None = None, literal: str | None = None) -> str:
        d = copy.deepcopy(valid)
        change(d)
        text = json.dumps(d, ensure_ascii=False, indent=2) + "\n"
        if sentinel is not None:
            # A number Python's json cannot write as is (1e999, NaN): a placeholder first.
            text = text.replace(json.dumps(sentinel), literal, 1)
        return text

    def put(path: list, value):
        def change(d):
            target = d
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return change

    case("valid.json", None, "control: two answers, an item pending (written by the core)")
    case(
        "valid.json",
        "cat_item_not_pending",
        f"answers {answered}, already answered, while {pending} is pending",
        {"item": answered, "value": 2},
    )
    case(
        "valid.json",
        "cat_invalid_answer",
        f"answers the pending {pending} with 6: the options are 1-5",
        {"item": pending, "value": 6},
    )
    case(
        "valid.json",
        "cat_invalid_answer",
        "answers with a huge number",
        {"item": pending, "value": 99_999_999_999},
    )
    write(
        "max-seed.json",
        edited(put(["seed"], 2**64 - 1)),
        None,
        "control: the largest seed (no random step without exposure control)",
    )

    def stop_at_two(d):
        d["settings"]["max_total"] = 2
        d["pending"] = None

    write(
        "stopped.json",
        edited(stop_at_two),
        None,
        "control: max_total 2 reached by the log; resumes stopped",
    )
    case(
        "stopped.json",
        "cat_stopped",
        "an answer after the session stopped",
        {"item": pending, "value": 2},
    )
    write("empty.json", "", "session_syntax", "empty text")
    write("truncated.json", valid_text[: len(valid_text) // 2], "session_syntax", "cut off")
    write("not-an-object.json", "[1, 2, 3]\n", "session_syntax", "an array, not an object")
    write(
        "unknown-field.json",
        edited(put(["student"], "S0001")),
        "session_syntax",
        "a field the format does not have",
        "unknown field `student`",
    )
    write(
        "nan-setting.json",
        edited(put(["settings", "se_target"], "@nan"), "@nan", "NaN"),
        "session_syntax",
        "NaN (not JSON)",
    )
    write(
        "huge-seed.json",
        edited(put(["seed"], 2**64)),
        "session_syntax",
        "seed 2^64, beyond u64",
    )
    write(
        "huge-value.json",
        edited(put(["responses", 0, "value"], "@big"), "@big", "1e999"),
        "session_syntax",
        "a logged answer of 1e999",
    )
    write(
        "huge-grid.json",
        edited(put(["settings", "estimation", "scoring", "grid", "points"], 4_000_000_000)),
        "invalid_setting",
        "a grid of 4e9 points (a usize even on wasm32): refused before anything is allocated",
        "quadrature.points",
    )
    write(
        "wrong-format.json",
        edited(put(["format"], "bagdar-cat-sesion")),
        "invalid_session",
        "another format name",
        'is not "bagdar-cat-session"',
    )
    write(
        "future-version.json",
        edited(put(["version"], 2)),
        "invalid_session",
        "format version 2",
        "version 2 is not supported",
    )
    write(
        "other-instrument.json",
        other_text,
        "checksum_mismatch",
        "a valid session of the demo instrument (written by the core), not of this one",
    )
    write(
        "unknown-language.json",
        edited(put(["language"], "de")),
        "unknown_id",
        "a language the instrument lacks",
        '"de"',
    )
    write(
        "unknown-item.json",
        edited(put(["responses", 1, "item"], "ZZ99")),
        "invalid_session",
        "tampered log: an item id the instrument lacks",
        "the log has item ZZ99",
    )
    write(
        "reordered-log.json",
        edited(lambda d: d["responses"].reverse()),
        "invalid_session",
        "tampered log: the answers swapped, so replay selects another item first",
        f"responses[0]: the log has item {valid['responses'][1]['item']}",
    )
    write(
        "value-not-an-option.json",
        edited(put(["responses", 0, "value"], 6)),
        "invalid_session",
        "tampered log: an answer that is not an option",
        "value 6 of item",
    )
    write(
        "category-mismatch.json",
        edited(put(["responses", 0, "category"], 4)),
        "invalid_session",
        "tampered log: a category that does not match the value",
        "is not category 4",
    )
    write(
        "wrong-pending.json",
        edited(put(["pending"], "VE01")),
        "invalid_session",
        "a pending item replay does not select",
        "item VE01 is pending",
    )
    return cases


XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    # Style 1 is Excel's built-in date format 14 (m/d/yyyy): its cells are dates.
    "xl/styles.xml": (
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
        "</cellXfs></styleSheet>"
    ),
}


class Date(int):
    """An Excel date serial (days since 1899-12-30), written with a date format."""


def xlsx(rows: list[list]) -> bytes:
    """A one-sheet .xlsx: str cells inline, int/float numbers, bool, Date, None blank.
    Stored (not deflated) with fixed times, so the bytes are reproducible."""

    def column(i: int) -> str:
        name = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            name = chr(65 + r) + name
        return name

    def cell(ref: str, value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, Date):
            return f'<c r="{ref}" s="1"><v>{int(value)}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value!r}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'

    body = "".join(
        f'<row r="{r + 1}">'
        + "".join(cell(f"{column(c)}{r + 1}", v) for c, v in enumerate(row))
        + "</row>"
        for r, row in enumerate(rows)
    )
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    )
    parts = {**XLSX_PARTS, "xl/worksheets/sheet1.xml": sheet}
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for name, xml in parts.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), head + xml)
    return buffer.getvalue()


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
            "rows scored and rejects [row, reason]; sessions: CAT session states resumed "
            "against tests/bad/instrument-small.json (then, with `answer`, answered): error "
            "code (null = must resume) and the error class (Python exception, JS `name`). "
            "Written by tests/bad/make_corpus.py."
        ),
        "instruments": instruments(small),
        "responses": responses(small),
        "sessions": sessions(),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    (HERE / "manifest.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
