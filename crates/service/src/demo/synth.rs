//! Deterministic synthetic data for the demo and the benchmarks: natural
//! persons with valid 身份证号 (sex matching the sequence digit, birth date
//! matching the number) in 清远市's eight counties, enterprises with
//! valid 统一社会信用代码, and rows for any catalogue entry's information
//! items ([`item_table`]). The same seed gives the same rows.

use chrono::{Datelike, Duration, NaiveDate};

use pubdata_domain::catalog::{DataItem, DataType};
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
        &[
            "英城街道",
            "大站镇",
            "望埠镇",
            "连江口镇",
            "浛洸镇",
            "沙口镇",
            "横石水镇",
            "桥头镇",
            "青塘镇",
            "白沙镇",
            "西牛镇",
            "九龙镇",
            "大湾镇",
            "石灰铺镇",
            "石牯塘镇",
            "下太镇",
            "波罗镇",
            "横石塘镇",
            "大洞镇",
            "黎溪镇",
            "水边镇",
            "英红镇",
            "东华镇",
            "黄花镇",
        ],
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
    let m = n / 8;
    let day = (m % 33_000) * 7919 % 33_000;
    let birth = NaiveDate::from_ymd_opt(1930, 1, 1).expect("valid") + Duration::days(day as i64);
    person_born(rng, (n % 8) as usize, birth, (m / 33_000) % 500)
}

/// A person of county `county` (an index into the eight) born on `birth`,
/// with the sequence number `seq_base * 2`, plus one for a man.
fn person_born(rng: &mut Rng, county: usize, birth: NaiveDate, seq_base: u64) -> [String; 10] {
    let (code, county, towns) = &COUNTIES[county];
    let male = rng.below(2) == 0;
    // The sequence's last digit is odd for men.
    let seq = seq_base * 2 + if male { 1 } else { 0 };
    let first17 = format!("{code}{}{seq:03}", birth.format("%Y%m%d"));
    let id = format!("{first17}{}", id_card_check(first17.as_bytes()));
    let name = personal_name(rng);
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
        mobile(rng),
        county.to_string(),
        registered.to_string(),
        rng.pick(MARITAL).to_string(),
    ]
}

/// A Chinese personal name of two or three characters.
fn personal_name(rng: &mut Rng) -> String {
    format!(
        "{}{}{}",
        rng.pick(SURNAMES),
        rng.pick(GIVEN),
        if rng.below(3) == 0 {
            ""
        } else {
            rng.pick(GIVEN)
        }
    )
}

