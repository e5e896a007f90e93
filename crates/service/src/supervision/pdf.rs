//! The evaluation report as PDF (考核评估报告 PDF版): A4 landscape, Chinese
//! text in Noto Sans CJK SC (a GB 2312 cut embedded in the binary, subset
//! again per document by krilla), a bar chart drawn as vector shapes and
//! one table per figure group, each agency a row and the level's total last.
//!
//! Layout is done first into pages of drawing operations ([`Op`]), so page
//! breaks and "page n of m" need no back-tracking; the pages are then
//! painted with krilla.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime as PdfDateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use super::{AgencyFigures, FIGURE_GROUPS, Figure, Report};
use crate::error::{Result, ServiceError};

/// Noto Sans CJK SC Regular, cut to GB 2312 (assets/fonts/README.md).
static FONT_BYTES: &[u8] =
    include_bytes!("../../../../assets/fonts/NotoSansCJKsc-GB2312-Regular.otf");

static FONT: LazyLock<Option<Font>> = LazyLock::new(|| Font::new(FONT_BYTES.into(), 0));

/// A4 landscape, in points.
const W: f32 = 842.0;
const H: f32 = 595.0;
const MARGIN: f32 = 40.0;
/// Where the content of a page ends (the footer below).
const BOTTOM: f32 = H - 50.0;

type Rgb = (u8, u8, u8);
const BLACK: Rgb = (0x22, 0x22, 0x22);
const GREY: Rgb = (0x66, 0x66, 0x66);
const RULE: Rgb = (0xbb, 0xbb, 0xbb);
const SHADE: Rgb = (0xee, 0xf1, 0xf5);
/// The chart's series colours (as the dashboard's chart).
const SERIES: [Rgb; 5] = [
    (0x54, 0x70, 0xc6),
    (0x91, 0xcc, 0x75),
    (0xfa, 0xc8, 0x58),
    (0xee, 0x66, 0x66),
    (0x73, 0xc0, 0xde),
];

/// One drawing operation on a page.
#[derive(Debug, Clone)]
enum Op {
    /// Text with its baseline's left end at (x, y).
    Text {
        x: f32,
        y: f32,
        size: f32,
        color: Rgb,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb,
    },
}

/// The width of `s` at `size`: CJK and full-width characters are one em,
/// the rest (Latin letters, digits) about half of one in this font.
fn text_width(s: &str, size: f32) -> f32 {
    s.chars()
        .map(|c| if (c as u32) < 0x2E80 { 0.55 } else { 1.0 })
        .sum::<f32>()
        * size
}

/// `s` cut (with an ellipsis) to fit `width` at `size`.
fn fit(s: &str, size: f32, width: f32) -> String {
    if text_width(s, size) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        let next = format!("{out}{c}…");
        if text_width(&next, size) > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Lays the report out into pages.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Layout {
            pages: vec![vec![]],
            y: MARGIN,
        }
    }

    fn op(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
    }

    fn text(&mut self, x: f32, y: f32, size: f32, color: Rgb, text: impl Into<String>) {
        self.op(Op::Text {
            x,
            y,
            size,
            color,
            text: text.into(),
        });
    }

    /// Text ending at `right`.
    fn text_right(&mut self, right: f32, y: f32, size: f32, color: Rgb, text: &str) {
        let x = right - text_width(text, size);
        self.text(x, y, size, color, text);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.op(Op::Rect { x, y, w, h, color });
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, color: Rgb) {
        self.op(Op::Line {
            x1,
            y1,
            x2,
            y2,
            width: 0.5,
            color,
        });
    }

    fn new_page(&mut self) {
        self.pages.push(vec![]);
        self.y = MARGIN;
    }

    /// Starts a new page unless `h` more points fit on this one; true if it did.
    fn need(&mut self, h: f32) -> bool {
        if self.y + h > BOTTOM {
            self.new_page();
            true
        } else {
            false
        }
    }

    fn heading(&mut self, text: &str) {
        self.need(60.0);
        self.y += 22.0;
        self.text(MARGIN, self.y, 13.0, BLACK, text);
        self.y += 10.0;
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.2}"))
}

fn count(a: &AgencyFigures, f: Figure) -> i64 {
    a.counts.get(f.as_str()).copied().unwrap_or(0)
}

