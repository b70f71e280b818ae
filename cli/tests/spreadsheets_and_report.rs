//! Excel input and output, value coding, and the department report, end to end through
//! the `bagdar` binary on rows of the bundled demo data.

use calamine::{Data, Reader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn instrument() -> String {
    root()
        .join("data/instruments/kasip-demo.json")
        .to_string_lossy()
        .into_owned()
}

fn bagdar<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bagdar"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bagdar-sheet-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The demo file's header and its first `n` well-formed rows.
fn demo_rows(n: usize) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(root().join("data/demo/responses.csv"))
        .unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect::<Vec<String>>())
        .filter(|r| r.len() == header.len() && r[0].starts_with('S'))
        .take(n)
        .collect();
    (header, rows)
}

fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap();
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

fn score(input: &Path, output: &Path, extra: &[&str]) -> Output {
    let rejects = output.with_extension("rejects.csv");
    let mut args: Vec<String> = vec![
        "score".into(),
        s(input).into(),
        "--instrument".into(),
        instrument(),
        "--output".into(),
        s(output).into(),
        "--rejects".into(),
        s(&rejects).into(),
        "--quiet".into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    bagdar(&args)
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let c = rows[0].iter().position(|h| h == name).unwrap();
    rows[1..].iter().map(|r| r[c].clone()).collect()
}

#[test]
fn excel_in_and_out_match_csv_and_keep_dates_readable() {
    let dir = tmp("excel");
    let (header, mut rows) = demo_rows(40);
    // An id that a spreadsheet turned into a date, and a formula-like school name.
    rows[3][0] = "2011-03-04".into();
    rows[5][2] = "=HYPERLINK(\"http://x\")".into();
    let csv_in = dir.join("in.csv");
    write_csv(&csv_in, &header, &rows);
    let xlsx_in = dir.join("in.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        for (c, h) in header.iter().enumerate() {
            ws.write_string(0, c as u16, h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                if r == 4 && c == 0 {
                    let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2011, 3, 4).unwrap();
                    ws.write_datetime_with_format(r, c, &d, &date).unwrap();
                } else if let Ok(v) = cell.parse::<f64>() {
                    ws.write_number(r, c, v).unwrap();
                } else if !cell.is_empty() {
                    ws.write_string(r, c, cell).unwrap();
                }
            }
        }
        wb.save(&xlsx_in).unwrap();
    }
    let from_csv = dir.join("from-csv.csv");
    assert!(
        score(&csv_in, &from_csv, &["--no-decision"])
            .status
            .success()
    );
    let from_xlsx = dir.join("from-xlsx.xlsx");
    let out = score(&xlsx_in, &from_xlsx, &["--no-decision"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let expected = read_csv(&from_csv);
    let mut workbook = calamine::open_workbook_auto(&from_xlsx).unwrap();
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    let got: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(got.len(), expected.len());
    assert_eq!(got.len(), 41);
    for (e, g) in expected.iter().zip(&got) {
        for (ec, gc) in e.iter().zip(g) {
            match gc {
                Data::Float(v) => {
                    let ev: f64 = ec.parse().unwrap();
                    assert!((ev - v).abs() < 1e-6, "{ec} vs {v}");
                }
                Data::Empty => assert_eq!(ec, ""),
                other => assert_eq!(ec, &other.to_string()),
            }
        }
    }
    assert_eq!(got[4][0], Data::String("2011-03-04".into()));
    // Formula-looking text is neutralized in both formats.
    assert_eq!(expected[6][2], "'=HYPERLINK(\"http://x\")");
    assert_eq!(got[6][2], Data::String("'=HYPERLINK(\"http://x\")".into()));

    // A missing sheet is a clear, fatal error.
    let out = score(&xlsx_in, &dir.join("x.csv"), &["--sheet", "Nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no sheet \"Nope\""));
    assert!(!dir.join("x.csv").exists());
}

#[test]
fn value_shift_and_option_labels_code_the_same_answers() {
    let dir = tmp("coding");
    let (header, rows) = demo_rows(25);
    let items = 4..header.len();
    let plain = dir.join("plain.csv");
    write_csv(&plain, &header, &rows);
    let shifted: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(c, v)| match v.parse::<i64>() {
                    Ok(x) if items.contains(&c) => (x - 1).to_string(),
                    _ => v.clone(),
                })
                .collect()
        })
        .collect();
    let shifted_path = dir.join("shifted.csv");
    write_csv(&shifted_path, &header, &shifted);
    // Likert answers of the first scale as option texts in three languages.
    let texts = [
        [
            "Strongly disagree",
            "Мүлдем келіспеймін",
            "совершенно не согласен(-на)",
        ],
        ["Disagree", "Келіспеймін", "Скорее не согласен(-на)"],
        [
            "Neither agree nor disagree",
            "Бейтараппын",
            "Затрудняюсь ответить",
        ],
        ["agree", "Келісемін", "Скорее согласен(-на)"],
        [
            "Strongly agree",
            "Толық келісемін",
            "Полностью согласен(-на)",
        ],
    ];
    let labelled: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.iter()
                .enumerate()
                .map(|(c, v)| match v.parse::<usize>() {
                    Ok(x) if (4..12).contains(&c) => texts[x - 1][i % 3].to_string(),
                    _ => v.clone(),
                })
                .collect()
        })
        .collect();
    let labelled_path = dir.join("labelled.csv");
    write_csv(&labelled_path, &header, &labelled);

    let outputs = [
        (plain.clone(), dir.join("a.csv"), vec![]),
        (
            shifted_path.clone(),
            dir.join("b.csv"),
            vec!["--value-shift", "1"],
        ),
        (
            labelled_path.clone(),
            dir.join("c.csv"),
            vec!["--value-labels"],
        ),
    ];
    for (input, output, extra) in &outputs {
        let mut args = vec!["--no-decision"];
        args.extend(extra);
        let out = score(input, output, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let a = read_csv(&outputs[0].1);
    for other in [&outputs[1].1, &outputs[2].1] {
        let b = read_csv(other);
        assert_eq!(column(&a, "realistic_theta"), column(&b, "realistic_theta"));
        assert_eq!(column(&a, "numerical_theta"), column(&b, "numerical_theta"));
        assert_eq!(b.len(), 26);
    }
    // Without --value-labels the texts are rejected, row by row, with the reason.
    let out = score(&labelled_path, &dir.join("d.csv"), &["--no-decision"]);
    assert!(out.status.success());
    let rejects = read_csv(&dir.join("d.rejects.csv"));
    assert_eq!(rejects.len(), 26);
    assert!(rejects[1..].iter().all(|r| r[2] == "not_a_number"));
    // With it, a text that is no option is its own reason.
    let mut odd = labelled.clone();
    odd[0][4] = "maybe".into();
    let odd_path = dir.join("odd.csv");
    write_csv(&odd_path, &header, &odd);
    let out = score(
        &odd_path,
        &dir.join("e.csv"),
        &["--no-decision", "--value-labels"],
    );
    assert!(out.status.success());
    let rejects = read_csv(&dir.join("e.rejects.csv"));
    assert_eq!(rejects.len(), 2);
    assert_eq!(rejects[1][2], "unknown_label");
    assert!(rejects[1][3].contains("\"maybe\""), "{:?}", rejects[1]);
}

/// The HTML table row whose header cells start with these texts.
fn html_row<'a>(html: &'a str, starts: &str) -> &'a str {
    let at = html
        .find(starts)
        .unwrap_or_else(|| panic!("no row {starts}"));
    let end = html[at..].find("</tr>").unwrap();
    &html[at..at + end]
}