/// A mobile number (13x, 15x or 18x).
fn mobile(rng: &mut Rng) -> String {
    format!(
        "1{}{:09}",
        [3, 5, 8][rng.below(3) as usize],
        rng.below(1_000_000_000)
    )
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

/// An enterprise as the demo's 企业登记 dataset holds it: its name made
/// unique by the registration number.
pub fn registered_enterprise(rng: &mut Rng, n: u64) -> [String; 7] {
    let mut row = enterprise(rng, n);
    row[1] = format!("{}（{}）", row[1], &row[0][8..17]);
    row
}

// --- Rows for a catalogue entry's information items -------------------------
//
// The demo puts a dataset behind every shareable entry. Its columns are the
// entry's information items; each item's values come from a generator chosen
// by the item's name (and, where one name means different things in different
// entries, the entry's name) from the table below, else by its data type.

/// How the values of one information item are made up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gen {
    /// A field of the row's natural person, by [`POPULATION_HEADER`] index.
    Person(usize),
    /// A field of the row's enterprise, by [`ENTERPRISE_HEADER`] index.
    Enterprise(usize),
    /// 学籍号: G and the person's identity number.
    StudentNo,
    /// The row's credit code and a suffix (排污许可证编号).
    CreditSuffix(&'static str),
    PersonName,
    CompanyName,
    /// A street address in the row's county.
    Address,
    /// A town (镇/街道) of the row's county.
    Town,
    Mobile,
    OneOf(&'static [&'static str]),
    /// A number unique to the row: prefix, division code, year, sequence.
    Number(&'static str),
    /// An official document number: `{prefix}〔year〕n号`.
    DocNo(&'static str),
    /// A 号牌号码 of 清远 (粤R).
    Plate,
    /// Yuan with cents, in a range.
    Amount(u64, u64),
    Count(u64, u64),
    /// A whole number with a unit, as text: 1650元/月, 120亩.
    Measure(u64, u64, &'static str),
    /// A date after the row's previous date (a person's 18th birthday, an
    /// enterprise's foundation) up to the as-of date.
    Date,
    /// 1 to N days after the row's previous date.
    DaysAfter(u64),
    /// Within the last N days.
    Recent(u64),
    /// The first day of one of the last 24 months.
    Month,
    DateTime,
    /// A recent year, as text.
    Year,
    /// A statistical period: 2025年1-9月.
    Period,
    /// 有效期限 of an identity card: 2016.05.12-2036.05.12.
    Validity,
    /// A date up to five years after the as-of date.
    Expiry,
    /// The police office of the row's county (签发机关).
    PoliceOffice,
    /// `{county}{suffix}`: a county-level office.
    Office(&'static str),
    /// A hospital serving the row's county.
    Hospital,
    /// `{county}{town}{one of the suffixes}`.
    Place(&'static [&'static str]),
    /// A residential project: 伟明花园.
    Estate,
    /// A bus line, numbered by the row.
    Line,
    /// A surveying product: `{county}{year}年{product}`.
    Survey,
    /// `{item}{row}`: for an item nothing else fits (a test keeps the demo
    /// catalogue off it).
    Text,
}

impl Gen {
    /// The data type of the values it makes.
    fn kind(self) -> DataType {
        match self {
            Gen::Person(3)
            | Gen::Enterprise(3)
            | Gen::Date
            | Gen::DaysAfter(_)
            | Gen::Recent(_)
            | Gen::Month => DataType::Date,
            Gen::Enterprise(4) | Gen::Amount(..) => DataType::Decimal,
            Gen::Count(..) => DataType::Integer,
            Gen::DateTime => DataType::Datetime,
            _ => DataType::String,
        }
    }

    /// Whether its values suit an item of type `t` (anything can be text).
    fn fits(self, t: DataType) -> bool {
        let k = self.kind();
        t == DataType::String || k == t || (t == DataType::Decimal && k == DataType::Integer)
    }

    /// The generator of an item of type `t` whose name matched nothing.
    fn of_type(t: DataType) -> Gen {
        match t {
            DataType::String => Gen::Text,
            DataType::Integer => Gen::Count(1, 1000),
            DataType::Decimal => Gen::Amount(1, 10_000),
            DataType::Date => Gen::Date,
            DataType::Datetime => Gen::DateTime,
            DataType::Boolean => Gen::OneOf(&["是", "否"]),
        }
    }
}

const ROADS: &[&str] = &[
    "人民路",
    "建设路",
    "北江路",
    "先锋路",
    "新城路",
    "和平路",
    "城北路",
    "沿江路",
    "文化路",
    "桥北路",
];
const INDICATORS: &[&str] = &[
    "地区生产总值（亿元）",
    "第一产业增加值（亿元）",
    "第二产业增加值（亿元）",
    "第三产业增加值（亿元）",
    "规模以上工业增加值（亿元）",
    "固定资产投资额（亿元）",
    "社会消费品零售总额（亿元）",
    "一般公共预算收入（亿元）",
    "一般公共预算支出（亿元）",
    "进出口总额（亿元）",
    "出口总额（亿元）",
    "进口总额（亿元）",
    "金融机构本外币存款余额（亿元）",
    "金融机构本外币贷款余额（亿元）",
    "旅游总收入（亿元）",
    "规模以上工业企业营业收入（亿元）",
    "建筑业总产值（亿元）",
    "农林牧渔业总产值（亿元）",
    "房地产开发投资（亿元）",
    "城乡居民储蓄存款余额（亿元）",
];

/// (in the entry's name, in the item's name, generator); the first match wins.
const ITEMS: &[(&str, &str, Gen)] = &[
    // The open catalogue's public-service data (demo/open_catalog.rs).
    (
        "公交站点",
        "站点名称",
        Gen::Place(&["公交站", "站", "客运站"]),
    ),
    ("公交站点", "所在线路", Gen::Line),
    (
        "充电设施",
        "站点名称",
        Gen::Place(&["充电站", "公共充电站"]),
    ),
    ("", "充电桩数", Gen::Count(4, 60)),
    (
        "医疗机构",
        "机构名称",
        Gen::Place(&["卫生院", "社区卫生服务站", "医院", "诊所"]),
    ),
    (
        "定点医药",
        "机构名称",
        Gen::Place(&["大药房", "药店", "卫生院", "医院"]),
    ),
    (
        "",
        "定点类型",
        Gen::OneOf(&["定点医疗机构", "定点零售药店"]),
    ),
    (
        "法律服务",
        "机构名称",
        Gen::Place(&["公共法律服务站", "法律援助工作站", "司法所"]),
    ),
    (
        "",
        "幼儿园名称",
        Gen::Place(&["幼儿园", "中心幼儿园", "实验幼儿园"]),
    ),
    ("", "在园幼儿数", Gen::Count(30, 420)),
    ("", "监测断面", Gen::Place(&["断面", "水质监测断面"])),
    (
        "",
        "水质类别",
        Gen::OneOf(&["Ⅰ类", "Ⅱ类", "Ⅱ类", "Ⅲ类", "Ⅲ类", "Ⅳ类"]),
    ),
    (
        "",
        "达标情况",
        Gen::OneOf(&["达标", "达标", "达标", "未达标"]),
    ),
    (
        "",
        "厕所名称",
        Gen::Place(&["公厕", "公共厕所", "环卫公厕"]),
    ),
    (
        "",
        "开放时段",
        Gen::OneOf(&[
            "全天开放",
            "06:00-22:00",
            "08:00-20:00",
            "09:00-17:00（周一闭馆）",
        ]),
    ),
    ("", "管理单位", Gen::Office("城市管理和综合执法局")),
    (
        "",
        "停车场名称",
        Gen::Place(&["停车场", "公共停车场", "立体停车库"]),
    ),
    ("", "泊位数", Gen::Count(30, 800)),
    (
        "",
        "收费标准",
        Gen::OneOf(&[
            "首小时5元，之后每小时2元",
            "免费",
            "每次10元",
            "白天每小时3元，夜间免费",
        ]),
    ),
    (
        "",
        "公园名称",
        Gen::Place(&["公园", "湿地公园", "口袋公园", "文化公园"]),
    ),
    (
        "",
        "图书馆名称",
        Gen::Place(&["图书馆", "图书分馆", "农家书屋"]),
    ),
    ("", "藏书数", Gen::Count(2_000, 500_000)),
    (
        "",
        "场馆名称",
        Gen::Place(&["体育馆", "全民健身中心", "游泳馆", "体育公园"]),
    ),
    (
        "",
        "场馆类型",
        Gen::OneOf(&["综合馆", "游泳馆", "篮球场", "足球场", "健身广场"]),
    ),
    (
        "",
        "文物名称",
        Gen::OneOf(&[
            "飞来寺",
            "北江古道",
            "燕喜亭",
            "南山摩崖石刻",
            "千年瑶寨",
            "贞女祠",
            "峡山寺",
            "城隍庙",
        ]),
    ),
    (
        "",
        "保护级别",
        Gen::OneOf(&[
            "全国重点文物保护单位",
            "省级文物保护单位",
            "市级文物保护单位",
            "县级文物保护单位",
        ]),
    ),
    (
        "",
        "登记状态",
        Gen::OneOf(&["存续", "存续", "存续", "在业", "迁出"]),
    ),
    (
        "社会保险",
        "网点名称",
        Gen::Place(&["社保服务站", "社会保险经办窗口", "人社服务站"]),
    ),
    (
        "公积金",
        "网点名称",
        Gen::Place(&["公积金服务网点", "住房公积金业务受理点"]),
    ),
    ("成品油", "网点名称", Gen::Place(&["加油站", "加油加气站"])),
    (
        "",
        "服务时段",
        Gen::OneOf(&[
            "工作日 8:30-12:00，14:30-17:30",
            "工作日 9:00-17:00",
            "周一至周六 8:30-17:30",
        ]),
    ),
    (
        "",
        "办公时段",
        Gen::OneOf(&[
            "工作日 8:30-12:00，14:30-17:30",
            "工作日及周六上午 9:00-12:00",
        ]),
    ),
    (
        "",
        "咨询电话",
        Gen::OneOf(&[
            "0763-3362100",
            "0763-3818111",
            "0763-5812345",
            "0763-6632012",
            "0763-4212088",
            "0763-8812110",
        ]),
    ),
    ("", "低保标准", Gen::Measure(700, 1_100, "元/月")),
    (
        "",
        "灾害类型",
        Gen::OneOf(&["滑坡", "崩塌", "泥石流", "地面塌陷"]),
    ),
    (
        "",
        "防治措施",
        Gen::OneOf(&["群测群防监测预警", "工程治理", "搬迁避让"]),
    ),
    ("", "水库名称", Gen::Place(&["水库"])),
    ("", "总库容", Gen::Measure(10, 5_000, "万立方米")),
    (
        "",
        "工程规模",
        Gen::OneOf(&["小（2）型", "小（2）型", "小（1）型", "中型", "大型"]),
    ),
    (
        "农产品",
        "品种",
        Gen::OneOf(&[
            "大米",
            "猪肉",
            "鸡蛋",
            "大白菜",
            "清远鸡",
            "生菜",
            "鲩鱼",
            "番茄",
        ]),
    ),
    ("农产品", "价格", Gen::Measure(3, 60, "元/公斤")),
    (
        "",
        "市场名称",
        Gen::Place(&["农贸市场", "综合市场", "农产品批发市场"]),
    ),
    (
        "重点建设",
        "项目名称",
        Gen::Place(&[
            "产业园建设项目",
            "道路改造工程",
            "污水处理厂工程",
            "学校建设项目",
        ]),
    ),
    ("", "建设单位", Gen::CompanyName),
    ("", "总投资", Gen::Measure(1, 80, "亿元")),
    ("", "建设地点", Gen::Town),
    (
        "",
        "经营单位",
        Gen::OneOf(&[
            "中国石化销售股份有限公司广东清远石油分公司",
            "中国石油天然气股份有限公司广东清远销售分公司",
            "清远市北江能源有限公司",
        ]),
    ),
    ("", "车辆数", Gen::Count(20, 600)),
    (
        "政府采购",
        "采购项目名称",
        Gen::OneOf(&[
            "办公设备采购",
            "物业管理服务",
            "信息化系统运维服务",
            "公务用车租赁服务",
            "道路保洁服务",
            "食堂食材配送服务",
        ]),
    ),
    (
        "",
        "采购单位",
        Gen::OneOf(&[
            "清远市教育局",
            "清远市卫生健康局",
            "清远市交通运输局",
            "清远市城市管理和综合执法局",
            "清远市民政局",
        ]),
    ),
    // The row's subject: a person from the population, an enterprise from 企业登记.
    ("", "公民身份号码", Gen::Person(0)),
    ("", "身份证号", Gen::Person(0)),
    ("", "新生儿姓名", Gen::Person(1)),
    ("", "经营者姓名", Gen::Enterprise(2)),
    ("", "姓名", Gen::Person(1)),
    ("", "性别", Gen::Person(2)),
    ("", "出生日期", Gen::Person(3)),
    ("", "民族", Gen::Person(4)),
    ("", "户籍地址", Gen::Person(5)),
    ("", "学籍号", Gen::StudentNo),
    ("", "统一社会信用代码", Gen::Enterprise(0)),
    ("", "单位名称", Gen::Enterprise(1)),
    ("", "企业名称", Gen::Enterprise(1)),
    ("", "法定代表人", Gen::Enterprise(2)),
    ("", "成立日期", Gen::Enterprise(3)),
    ("", "注册资本", Gen::Enterprise(4)),
    ("", "联系电话", Gen::Mobile),
    ("", "手机", Gen::Mobile),
    // Numbers.
    ("", "号牌号码", Gen::Plate),
    ("排污", "许可证编号", Gen::CreditSuffix("001P")),
    ("食品", "许可证编号", Gen::Number("JY1")),
    ("安全生产", "许可证编号", Gen::Number("AQ")),
    ("道路运输", "许可证号", Gen::Number("粤交运管许可清字")),
    ("", "预售许可证号", Gen::Number("清房预售")),
    ("", "证书编号", Gen::Number("S")),
    ("", "合同编号", Gen::Number("WQ")),
    ("", "协议编号", Gen::Number("YBDD")),
    ("", "批复文号", Gen::DocNo("清府函")),
    ("", "处罚决定书文号", Gen::DocNo("清市监罚")),
    ("", "证件号码", Gen::Number("E")),
    ("", "编号", Gen::Number("")),
    ("", "号", Gen::Number("")),
    // Dates.
    ("殡葬", "死亡日期", Gen::Recent(730)),
    ("", "火化日期", Gen::DaysAfter(7)),
    ("", "监测时间", Gen::Recent(3)),
    ("", "违法时间", Gen::Recent(365)),
    ("", "月份", Gen::Month),
    ("", "有效期限", Gen::Validity),
    ("", "有效期至", Gen::Expiry),
    ("", "年度", Gen::Year),
    ("", "统计期", Gen::Period),
    // Money and counts.
    ("养老保险", "金额", Gen::Amount(1_500, 6_000)),
    ("失业保险", "金额", Gen::Amount(1_500, 1_900)),
    ("残疾人", "金额", Gen::Amount(150, 300)),
    ("最低生活保障", "金额", Gen::Amount(400, 1_100)),
    ("", "统筹支付金额", Gen::Amount(50, 30_000)),
    ("", "欠税余额", Gen::Amount(1_000, 500_000)),
    ("", "月缴存额", Gen::Amount(300, 4_000)),
    ("", "金额", Gen::Amount(100, 10_000)),
    ("国民经济", "数值", Gen::Amount(10, 2_500)),
    ("", "面积", Gen::Amount(500, 200_000)),
    ("", "AQI", Gen::Count(15, 180)),
    ("", "户籍人口数", Gen::Count(20_000, 150_000)),
    ("", "床位数", Gen::Count(20, 800)),
    ("", "人数", Gen::Count(3, 500)),
    ("", "供养标准", Gen::Measure(1_500, 2_200, "元/月")),
    ("", "经营规模", Gen::Measure(50, 3_000, "亩")),
    // Places and bodies.
    ("", "签发机关", Gen::PoliceOffice),
    ("婚姻", "登记机关", Gen::Office("民政局婚姻登记处")),
    ("", "出生地点", Gen::Hospital),
    ("", "镇街", Gen::Town),
    (
        "",
        "机构名称",
        Gen::Place(&["敬老院", "颐养院", "养老服务中心"]),
    ),
    (
        "",
        "学校名称",
        Gen::Place(&["中心小学", "第一小学", "中学", "实验学校"]),
    ),
    ("", "监测点位", Gen::Place(&["空气质量监测站"])),
    (
        "",
        "规划名称",
        Gen::Place(&["控制性详细规划", "村庄规划", "国土空间详细规划"]),
    ),
    ("", "项目名称", Gen::Estate),
    ("", "线路名称", Gen::Line),
    ("", "成果名称", Gen::Survey),
    ("", "用工单位", Gen::CompanyName),
    ("", "缴存单位", Gen::CompanyName),
    (
        "",
        "执业机构",
        Gen::OneOf(&[
            "广东清远律师事务所",
            "广东北江律师事务所",
            "广东凤城律师事务所",
            "广东英德律师事务所",
            "广东连州律师事务所",
            "广东佛冈律师事务所",
        ]),
    ),
    (
        "",
        "业务主管单位",
        Gen::OneOf(&[
            "清远市民政局",
            "清远市教育局",
            "清远市科学技术局",
            "清远市卫生健康局",
            "清远市文化广电旅游体育局",
        ]),
    ),
    (
        "",
        "景区名称",
        Gen::OneOf(&[
            "英西峰林走廊",
            "连州地下河",
            "清新太和古洞",
            "连南千年瑶寨",
            "清远古龙峡",
            "英德宝晶宫",
            "阳山广东第一峰",
            "佛冈观音山王山寺",
            "清新玄真漂流",
            "清新温矿泉",
            "黄腾峡生态旅游区",
            "牛鱼嘴原始生态风景区",
            "英德茶趣园",
            "英德奇洞温泉",
            "英德仙湖温泉",
            "连州福山景区",
            "阳山贤令山",
            "连山金子山",
            "飞来峡风景区",
            "清泉湾温泉",
            "狮子湖度假区",
            "佛冈森波拉度假森林",
        ]),
    ),
    ("", "坐落", Gen::Address),
    ("", "地址", Gen::Address),
    ("", "住所", Gen::Address),
    ("", "场所", Gen::Address),
    // Enumerations.
    (
        "",
        "与户主关系",
        Gen::OneOf(&["户主", "配偶", "子女", "父母", "孙子女", "兄弟姐妹"]),
    ),
    (
        "",
        "车辆类型",
        Gen::OneOf(&[
            "小型普通客车",
            "小型轿车",
            "小型越野客车",
            "轻型普通货车",
            "中型普通客车",
            "重型半挂牵引车",
            "普通二轮摩托车",
        ]),
    ),
    (
        "",
        "准驾车型",
        Gen::OneOf(&["C1", "C2", "B2", "A1", "A2", "D"]),
    ),
    (
        "",
        "违法行为",
        Gen::OneOf(&[
            "机动车违反规定停放",
            "驾驶机动车不按规定使用安全带",
            "超过规定时速未达百分之二十",
            "机动车不按交通信号灯指示通行",
            "驾驶时拨打接听手持电话",
        ]),
    ),
    (
        "",
        "证件类型",
        Gen::OneOf(&["普通护照", "往来港澳通行证", "往来台湾通行证"]),
    ),
    (
        "道路运输",
        "经营范围",
        Gen::OneOf(&[
            "道路普通货物运输",
            "道路危险货物运输",
            "县内班车客运",
            "市际班车客运",
            "旅游客运",
        ]),
    ),
    (
        "",
        "经营范围",
        Gen::OneOf(&[
            "软件开发；信息技术咨询服务",
            "建筑材料销售",
            "食品销售；农副产品销售",
            "普通货物仓储服务；道路货物运输",
            "陶瓷制品制造；陶瓷制品销售",
            "旅游业务；酒店管理",
        ]),
    ),
    (
        "",
        "经营项目",
        Gen::OneOf(&[
            "预包装食品销售（含冷藏冷冻食品）",
            "散装食品销售",
            "热食类食品制售",
            "冷食类食品制售",
            "自制饮品制售",
        ]),
    ),
    (
        "",
        "处罚内容",
        Gen::OneOf(&[
            "警告",
            "罚款人民币五千元",
            "没收违法所得并处罚款",
            "责令停产停业",
        ]),
    ),
    (
        "",
        "设备类别",
        Gen::OneOf(&["锅炉", "压力容器", "电梯", "起重机械", "压力管道"]),
    ),
    (
        "",
        "参保险种",
        Gen::OneOf(&[
            "城镇职工基本养老保险",
            "失业保险",
            "工伤保险",
            "城乡居民基本养老保险",
        ]),
    ),
    (
        "",
        "参保状态",
        Gen::OneOf(&["正常参保", "暂停参保", "终止参保"]),
    ),
    (
        "",
        "参保类型",
        Gen::OneOf(&["职工基本医疗保险", "城乡居民基本医疗保险"]),
    ),
    (
        "",
        "职业名称",
        Gen::OneOf(&[
            "电工",
            "焊工",
            "育婴员",
            "保育师",
            "中式烹调师",
            "美容师",
            "汽车维修工",
            "养老护理员",
            "茶艺师",
        ]),
    ),
    (
        "",
        "认定结论",
        Gen::OneOf(&["认定为工伤", "视同工伤", "不予认定为工伤"]),
    ),
    (
        "",
        "登记类型",
        Gen::OneOf(&["结婚登记", "离婚登记", "补领结婚证"]),
    ),
    (
        "",
        "社会组织类型",
        Gen::OneOf(&["社会团体", "民办非企业单位", "基金会"]),
    ),
    (
        "",
        "补贴类型",
        Gen::OneOf(&["困难残疾人生活补贴", "重度残疾人护理补贴"]),
    ),
    ("", "供养方式", Gen::OneOf(&["分散供养", "集中供养"])),
    (
        "",
        "权利类型",
        Gen::OneOf(&[
            "国有建设用地使用权/房屋所有权",
            "宅基地使用权/房屋所有权",
            "集体建设用地使用权",
        ]),
    ),
    (
        "",
        "供应方式",
        Gen::OneOf(&["出让", "划拨", "租赁", "作价出资"]),
    ),
    (
        "",
        "比例尺",
        Gen::OneOf(&["1:500", "1:1000", "1:2000", "1:10000"]),
    ),
    (
        "",
        "机构类别",
        Gen::OneOf(&[
            "综合医院",
            "中医医院",
            "专科医院",
            "社区卫生服务中心",
            "乡镇卫生院",
            "诊所",
            "门诊部",
        ]),
    ),
    (
        "",
        "诊疗科目",
        Gen::OneOf(&[
            "内科",
            "外科",
            "妇产科",
            "儿科",
            "口腔科",
            "中医科",
            "预防保健科",
        ]),
    ),
    (
        "",
        "疫苗名称",
        Gen::OneOf(&[
            "乙肝疫苗",
            "卡介苗",
            "脊灰灭活疫苗",
            "百白破疫苗",
            "麻腮风疫苗",
            "乙脑减毒活疫苗",
            "A群流脑多糖疫苗",
            "甲肝减毒活疫苗",
        ]),
    ),
    (
        "",
        "执业类别",
        Gen::OneOf(&["临床", "中医", "口腔", "公共卫生"]),
    ),
    (
        "",
        "执业范围",
        Gen::OneOf(&[
            "内科专业",
            "外科专业",
            "妇产科专业",
            "儿科专业",
            "全科医学专业",
            "中医专业",
            "口腔专业",
        ]),
    ),
    (
        "",
        "年级",
        Gen::OneOf(&[
            "一年级",
            "二年级",
            "三年级",
            "四年级",
            "五年级",
            "六年级",
            "七年级",
            "八年级",
            "九年级",
        ]),
    ),
    (
        "",
        "办学类型",
        Gen::OneOf(&["小学", "初级中学", "九年一贯制学校", "完全中学", "高级中学"]),
    ),
    (
        "",
        "资格种类",
        Gen::OneOf(&[
            "幼儿园教师资格",
            "小学教师资格",
            "初级中学教师资格",
            "高级中学教师资格",
        ]),
    ),
    (
        "",
        "任教学科",
        Gen::OneOf(&[
            "语文",
            "数学",
            "英语",
            "物理",
            "化学",
            "生物",
            "历史",
            "地理",
            "体育与健康",
            "音乐",
            "美术",
        ]),
    ),
    (
        "",
        "资质类别",
        Gen::OneOf(&[
            "建筑工程施工总承包",
            "市政公用工程施工总承包",
            "水利水电工程施工总承包",
            "建筑装修装饰工程专业承包",
            "地基基础工程专业承包",
        ]),
    ),
    (
        "",
        "资质等级",
        Gen::OneOf(&["特级", "一级", "二级", "三级"]),
    ),
    (
        "职业资格",
        "等级",
        Gen::OneOf(&[
            "五级/初级工",
            "四级/中级工",
            "三级/高级工",
            "二级/技师",
            "一级/高级技师",
        ]),
    ),
    ("景区", "等级", Gen::OneOf(&["5A", "4A", "3A"])),
    ("", "信用等级", Gen::OneOf(&["A", "B", "M", "C", "D"])),
    (
        "",
        "机构类型",
        Gen::OneOf(&["定点医疗机构", "定点零售药店"]),
    ),
    (
        "",
        "欠税税种",
        Gen::OneOf(&[
            "增值税",
            "企业所得税",
            "城市维护建设税",
            "房产税",
            "城镇土地使用税",
        ]),
    ),
    (
        "",
        "主要污染物",
        Gen::OneOf(&[
            "化学需氧量、氨氮",
            "二氧化硫、氮氧化物",
            "颗粒物",
            "挥发性有机物",
            "总磷、总氮",
        ]),
    ),
    (
        "",
        "许可范围",
        Gen::OneOf(&[
            "建筑用石灰岩露天开采",
            "危险化学品经营",
            "烟花爆竹批发",
            "建筑施工",
        ]),
    ),
    (
        "",
        "主体类型",
        Gen::OneOf(&["农民专业合作社", "家庭农场", "农业产业化龙头企业"]),
    ),
    ("", "指标名称", Gen::OneOf(INDICATORS)),
];

/// (in the entry's name, youngest, oldest): the ages of the people an entry is about.
const AGES: &[(&str, u32, u32)] = &[
    ("出生医学证明", 0, 0),
    ("预防接种", 0, 6),
    ("学籍", 6, 15),
    ("养老保险待遇", 60, 95),
    ("失业", 18, 59),
    ("就业", 18, 60),
    ("职业资格", 18, 60),
    ("婚姻", 20, 80),
    ("殡葬", 60, 95),
    ("医师", 25, 65),
    ("教师", 22, 60),
];

/// The generator of an item (its name, its data type) of an entry.
pub fn generator(entry: &str, item: &str, t: DataType) -> Gen {
    ITEMS
        .iter()
        .find(|(e, i, _)| entry.contains(e) && item.contains(i))
        .map(|x| x.2)
        .filter(|g| g.fits(t))
        .unwrap_or_else(|| Gen::of_type(t))
}

/// Whether an item is a person's identity number.
fn is_id_card(item: &str) -> bool {
    item == "公民身份号码" || item.contains("身份证号")
}

/// The key of an entry's dataset: its identity number or credit code item,
/// else a number-like item (编号, 号码, 代码, …号), else the first item.
pub fn key_item(items: &[DataItem]) -> Option<&DataItem> {
    items
        .iter()
        .find(|i| is_id_card(&i.name))
        .or_else(|| items.iter().find(|i| i.name.contains("统一社会信用代码")))
        .or_else(|| {
            items.iter().find(|i| {
                ["编号", "号码", "代码"].iter().any(|p| i.name.contains(p))
                    || i.name.ends_with('号')
            })
        })
        .or(items.first())
}

/// A dataset's worth of rows for an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemTable {
    /// (name, type, checks) of each column: the entry's items in order.
    pub columns: Vec<(String, DataType, Vec<String>)>,
    pub key: String,
    pub rows: Vec<Vec<String>>,
}

/// Who the rows may be about: the demo's population and enterprises (a
/// prefix of each, the same rows as its datasets hold, so that other
/// departments' datasets agree with the source on base fields).
pub struct Subjects<'a> {
    pub people: &'a [[String; 10]],
    pub enterprises: &'a [[String; 7]],
    /// How many enterprises 企业登记 holds: fresh ones are numbered after them.
    pub registered: u64,
}

/// What one row's values are drawn from.
struct Row<'a> {
    n: u64,
    county: usize,
    /// The row's town, for its addresses and places.
    town: usize,
    person: Option<&'a [String; 10]>,
    enterprise: Option<&'a [String; 7]>,
    /// The row's latest date so far: later dates come after it.
    after: NaiveDate,
    as_of: NaiveDate,
}