/// A derived column: its heading and how a row's cell is computed.
type Derived = (&'static str, fn(&AgencyFigures) -> String);

/// The columns of a group's table after its counts: rates and means.
fn derived(group: &str) -> Vec<Derived> {
    match group {
        "aggregation" => vec![("平均质量得分", |a| num(a.quality_mean))],
        "sharing" => vec![
            ("按时答复率", |a| pct(a.share_answer_rate)),
            ("按时实施率", |a| pct(a.share_implement_rate)),
            ("平均答复工作日", |a| num(a.share_answer_days_mean)),
        ],
        "objections" => vec![("异议按时处理率", |a| pct(a.objection_rate))],
        _ => vec![],
    }
}

const CHINESE_ORDINALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// The chart's series: the figures the dashboard charts.
const CHART: [Figure; 5] = [
    Figure::ShareAnswered,
    Figure::ShareAnsweredInTime,
    Figure::DatasetsOnTime,
    Figure::DatasetsStale,
    Figure::OpenDatasets,
];

/// A horizontal grouped bar chart: one band per agency, one bar per series.
fn chart(l: &mut Layout, agencies: &[AgencyFigures]) {
    let name_w = 170.0;
    let left = MARGIN + name_w;
    let right = W - MARGIN - 30.0;
    let bar = 4.0;
    let band = bar * CHART.len() as f32 + 7.0;
    let max = agencies
        .iter()
        .flat_map(|a| CHART.iter().map(|f| count(a, *f)))
        .max()
        .unwrap_or(0)
        .max(1) as f32;
    let legend = |l: &mut Layout| {
        let mut x = left;
        for (i, f) in CHART.iter().enumerate() {
            l.rect(x, l.y - 7.0, 8.0, 8.0, SERIES[i]);
            l.text(x + 11.0, l.y, 8.0, BLACK, f.zh());
            x += 11.0 + text_width(f.zh(), 8.0) + 16.0;
        }
        l.y += 10.0;
    };
    legend(l);
    if agencies.is_empty() {
        l.y += 14.0;
        l.text(left, l.y, 9.0, GREY, "本层级无单位");
        return;
    }
    let mut top = l.y;
    for a in agencies {
        if l.need(band) {
            legend(l);
            top = l.y;
        }
        let name = fit(&a.org_name, 8.0, name_w - 8.0);
        l.text_right(left - 6.0, l.y + band / 2.0 + 2.5, 8.0, BLACK, &name);
        for (i, f) in CHART.iter().enumerate() {
            let n = count(a, *f);
            let y = l.y + 3.5 + bar * i as f32;
            let w = (right - left) * n as f32 / max;
            if n > 0 {
                l.rect(left, y, w.max(0.5), bar - 0.5, SERIES[i]);
            }
            l.text(left + w + 2.0, y + bar, 5.5, GREY, n.to_string());
        }
        l.y += band;
        if l.y + band > BOTTOM {
            l.line(left, top, left, l.y, GREY);
        }
    }
    l.line(left, top, left, l.y, GREY);
    l.line(left, l.y, right, l.y, GREY);
    // The scale: 0 and the largest count.
    l.text(left - 2.0, l.y + 9.0, 7.0, GREY, "0");
    l.text_right(right, l.y + 9.0, 7.0, GREY, &format!("{}", max as i64));
    l.y += 12.0;
}

/// One figure group's table: the unit column, a column per figure and the
/// group's rates; each agency a row, the level's total last (shaded).
fn table(
    l: &mut Layout,
    heads: &[&str],
    rows: &[(String, Vec<String>)],
    total: &(String, Vec<String>),
) {
    let unit_w = 210.0;
    let cols = heads.len().max(1) as f32;
    let col_w = ((W - 2.0 * MARGIN - unit_w) / cols).min(90.0);
    let row_h = 16.0;
    let header = |l: &mut Layout| {
        l.rect(MARGIN, l.y, unit_w + col_w * cols, row_h + 4.0, SHADE);
        l.text(MARGIN + 4.0, l.y + 13.0, 8.0, BLACK, "单位");
        for (i, h) in heads.iter().enumerate() {
            let right = MARGIN + unit_w + col_w * (i + 1) as f32 - 4.0;
            let h = fit(h, 8.0, col_w - 6.0);
            l.text_right(right, l.y + 13.0, 8.0, BLACK, &h);
        }
        l.y += row_h + 4.0;
    };
    l.need(row_h * 3.0);
    header(l);
    for (i, (name, cells)) in rows.iter().chain(std::iter::once(total)).enumerate() {
        if l.need(row_h) {
            header(l);
        }
        let last = i == rows.len();
        if last {
            l.rect(MARGIN, l.y, unit_w + col_w * cols, row_h, SHADE);
        }
        let name = if last {
            format!("合计（{name}）")
        } else {
            name.clone()
        };
        l.text(
            MARGIN + 4.0,
            l.y + 11.5,
            9.0,
            BLACK,
            fit(&name, 9.0, unit_w - 8.0),
        );
        for (c, v) in cells.iter().enumerate() {
            let right = MARGIN + unit_w + col_w * (c + 1) as f32 - 4.0;
            l.text_right(right, l.y + 11.5, 9.0, BLACK, v);
        }
        l.y += row_h;
        l.line(MARGIN, l.y, MARGIN + unit_w + col_w * cols, l.y, RULE);
    }
    l.y += 6.0;
}

impl Report {
    /// The report as a PDF with its Chinese text embedded (a subset of
    /// Noto Sans CJK SC); text is extractable (ToUnicode maps).
    pub fn to_pdf(&self, generated_at: DateTime<Utc>) -> Result<Vec<u8>> {
        let font = FONT.clone().ok_or_else(|| {
            ServiceError::Internal("the embedded report font does not parse".into())
        })?;
        let f = &self.figures;
        let generated = generated_at.with_timezone(&pubdata_domain::calendar::cst());
        let mut l = Layout::new();
        // Title and what the report covers.
        l.y += 20.0;
        let title = fit(&self.title, 18.0, W - 2.0 * MARGIN);
        l.text(MARGIN, l.y, 18.0, BLACK, title);
        l.y += 24.0;
        for line in [
            format!("考核层级：{}", f.level_name),
            format!("考核期间：{}（{} 至 {}）", self.period_zh(), f.from, f.to),
            format!(
                "生成时间：{}（北京时间）",
                generated.format("%Y-%m-%d %H:%M")
            ),
            format!(
                "统计口径：依据平台记录的目录、归集、共享、异议和开放数据自动计算，单位数 {}",
                f.agencies.len()
            ),
        ] {
            l.text(MARGIN, l.y, 10.0, GREY, line);
            l.y += 15.0;
        }
        let mut section = 0;
        let mut next = |zh: &str| {
            let n = CHINESE_ORDINALS.get(section).copied().unwrap_or("十");
            section += 1;
            format!("{n}、{zh}")
        };
        l.heading(&next("各单位主要指标"));
        l.y += 8.0;
        chart(&mut l, &f.agencies);
        for g in FIGURE_GROUPS {
            let extra = derived(g.key);
            let mut heads: Vec<&str> = g.figures.iter().map(|x| x.zh()).collect();
            heads.extend(extra.iter().map(|(h, _)| *h));
            let cells = |a: &AgencyFigures| -> Vec<String> {
                g.figures
                    .iter()
                    .map(|x| count(a, *x).to_string())
                    .chain(extra.iter().map(|(_, v)| v(a)))
                    .collect()
            };
            let rows: Vec<(String, Vec<String>)> = f
                .agencies
                .iter()
                .map(|a| (a.org_name.clone(), cells(a)))
                .collect();
            let total = (f.totals.org_name.clone(), cells(&f.totals));
            l.heading(&next(g.zh));
            table(&mut l, &heads, &rows, &total);
        }
        // Paint the pages, with a footer on each.
        let pages = l.pages.len();
        let mut doc = Document::new();
        doc.set_metadata(
            Metadata::new()
                .title(self.title.clone())
                .language("zh-CN".into())
                .creator("pubdata".into())
                .creation_date(
                    PdfDateTime::new(generated.format("%Y").to_string().parse().unwrap_or(2026))
                        .month(generated.format("%m").to_string().parse().unwrap_or(1))
                        .day(generated.format("%d").to_string().parse().unwrap_or(1))
                        .hour(generated.format("%H").to_string().parse().unwrap_or(0))
                        .minute(generated.format("%M").to_string().parse().unwrap_or(0))
                        .utc_offset_hour(8),
                ),
        );
        let settings = PageSettings::from_wh(W, H)
            .ok_or_else(|| ServiceError::Internal("bad page size".into()))?;
        for (i, ops) in l.pages.iter().enumerate() {
            let mut page = doc.start_page_with(settings.clone());
            let mut s = page.surface();
            let footer = format!("{} · 第 {} 页 / 共 {} 页", self.title, i + 1, pages);
            let footer_ops = [
                Op::Line {
                    x1: MARGIN,
                    y1: H - 38.0,
                    x2: W - MARGIN,
                    y2: H - 38.0,
                    width: 0.5,
                    color: RULE,
                },
                Op::Text {
                    x: MARGIN,
                    y: H - 26.0,
                    size: 8.0,
                    color: GREY,
                    text: fit(&footer, 8.0, W - 2.0 * MARGIN),
                },
            ];
            for op in ops.iter().chain(footer_ops.iter()) {
                paint(&mut s, &font, op);
            }
            s.finish();
            page.finish();
        }
        doc.finish()
            .map_err(|e| ServiceError::Internal(format!("PDF: {e:?}").into()))
    }

    /// `2026年度` or `2026年第三季度`.
    fn period_zh(&self) -> String {
        super::Period::parse(&self.period)
            .map(|p| p.zh())
            .unwrap_or_else(|_| self.period.clone())
    }
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn paint(s: &mut krilla::surface::Surface<'_>, font: &Font, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            size,
            color,
            text,
        } => {
            s.set_fill(Some(fill(*color)));
            s.set_stroke(None);
            s.draw_text(
                Point::from_xy(*x, *y),
                font.clone(),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Op::Rect { x, y, w, h, color } => {
            let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                return;
            };
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            if let Some(path) = pb.finish() {
                s.set_fill(Some(fill(*color)));
                s.set_stroke(None);
                s.draw_path(&path);
            }
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            if let Some(path) = pb.finish() {
                s.set_fill(None);
                s.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(color.0, color.1, color.2).into(),
                    width: *width,
                    ..Default::default()
                }));
                s.draw_path(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_to_fit_with_an_ellipsis() {
        assert_eq!(fit("清远市民政局", 10.0, 100.0), "清远市民政局");
        let cut = fit("清远市某某某某某某某某某某某某局", 10.0, 60.0);
        assert!(
            cut.ends_with('…') && text_width(&cut, 10.0) <= 60.0,
            "{cut}"
        );
    }
}