#[test]
fn department_report_counts_suppresses_and_stays_offline() {
    let dir = tmp("report");
    let (header, mut rows) = demo_rows(150);
    for (i, r) in rows.iter_mut().enumerate() {
        let (region, school) = match i {
            0..100 => ("North", "N-1"),
            100..130 => ("North", "N-2"),
            130..134 => ("North", "N-3"),
            _ => ("South <b>", "S-1"),
        };
        r[1] = region.into();
        r[2] = school.into();
    }
    // Two malformed rows: the accounting must show them.
    let mut bad = rows[0].clone();
    bad[0] = "X1".into();
    bad[10] = "9".into();
    rows.push(bad);
    let mut short = rows[1].clone();
    short.truncate(20);
    short[0] = "X2".into();
    rows.push(short);
    let input = dir.join("responses.csv");
    write_csv(&input, &header, &rows);
    let scores = dir.join("scores.csv");
    let out = score(&input, &scores, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let html_path = dir.join("report.html");
    let out = bagdar(&[
        "report",
        s(&scores),
        "--instrument",
        &instrument(),
        "--output",
        s(&html_path),
        "--lang",
        "kk",
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("<html lang=\"kk\">"));
    assert!(
        html.contains("Білім басқармасының есебі") || html.contains("білім басқармасының есебі")
    );
    assert!(
        html.contains("Мұғалім") || html.contains("мұғалім"),
        "teacher profile named in Kazakh"
    );
    assert!(
        html.contains("152 оқылды = 150 бағаланды + 2 қабылданбады"),
        "row accounting"
    );
    // Regions: North 134, South 16 (its name escaped, not markup).
    assert!(html_row(&html, "<tr><th scope=\"row\">North</th>").contains("<td>134</td>"));
    assert!(html_row(&html, "<tr><th scope=\"row\">South &lt;b&gt;</th>").contains("<td>16</td>"));
    assert!(!html.contains("South <b>"));
    // Schools of North: N-3 (4 students) is suppressed, and N-2, the smallest other
    // school, with it, so 134 − 100 cannot reveal N-3; N-1 stays.
    let n1 = html_row(&html, "<tr><th scope=\"row\">North</th><td>N-1</td>");
    assert!(n1.contains("<td>100</td>"), "{n1}");
    for school in ["N-2", "N-3"] {
        let row = html_row(
            &html,
            &format!("<tr><th scope=\"row\">North</th><td>{school}</td>"),
        );
        assert!(row.contains("&lt;10"), "{row}");
        assert!(!row.contains('%') && !row.contains("("), "{row}");
    }
    // Self-contained: no external resource of any kind.
    for needle in ["http://", "https://", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(needle), "report references {needle}");
    }
    assert!(html.matches("<svg").count() >= 12, "charts are inline SVG");

    // The Excel report holds the same suppression.
    let xlsx_path = dir.join("report.xlsx");
    let out = bagdar(&[
        "report",
        s(&scores),
        "--instrument",
        &instrument(),
        "--output",
        s(&xlsx_path),
        "--lang",
        "en",
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut workbook = calamine::open_workbook_auto(&xlsx_path).unwrap();
    let names = workbook.sheet_names();
    assert_eq!(names[..3], ["Overview", "Region", "School"]);
    let schools = workbook.worksheet_range("School").unwrap();
    let lines: Vec<Vec<String>> = schools
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let n3 = lines.iter().find(|r| r[1] == "N-3").unwrap();
    assert!(n3[2..].iter().all(|c| c == "<10"), "{n3:?}");
    let n1 = lines.iter().find(|r| r[1] == "N-1").unwrap();
    assert_eq!(n1[2], "100");

    // With the responses, the fairness section tests every item across language forms.
    let with_dif = dir.join("report-dif.html");
    let out = bagdar(&[
        "report",
        s(&scores),
        "--instrument",
        &instrument(),
        "--output",
        s(&with_dif),
        "--responses",
        s(&input),
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&with_dif).unwrap();
    assert!(html.contains("Differential item functioning across language forms"));
    assert!(html.contains("Items C"));

    // Scores from another instrument version are refused, and nothing is written.
    let mut tampered = read_csv(&scores);
    let c = tampered[0]
        .iter()
        .position(|h| h == "instrument_checksum")
        .unwrap();
    tampered[7][c] = "0".repeat(64);
    let tampered_path = dir.join("tampered.csv");
    write_csv(&tampered_path, &tampered[0], &tampered[1..]);
    let other = dir.join("other.html");
    let out = bagdar(&[
        "report",
        s(&tampered_path),
        "--instrument",
        &instrument(),
        "--output",
        s(&other),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        message.contains("row 7") && message.contains("another instrument version"),
        "{message}"
    );
    assert!(!other.exists());
}