fn years_before(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_sub_months(chrono::Months::new(12 * years))
        .unwrap_or(d)
}

fn age(birth: NaiveDate, as_of: NaiveDate) -> u32 {
    as_of.years_since(birth).unwrap_or(0)
}

/// A date from `from` to `to`, both included (`to` when `from` is later).
fn date_between(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days();
    if days <= 0 {
        return to;
    }
    from + Duration::days(rng.below(days as u64 + 1) as i64)
}

fn county_index(name: &str) -> Option<usize> {
    COUNTIES.iter().position(|c| c.1 == name)
}

/// The county an organisation belongs to, from its name (县级 bodies are
/// named after their county: 英德市民政局).
pub fn county_of(org_name: &str) -> Option<&'static str> {
    COUNTIES
        .iter()
        .find(|c| org_name.starts_with(c.1))
        .map(|c| c.1)
}

impl Gen {
    fn value(self, rng: &mut Rng, item: &str, r: &mut Row) -> String {
        let (code, county, towns) = COUNTIES[r.county];
        let town = towns[r.town];
        let year = r.as_of.year();
        match self {
            Gen::Person(i) => r.person.map(|p| p[i].clone()).unwrap_or_default(),
            Gen::Enterprise(i) => r.enterprise.map(|e| e[i].clone()).unwrap_or_default(),
            Gen::StudentNo => format!("G{}", r.person.map(|p| p[0].as_str()).unwrap_or("")),
            Gen::CreditSuffix(s) => {
                format!("{}{s}", r.enterprise.map(|e| e[0].as_str()).unwrap_or(""))
            }
            Gen::PersonName => personal_name(rng),
            Gen::CompanyName => format!(
                "清远市{}{}{}",
                rng.pick(GIVEN),
                rng.pick(INDUSTRY),
                rng.pick(FORMS)
            ),
            Gen::Address => format!(
                "广东省清远市{county}{town}{}{}号",
                rng.pick(ROADS),
                rng.below(300) + 1
            ),
            Gen::Town => town.to_string(),
            Gen::Mobile => mobile(rng),
            Gen::OneOf(v) => rng.pick(v).to_string(),
            Gen::Number(prefix) => {
                format!("{prefix}{code}{}{:05}", year - rng.below(5) as i32, r.n + 1)
            }
            Gen::DocNo(prefix) => format!(
                "{prefix}〔{}〕{}号",
                year - rng.below(3) as i32,
                r.n + 1 + rng.below(50)
            ),
            Gen::Plate => {
                const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
                // A bijection of the row number onto letter × four digits.
                let x = (r.n + 1) * 7_919 % 240_000;
                format!(
                    "粤R{}{:04}",
                    LETTERS[(x / 10_000) as usize] as char,
                    x % 10_000
                )
            }
            Gen::Amount(lo, hi) => {
                format!("{}.{:02}", lo + rng.below(hi - lo), rng.below(100))
            }
            Gen::Count(lo, hi) => (lo + rng.below(hi - lo + 1)).to_string(),
            Gen::Measure(lo, hi, unit) => format!("{}{unit}", lo + rng.below(hi - lo + 1)),
            Gen::Date => {
                r.after = date_between(rng, r.after, r.as_of);
                r.after.to_string()
            }
            Gen::DaysAfter(days) => {
                r.after = (r.after + Duration::days(1 + rng.below(days) as i64)).min(r.as_of);
                r.after.to_string()
            }
            Gen::Recent(days) => {
                r.after = (r.as_of - Duration::days(rng.below(days) as i64)).max(r.after);
                r.after.to_string()
            }
            Gen::Month => {
                let first = r.as_of.with_day(1).expect("valid");
                let d = first
                    .checked_sub_months(chrono::Months::new(rng.below(24) as u32))
                    .unwrap_or(first);
                let d = if d < r.after {
                    r.after.with_day(1).expect("valid")
                } else {
                    d
                };
                d.to_string()
            }
            Gen::DateTime => {
                r.after = date_between(rng, r.after, r.as_of);
                let secs = rng.below(86_400);
                format!(
                    "{} {:02}:{:02}:{:02}",
                    r.after,
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60
                )
            }
            Gen::Year => (year - 1 - rng.below(5) as i32).to_string(),
            Gen::Period => {
                let m = 1 + rng.below(12);
                let y = year - 1 - rng.below(2) as i32;
                if m == 1 {
                    format!("{y}年1月")
                } else {
                    format!("{y}年1-{m}月")
                }
            }
            Gen::Validity => {
                // A card still valid: issued within its term.
                let years = if rng.below(2) == 0 { 10 } else { 20 };
                let start = date_between(rng, years_before(r.as_of, years).max(r.after), r.as_of);
                let end = start
                    .checked_add_months(chrono::Months::new(12 * years))
                    .unwrap_or(start);
                format!("{}-{}", start.format("%Y.%m.%d"), end.format("%Y.%m.%d"))
            }
            Gen::Expiry => (r.as_of + Duration::days(30 + rng.below(1_800) as i64)).to_string(),
            Gen::PoliceOffice => match county {
                "清城区" | "清新区" => format!("清远市公安局{}分局", &county[..6]),
                _ => format!("{county}公安局"),
            },
            Gen::Office(suffix) => format!("{county}{suffix}"),
            Gen::Hospital => match county {
                "清城区" | "清新区" => rng
                    .pick(&["清远市人民医院", "清远市中医院", "清远市妇幼保健院"])
                    .to_string(),
                _ => format!(
                    "{county}{}",
                    rng.pick(&["人民医院", "中医院", "妇幼保健院"])
                ),
            },
            Gen::Place(suffixes) => format!("{county}{town}{}", rng.pick(suffixes)),
            Gen::Estate => format!(
                "{}{}{}",
                rng.pick(GIVEN),
                rng.pick(GIVEN),
                rng.pick(&["花园", "雅苑", "华府", "名苑", "豪庭"])
            ),
            Gen::Line => format!("{}路", r.n + 1),
            Gen::Survey => format!(
                "{county}{}年{}",
                year - 1 - rng.below(5) as i32,
                rng.pick(&[
                    "数字正射影像图（DOM）",
                    "数字高程模型（DEM）",
                    "数字线划图（DLG）",
                    "实景三维模型"
                ])
            ),
            Gen::Text => format!("{item}{}", r.n + 1),
        }
    }

