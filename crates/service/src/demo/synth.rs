//! Deterministic synthetic data for the demo and the benchmarks: natural
//! persons with valid 身份证号 (sex matching the sequence digit, birth date
//! matching the number) in 清远市's eight counties, and enterprises with
//! valid 统一社会信用代码. The same seed gives the same rows.

use chrono::{Duration, NaiveDate};

use pubdata_domain::ids::{credit_code_check, id_card_check};

/// SplitMix64: small, fast, stable across versions (unlike library RNGs).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const COUNTIES: &[(&str, &str, &[&str])] = &[
    (
        "441802",
        "清城区",
        &[
            "凤城街道",
            "东城街道",
            "洲心街道",
            "横荷街道",
            "源潭镇",
            "龙塘镇",
        ],
    ),
    (
        "441803",
        "清新区",
        &["太和镇", "山塘镇", "三坑镇", "龙颈镇", "禾云镇"],
    ),
    (
        "441821",
        "佛冈县",
        &["石角镇", "汤塘镇", "迳头镇", "水头镇"],
    ),
    (
        "441823",
        "阳山县",
        &["阳城镇", "七拱镇", "太平镇", "黎埠镇"],
    ),
    (
        "441825",
        "连山壮族瑶族自治县",
        &["吉田镇", "太保镇", "永和镇"],
    ),
    (
        "441826",
        "连南瑶族自治县",
        &["三江镇", "寨岗镇", "大麦山镇"],
    ),
    (
        "441881",
        "英德市",
        &["英城街道", "大站镇", "望埠镇", "连江口镇", "浛洸镇"],
    ),
    (
        "441882",
        "连州市",
        &["连州镇", "星子镇", "保安镇", "西岸镇"],
    ),
];

const SURNAMES: &[&str] = &[
    "陈", "李", "黄", "张", "梁", "刘", "林", "何", "罗", "吴", "郑", "谢", "邓", "冯", "曾", "朱",
    "赖", "周", "潘", "莫",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "华", "建", "文", "玲", "婷", "晓", "海", "燕",
];
const NATIONS: &[&str] = &[
    "汉族", "汉族", "汉族", "汉族", "汉族", "汉族", "瑶族", "壮族",
];
const MARITAL: &[&str] = &["未婚", "已婚", "已婚", "已婚", "离婚", "丧偶"];

/// The header of the population file.
pub const POPULATION_HEADER: &[&str] = &[
    "公民身份号码",
    "姓名",
    "性别",
    "出生日期",
    "民族",
    "户籍地址",
    "联系电话",
    "所属区县",
    "登记日期",
    "婚姻状况",
];

/// One natural person, as CSV fields in [`POPULATION_HEADER`] order.
pub fn person(rng: &mut Rng, n: u64) -> [String; 10] {
    // Person `n` gets a distinct (county, birth date, sequence) for n < 132
    // million: county n % 8, then a bijection of the rest onto dates × sequences.
    let (code, county, towns) = &COUNTIES[(n % 8) as usize];
    let m = n / 8;
    let day = (m % 33_000) * 7919 % 33_000;
    let birth = NaiveDate::from_ymd_opt(1930, 1, 1).expect("valid") + Duration::days(day as i64);
    let male = rng.below(2) == 0;
    // The sequence's last digit is odd for men.
    let seq = ((m / 33_000) % 500) * 2 + if male { 1 } else { 0 };
    let first17 = format!("{code}{}{seq:03}", birth.format("%Y%m%d"));
    let id = format!("{first17}{}", id_card_check(first17.as_bytes()));
    let name = format!(
        "{}{}{}",
        rng.pick(SURNAMES),
        rng.pick(GIVEN),
        if rng.below(3) == 0 {
            ""
        } else {
            rng.pick(GIVEN)
        }
    );
    let town = rng.pick(towns);
    let registered = birth + Duration::days(rng.below(365) as i64);
    [
        id,
        name,
        if male { "男" } else { "女" }.into(),
        birth.to_string(),
        rng.pick(NATIONS).to_string(),
        format!(
            "广东省清远市{county}{town}{}村{}号",
            rng.below(30) + 1,
            rng.below(200) + 1
        ),
        format!(
            "1{}{:09}",
            [3, 5, 8][rng.below(3) as usize],
            rng.below(1_000_000_000)
        ),
        county.to_string(),
        registered.to_string(),
        rng.pick(MARITAL).to_string(),
    ]
}