    /// The load checks of a column it fills.
    fn checks(self, t: DataType) -> Vec<String> {
        match self {
            Gen::Person(0) => vec!["id_card".into()],
            Gen::Enterprise(0) => vec!["credit_code".into()],
            Gen::Mobile => vec!["flag:pattern:1[3-9][0-9]{9}".into()],
            Gen::OneOf(v) if t == DataType::String => vec![format!("flag:enum:{}", v.join("|"))],
            Gen::Amount(..) | Gen::Count(..) if t != DataType::String => vec!["range:0..".into()],
            _ => vec![],
        }
    }
}

/// 40 to 160 rows (fewer where the key has fewer values, such as a county's
/// towns) for the entry named `entry` with `items`; `county` keeps them to
/// one county (a county department's entry). The same seed and as-of date
/// give the same rows.
pub fn item_table(
    entry: &str,
    items: &[DataItem],
    county: Option<&str>,
    subjects: &Subjects,
    as_of: NaiveDate,
    seed: u64,
) -> ItemTable {
    let mut rng = Rng::new(seed);
    let gens: Vec<Gen> = items
        .iter()
        .map(|i| generator(entry, &i.name, i.data_type))
        .collect();
    let columns = items
        .iter()
        .zip(&gens)
        .map(|(i, g)| (i.name.clone(), i.data_type, g.checks(i.data_type)))
        .collect();
    let Some(key) = key_item(items) else {
        return ItemTable {
            columns,
            key: String::new(),
            rows: vec![],
        };
    };
    let ki = items.iter().position(|i| i.name == key.name).unwrap_or(0);
    let wanted = 40 + rng.below(121) as usize;
    let fixed = county.and_then(county_index);

    let about_people = gens
        .iter()
        .any(|g| matches!(g, Gen::Person(_) | Gen::StudentNo));
    let people = if about_people {
        let (young, old) = AGES
            .iter()
            .find(|a| entry.contains(a.0))
            .map_or((18, 90), |a| (a.1, a.2));
        let fits = |p: &[String; 10]| {
            let born = p[3].parse().expect("a date");
            (young..=old).contains(&age(born, as_of)) && fixed.is_none_or(|c| COUNTIES[c].1 == p[7])
        };
        let pool: Vec<&[String; 10]> = subjects.people.iter().filter(|p| fits(p)).collect();
        let mut chosen: Vec<[String; 10]> = spread(&mut rng, &pool, wanted)
            .into_iter()
            .cloned()
            .collect();
        // Too few in the population (newborns, a small demo): people of
        // their own, with sequence numbers the population does not use.
        let mut k = 0;
        while chosen.len() < wanted {
            let c = fixed.unwrap_or_else(|| rng.below(8) as usize);
            let born = date_between(
                &mut rng,
                years_before(as_of, old + 1) + Duration::days(1),
                years_before(as_of, young),
            );
            chosen.push(person_born(&mut rng, c, born, 400 + k % 99));
            k += 1;
        }
        chosen
    } else {
        vec![]
    };

    let about_enterprises = gens
        .iter()
        .any(|g| matches!(g, Gen::Enterprise(_) | Gen::CreditSuffix(_)));
    let enterprises = if about_enterprises {
        let in_county = |e: &[String; 7]| fixed.is_none_or(|c| COUNTIES[c].1 == e[5]);
        let pool: Vec<&[String; 7]> = subjects
            .enterprises
            .iter()
            .filter(|e| in_county(e))
            .collect();
        let mut chosen: Vec<[String; 7]> = spread(&mut rng, &pool, wanted)
            .into_iter()
            .cloned()
            .collect();
        let mut n = subjects.registered;
        while chosen.len() < wanted && n < subjects.registered + 100 * wanted as u64 {
            let e = registered_enterprise(&mut rng, n);
            if in_county(&e) {
                chosen.push(e);
            }
            n += 1;
        }
        chosen
    } else {
        vec![]
    };

    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    for n in 0..wanted {
        let person = people.get(n);
        let enterprise = enterprises.get(n);
        if (about_people && person.is_none()) || (about_enterprises && enterprise.is_none()) {
            break;
        }
        let county = person
            .and_then(|p| county_index(&p[7]))
            .or_else(|| enterprise.and_then(|e| county_index(&e[5])))
            .or(fixed)
            .unwrap_or_else(|| rng.below(8) as usize);
        // Events of a person's life come after 18 (or birth, for a child),
        // an enterprise's after its foundation, others in the last ten years.
        let after = match (person, enterprise) {
            (Some(p), _) => {
                let born: NaiveDate = p[3].parse().expect("a date");
                let adult = born
                    .checked_add_months(chrono::Months::new(12 * 18))
                    .unwrap_or(born);
                if adult <= as_of { adult } else { born }
            }
            (None, Some(e)) => e[3].parse().expect("a date"),
            (None, None) => years_before(as_of, 10),
        };
        let mut r = Row {
            n: n as u64,
            county,
            town: rng.below(COUNTIES[county].2.len() as u64) as usize,
            person,
            enterprise,
            after,
            as_of,
        };
        let row: Vec<String> = gens
            .iter()
            .zip(items)
            .map(|(g, i)| g.value(&mut rng, &i.name, &mut r))
            .collect();
        if seen.insert(row[ki].clone()) {
            rows.push(row);
        }
    }
    ItemTable {
        columns,
        key: key.name.clone(),
        rows,
    }
}

/// Up to `wanted` of `pool`, spread across it from a random start.
fn spread<'a, T>(rng: &mut Rng, pool: &[&'a T], wanted: usize) -> Vec<&'a T> {
    if pool.is_empty() {
        return vec![];
    }
    let step = (pool.len() / wanted).max(1);
    let start = rng.below(pool.len() as u64) as usize;
    (0..wanted.min(pool.len()))
        .map(|i| pool[(start + i * step) % pool.len()])
        .collect()
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