/// Writes `rows` persons as UTF-8 CSV; identity numbers are unique (up to
/// 132 million rows) and the same seed gives the same file.
pub fn write_population(out: &mut dyn std::io::Write, rows: u64, seed: u64) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(POPULATION_HEADER)
        .map_err(std::io::Error::other)?;
    let mut rng = Rng::new(seed);
    for n in 0..rows {
        w.write_record(person(&mut rng, n))
            .map_err(std::io::Error::other)?;
    }
    w.flush()
}

const CREDIT_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const INDUSTRY: &[&str] = &[
    "科技", "贸易", "建材", "食品", "物流", "电子", "农业", "旅游", "医药", "陶瓷",
];
const FORMS: &[&str] = &["有限公司", "有限责任公司", "股份有限公司"];

/// The header of the enterprise file.
pub const ENTERPRISE_HEADER: &[&str] = &[
    "统一社会信用代码",
    "企业名称",
    "法定代表人",
    "成立日期",
    "注册资本",
    "所属区县",
    "登记状态",
];

/// One enterprise, as CSV fields in [`ENTERPRISE_HEADER`] order.
pub fn enterprise(rng: &mut Rng, n: u64) -> [String; 7] {
    let (code, county, _) = rng.pick(COUNTIES);
    let mut body = format!("91{code}");
    // A 9-character organisation code derived from `n` keeps codes unique.
    let mut x = n;
    let mut org = Vec::new();
    for _ in 0..9 {
        org.push(CREDIT_ALPHABET[(x % 31) as usize]);
        x /= 31;
    }
    org.reverse();
    body.push_str(std::str::from_utf8(&org).expect("ascii"));
    let check = credit_code_check(body.as_bytes()).expect("valid alphabet");
    let founded = NaiveDate::from_ymd_opt(1990, 1, 1).expect("valid")
        + Duration::days(rng.below(12_500) as i64);
    [
        format!("{body}{check}"),
        format!(
            "清远市{}{}{}",
            rng.pick(GIVEN),
            rng.pick(INDUSTRY),
            rng.pick(FORMS)
        ),
        format!(
            "{}{}{}",
            rng.pick(SURNAMES),
            rng.pick(GIVEN),
            rng.pick(GIVEN)
        ),
        founded.to_string(),
        format!("{}", (rng.below(500) + 1) * 10),
        county.to_string(),
        if rng.below(20) == 0 {
            "注销"
        } else {
            "存续"
        }
        .into(),
    ]
}

pub fn write_enterprises(
    out: &mut dyn std::io::Write,
    rows: u64,
    seed: u64,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(ENTERPRISE_HEADER)
        .map_err(std::io::Error::other)?;
    let mut rng = Rng::new(seed);
    for n in 0..rows {
        w.write_record(enterprise(&mut rng, n))
            .map_err(std::io::Error::other)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubdata_domain::ids::{validate_credit_code, validate_id_card};

    #[test]
    fn generated_people_are_valid_and_consistent() {
        let mut rng = Rng::new(7);
        for n in 0..2000 {
            let p = person(&mut rng, n);
            assert_eq!(validate_id_card(&p[0]), Ok(()), "{}", p[0]);
            assert_eq!(
                p[0][6..14],
                p[3].replace('-', ""),
                "birth date matches the number"
            );
            let odd = (p[0].as_bytes()[16] - b'0') % 2 == 1;
            assert_eq!(odd, p[2] == "男", "sex matches the sequence digit");
        }
    }

    #[test]
    fn generated_enterprises_have_valid_unique_codes() {
        let mut rng = Rng::new(7);
        let mut seen = std::collections::HashSet::new();
        for n in 0..5000 {
            let e = enterprise(&mut rng, n);
            assert_eq!(validate_credit_code(&e[0]), Ok(()));
            assert!(seen.insert(e[0].clone()));
        }
    }

    #[test]
    fn identity_numbers_do_not_repeat() {
        let mut rng = Rng::new(1);
        let mut seen = std::collections::HashSet::new();
        for n in 0..300_000 {
            assert!(seen.insert(person(&mut rng, n)[0].clone()), "person {n}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_file() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_population(&mut a, 100, 42).unwrap();
        write_population(&mut b, 100, 42).unwrap();
        assert_eq!(a, b);
    }
}
