//! Deterministic generator of realistic demo communes (`DemoCommune` — xã mẫu): villages (thôn,
//! xóm, bản), households (hộ gia đình) and their members, modelled on a mountain commune of Cao
//! Bằng (Tày, Nùng, Mông, Dao and Kinh families; household sizes, ages, schooling, insurance,
//! housing, water, sanitation and income with realistic correlations). Owns: plain data only.
//! Deliberately not here: the database (the ledger stores what this returns), poverty
//! classification (the review engine decides), and anything random from the OS: output depends
//! only on [`DemoParams`], so the same parameters give byte-identical output on every platform
//! and build (integer arithmetic only, own PRNG [`SplitMix64`], no floating point).
//!
//! Household `i` is generated from its own PRNG stream derived from `(seed, i)`, so a commune of
//! N households is a prefix of the commune of M > N households with the same seed and villages.

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cccd;

// ---------------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea & Flood 2014; the seeding generator of xoshiro): 64-bit state, adds
/// the golden-ratio constant and mixes with two multiply–xorshift rounds. Small, fast, passes
/// BigCrush, and — written here with wrapping integer arithmetic — gives the same sequence on every
/// platform and compiler version. Not cryptographic.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`0` when `n == 0`), by multiply-shift on the high 32 bits.
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// A value in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u32) as i32
    }

    /// True with probability `permille / 1000`.
    pub fn chance(&mut self, permille: i32) -> bool {
        (self.below(1000) as i32) < permille
    }

    /// An index chosen with the given integer weights (`0` when all weights are zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        if total == 0 {
            return 0;
        }
        let mut r = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

fn mix_seed(seed: u64, stream: u64) -> u64 {
    let mut r = SplitMix64::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
    r.next_u64()
}

fn clamp_pm(v: i32, lo: i32, hi: i32) -> i32 {
    v.max(lo).min(hi)
}

// ---------------------------------------------------------------------------------------------
// Public data types
// ---------------------------------------------------------------------------------------------

pub use crate::setup::VillageKind;

/// A village of the demo commune.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoVillage {
    /// Two-digit code within the commune: "01", "02", …
    pub code: String,
    /// Name without the kind, e.g. "Khưa Lốm".
    pub name: String,
    pub kind: VillageKind,
}

impl DemoVillage {
    /// "Xóm Khưa Lốm".
    pub fn full_name(&self) -> String {
        let label = self.kind.word();
        let mut s = String::with_capacity(label.len() + 1 + self.name.len());
        let mut chars = label.chars();
        if let Some(first) = chars.next() {
            s.extend(first.to_uppercase());
            s.push_str(chars.as_str());
        }
        s.push(' ');
        s.push_str(&self.name);
        s
    }
}

/// Parameters of [`generate_commune`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoParams {
    pub seed: u64,
    pub households: u32,
    /// Official 5-digit commune code; copied to the result, not interpreted.
    pub commune_code: String,
    /// Ages are computed against this date and no one is born after it.
    pub reference_date: NaiveDate,
    /// Villages to use; `None` or an empty list: 8–20 villages are generated from the seed.
    pub villages: Option<Vec<DemoVillage>>,
}

impl DemoParams {
    pub fn new(
        seed: u64,
        households: u32,
        commune_code: impl Into<String>,
        reference_date: NaiveDate,
    ) -> Self {
        DemoParams {
            seed,
            households,
            commune_code: commune_code.into(),
            reference_date,
            villages: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// "male" / "female" (the values [`cccd::check_id_number`] takes).
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// Relation to the head of household (quan hệ với chủ hộ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Head,
    Spouse,
    Child,
    Grandchild,
    Parent,
    Sibling,
    /// Anyone else, e.g. a daughter-in-law (con dâu) or a niece.
    Other,
}

impl Relation {
    /// "head", "spouse", "child", "grandchild", "parent", "sibling", "other".
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Head => "head",
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Grandchild => "grandchild",
            Relation::Parent => "parent",
            Relation::Sibling => "sibling",
            Relation::Other => "other",
        }
    }
}

/// Highest level completed (trình độ học vấn / chuyên môn cao nhất đã đạt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EducationLevel {
    /// Not finished primary school (chưa tốt nghiệp tiểu học), including small children.
    None,
    Primary,
    LowerSecondary,
    UpperSecondary,
    /// Elementary / intermediate vocational qualification (sơ cấp, trung cấp nghề).
    Vocational,
    /// College or university (cao đẳng, đại học trở lên).
    Higher,
}

impl EducationLevel {
    /// "none", "primary", "lower_secondary", "upper_secondary", "vocational", "higher".
    pub fn as_str(self) -> &'static str {
        match self {
            EducationLevel::None => "none",
            EducationLevel::Primary => "primary",
            EducationLevel::LowerSecondary => "lower_secondary",
            EducationLevel::UpperSecondary => "upper_secondary",
            EducationLevel::Vocational => "vocational",
            EducationLevel::Higher => "higher",
        }
    }
}

/// Main activity (tình trạng việc làm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkStatus {
    /// Under 15 and not a pupil.
    Child,
    /// Pupil or student.
    Student,
    /// Own farm, forest or livestock work.
    Farming,
    /// Works for a wage (see `labour_contract`).
    Wage,
    /// Own non-farm business.
    SelfEmployed,
    /// Able and willing to work, no job.
    Unemployed,
    /// Not working (elderly, homemaker).
    NotWorking,
    /// Cannot work (severe disability or illness).
    UnableToWork,
}

impl WorkStatus {
    /// "child", "student", "farming", "wage", "self_employed", "unemployed", "not_working",
    /// "unable_to_work".
    pub fn as_str(self) -> &'static str {
        match self {
            WorkStatus::Child => "child",
            WorkStatus::Student => "student",
            WorkStatus::Farming => "farming",
            WorkStatus::Wage => "wage",
            WorkStatus::SelfEmployed => "self_employed",
            WorkStatus::Unemployed => "unemployed",
            WorkStatus::NotWorking => "not_working",
            WorkStatus::UnableToWork => "unable_to_work",
        }
    }
}

/// Child nutrition status (tình trạng dinh dưỡng trẻ em).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Nutrition {
    Normal,
    /// Low height-for-age (suy dinh dưỡng thể thấp còi).
    Stunted,
    /// Low weight-for-age (suy dinh dưỡng thể nhẹ cân).
    Underweight,
}

impl Nutrition {
    /// "normal", "stunted", "underweight".
    pub fn as_str(self) -> &'static str {
        match self {
            Nutrition::Normal => "normal",
            Nutrition::Stunted => "stunted",
            Nutrition::Underweight => "underweight",
        }
    }
}

/// A member (nhân khẩu) of a demo household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoMember {
    /// Family name, middle name(s), given name, with full diacritics.
    pub full_name: String,
    /// `None` for about 30 % of members aged 60+, for whom only the birth year is known.
    pub birth_date: Option<NaiveDate>,
    /// Always set (the year of `birth_date` when that is known).
    pub birth_year: i32,
    /// Full years at the reference date.
    pub age: u32,
    pub sex: Sex,
    /// Two-digit ethnicity code (see [`crate::ethnicity`]).
    pub ethnicity: &'static str,
    pub relation: Relation,
    /// 12-digit personal ID number consistent with sex and birth year; `None` for most young
    /// children and a few others.
    pub id_number: Option<String>,
    pub health_insurance: bool,
    /// 15-character card number (object code, benefit level, province "04", 10-digit social
    /// insurance number) when insured.
    pub health_insurance_card: Option<String>,
    pub attending_school: bool,
    pub education_level: EducationLevel,
    pub work_status: WorkStatus,
    /// Only meaningful for `WorkStatus::Wage`.
    pub labour_contract: bool,
    pub disability: bool,
    /// Receives monthly social allowance (trợ cấp xã hội hằng tháng).
    pub social_allowance: bool,
    /// Set for children under 16, `None` otherwise.
    pub nutrition_status: Option<Nutrition>,
}

/// A demo household (hộ gia đình). `members[0]` is always the head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoHousehold {
    /// Index into [`DemoCommune::villages`].
    pub village_index: usize,
    /// e.g. "xóm Khưa Lốm" or "số nhà 12, thôn Trung Tâm".
    pub address: String,
    /// Ethnicity code of the head.
    pub ethnicity: &'static str,
    /// Head or spouse belongs to an ethnic minority (hộ dân tộc thiểu số).
    pub ethnic_minority: bool,
    /// No member aged 15–60 without a disability (hộ không có khả năng lao động).
    pub no_labour: bool,
    /// A member with revolutionary merit lives here (hộ có người có công với cách mạng).
    pub merit: bool,
    pub floor_area_m2: u32,
    /// House of durable materials (walls, columns, roof: at most one non-durable).
    pub durable_house: bool,
    /// Uses a hygienic water source.
    pub clean_water: bool,
    /// Uses a hygienic toilet.
    pub hygienic_toilet: bool,
    /// A member uses a phone subscription or internet.
    pub uses_telecom: bool,
    /// Owns a TV, radio, computer or smartphone, or hears the village loudspeaker.
    pub has_information_device: bool,
    /// Income per person per month, đồng, rounded to 10,000.
    pub income_per_capita_month: i64,
    /// Lives mainly from farming, forestry or livestock.
    pub agricultural: bool,
    /// Income-proxy score (điểm A), see [`score_a_for_income`].
    pub score_a: i32,
    pub members: Vec<DemoMember>,
}

/// The generated commune.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoCommune {
    pub commune_code: String,
    pub reference_date: NaiveDate,
    pub villages: Vec<DemoVillage>,
    pub households: Vec<DemoHousehold>,
}

impl DemoCommune {
    /// Total number of members.
    pub fn member_count(&self) -> usize {
        self.households.iter().map(|h| h.members.len()).sum()
    }

    /// SHA-256 (hex) of the canonical JSON of the whole commune: equal fingerprints mean
    /// byte-identical output.
    pub fn fingerprint(&self) -> String {
        use std::io::Write;
        let mut hasher = Sha256::new();
        {
            let mut w = std::io::BufWriter::with_capacity(1 << 16, HashWriter(&mut hasher));
            // Serialising plain structs, strings, integers, booleans and dates cannot fail, and
            // the writer never fails; an error would only give an empty fingerprint.
            if serde_json::to_writer(&mut w, self).is_err() || w.flush().is_err() {
                return String::new();
            }
        }
        hex::encode(hasher.finalize())
    }
}

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Income-proxy score (điểm A) of a rural household with the given monthly income per person:
/// `⌈income × 140 / 1,500,000⌉`, so that `score ≤ 140` exactly when `income ≤ 1,500,000`, the
/// rural income line of Nghị định 07/2021/NĐ-CP. This is a demo stand-in for the Phiếu B1 score,
/// not the official point table.
pub fn score_a_for_income(income_per_capita_month: i64) -> i32 {
    let v = income_per_capita_month.max(0) * 140;
    ((v + 1_499_999) / 1_500_000) as i32
}

// ---------------------------------------------------------------------------------------------
// Name and village tables
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Kinh,
    Tay,
    Nung,
    Mong,
    Dao,
}

const GROUPS: [Group; 5] = [
    Group::Kinh,
    Group::Tay,
    Group::Nung,
    Group::Mong,
    Group::Dao,
];
/// Share of households by dominant group of a village (Cao Bằng mountain district).
const GROUP_WEIGHTS: [u32; 5] = [10, 32, 18, 25, 15];

struct Names {
    family: &'static [&'static str],
    male_middle: &'static [&'static str],
    female_middle: &'static [&'static str],
    male_given: &'static [&'static str],
    female_given: &'static [&'static str],
}

const KINH_NAMES: Names = Names {
    family: &[
        "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Ngô",
        "Đặng", "Dương", "Đinh",
    ],
    male_middle: &["Văn", "Văn", "Đức", "Quang", "Minh", "Hữu", "Công"],
    female_middle: &["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh"],
    male_given: &[
        "Hùng", "Dũng", "Nam", "Tuấn", "Minh", "Hải", "Long", "Sơn", "Thắng", "Trung", "Đức",
        "Quang", "Tiến", "Hưng", "Bình", "Cường", "Khánh", "Phúc", "Thành", "Việt",
    ],
    female_given: &[
        "Lan", "Hương", "Hoa", "Mai", "Nga", "Hằng", "Thảo", "Trang", "Linh", "Huyền", "Ngọc",
        "Thủy", "Hạnh", "Yến", "Phương", "Dung", "Loan", "Hà", "Vân", "Thu",
    ],
};

const TAY_NAMES: Names = Names {
    family: &[
        "Nông", "Nông", "Hoàng", "Hoàng", "Lục", "Đàm", "Bế", "Lương", "Ma", "Hà", "La", "Triệu",
        "Lý", "Lành", "Nguyễn", "Hứa", "Mạc", "Chu", "Đinh",
    ],
    male_middle: &["Văn", "Văn", "Văn", "Văn", "Đức", "Ngọc", "Thanh"],
    female_middle: &["Thị", "Thị", "Thị", "Thị", "Thu", "Ngọc"],
    male_given: &[
        "Thành", "Pháp", "Khoa", "Lâm", "Dũng", "Tuấn", "Thắng", "Cường", "Chiến", "Quyết", "Sinh",
        "Lợi", "Hưng", "Phong", "Đoàn", "Tâm", "Vịnh", "Thuận", "Kiên", "Hoàn", "Sáng", "Định",
    ],
    female_given: &[
        "Phương", "Hoa", "Lan", "Hương", "Nhung", "Thơm", "Hằng", "Nga", "Thủy", "Liên", "Mai",
        "Dung", "Thúy", "Duyên", "Nguyệt", "Lụa", "Hiền", "Xuân", "Yến", "Ngân",
    ],
};

const NUNG_NAMES: Names = Names {
    family: &[
        "Hoàng", "Hoàng", "Nông", "Lương", "Lục", "Chu", "Vi", "Lý", "Hứa", "Mã", "Đàm", "Lô",
        "Sầm",
    ],
    male_middle: &["Văn", "Văn", "Văn", "Văn", "Đức", "Ngọc"],
    female_middle: &["Thị", "Thị", "Thị", "Thị", "Thu"],
    male_given: &[
        "Vằn", "Tài", "Lình", "Lâm", "Khải", "Kiểm", "Chẳng", "Sửu", "Mạnh", "Dìn", "Slao", "Pẩu",
        "Thiêm", "Hợp", "Quân", "Khầu", "Sình", "Lường",
    ],
    female_given: &[
        "Sỉnh",
        "Mìn",
        "Lìn",
        "Slảy",
        "Đào",
        "Thoa",
        "Nhàn",
        "Hoa",
        "Sen",
        "Phượng",
        "Lụa",
        "Mai",
        "Hạnh",
        "Dín",
        "Nhất",
        "Thu",
    ],
};

const MONG_NAMES: Names = Names {
    family: &[
        "Giàng", "Giàng", "Vàng", "Vàng", "Sùng", "Thào", "Thào", "Lò", "Hầu", "Lý", "Ma", "Mua",
        "Vừ", "Hạng", "Lầu", "Tráng", "Cứ",
    ],
    male_middle: &["A", "A", "A", "Seo", "Mí", "Văn", "Chẩn"],
    female_middle: &["Thị", "Thị", "Thị", "Thị", "Mí"],
    male_given: &[
        "Páo", "Chứ", "Dình", "Sính", "Pó", "Lử", "Chơ", "Súng", "Vảng", "Dế", "Tủa", "Thề",
        "Chính", "Lồng", "Khai", "Sử", "Xá", "Pủa", "Cở", "Dũng",
    ],
    female_given: &[
        "Mỷ", "Dợ", "Chư", "Pà", "Dính", "Say", "Xía", "Chá", "Mỉ", "Lia", "Của", "Dua", "Máy",
        "Súa", "Dở", "Mai", "Ly",
    ],
};

const DAO_NAMES: Names = Names {
    family: &[
        "Bàn", "Bàn", "Bàn", "Đặng", "Đặng", "Triệu", "Triệu", "Lý", "Chảo", "Phùng", "Tẩn",
        "Trương", "Hoàng",
    ],
    male_middle: &["Văn", "Văn", "Văn", "Kim", "Tòn", "Phúc"],
    female_middle: &["Thị", "Thị", "Thị", "Thị", "Mùi"],
    male_given: &[
        "Kiềm", "Quẩy", "Phin", "Sài", "Chàn", "Lở", "Tiến", "Vần", "Kiên", "Phú", "Chiêu",
        "Quang", "Phầy", "Sinh", "Lìu", "Dụng", "Cao", "Sểnh", "Tá", "Sơn",
    ],
    female_given: &[
        "Mai", "Nhất", "Mẩy", "Xiêm", "Lìu", "Phương", "Hoa", "Dình", "Cói", "Chòi", "Phấy",
        "Kiều", "Nái", "Liên", "Chản", "Sinh", "Phù", "Nguyệt",
    ],
};

impl Group {
    fn code(self) -> &'static str {
        match self {
            Group::Kinh => "01",
            Group::Tay => "02",
            Group::Nung => "07",
            Group::Mong => "08",
            Group::Dao => "09",
        }
    }

    fn names(self) -> &'static Names {
        match self {
            Group::Kinh => &KINH_NAMES,
            Group::Tay => &TAY_NAMES,
            Group::Nung => &NUNG_NAMES,
            Group::Mong => &MONG_NAMES,
            Group::Dao => &DAO_NAMES,
        }
    }

    /// Household-size weights for sizes 1..=10 (means ≈ Kinh 3.6, Tày/Nùng 4.05, Dao 4.8,
    /// Mông 5.6).
    fn size_weights(self) -> [u32; 10] {
        match self {
            Group::Kinh => [8, 16, 23, 30, 14, 6, 2, 1, 0, 0],
            Group::Tay | Group::Nung => [5, 13, 19, 27, 18, 11, 4, 2, 1, 0],
            Group::Dao => [3, 8, 14, 22, 20, 15, 9, 5, 3, 1],
            Group::Mong => [2, 5, 10, 15, 18, 17, 14, 10, 6, 3],
        }
    }

    /// Baseline advantage in the wealth index (market access, land, off-farm work).
    fn wealth_bonus(self) -> i32 {
        match self {
            Group::Kinh => 800,
            Group::Tay => 520,
            Group::Nung => 420,
            Group::Dao => 160,
            Group::Mong => 0,
        }
    }

    fn highland(self) -> bool {
        matches!(self, Group::Mong | Group::Dao)
    }

    /// A spouse's group: mostly the same; Tày, Nùng and Kinh intermarry more often.
    fn spouse_group(self, rng: &mut SplitMix64) -> Group {
        let other_pm = match self {
            Group::Kinh | Group::Tay | Group::Nung => 120,
            Group::Dao => 40,
            Group::Mong => 15,
        };
        if !rng.chance(other_pm) {
            return self;
        }
        match self {
            Group::Kinh => rng.pick(&[Group::Tay, Group::Nung]),
            Group::Tay => rng.pick(&[Group::Nung, Group::Kinh]),
            Group::Nung => rng.pick(&[Group::Tay, Group::Kinh]),
            Group::Dao => rng.pick(&[Group::Tay, Group::Nung]),
            Group::Mong => Group::Dao,
        }
    }
}

/// Village name pools by dominant group (toponyms of the Cao Bằng uplands) with their usual kind.
const VILLAGE_NAMES: &[(Group, &str, VillageKind)] = &[
    (Group::Kinh, "Trung Tâm", VillageKind::Thon),
    (Group::Kinh, "Phố Mới", VillageKind::Thon),
    (Group::Tay, "Nà Pán", VillageKind::Xom),
    (Group::Tay, "Khưa Lốm", VillageKind::Xom),
    (Group::Tay, "Nà Lạn", VillageKind::Xom),
    (Group::Tay, "Pác Rà", VillageKind::Xom),
    (Group::Tay, "Cốc Pàng", VillageKind::Xom),
    (Group::Tay, "Nà Tồng", VillageKind::Xom),
    (Group::Tay, "Bó Củng", VillageKind::Xom),
    (Group::Tay, "Nà Đon", VillageKind::Xom),
    (Group::Tay, "Phiêng Pẻn", VillageKind::Ban),
    (Group::Tay, "Pác Nặm", VillageKind::Xom),
    (Group::Nung, "Khuổi Khon", VillageKind::Xom),
    (Group::Nung, "Lũng Rịa", VillageKind::Xom),
    (Group::Nung, "Cốc Xả", VillageKind::Xom),
    (Group::Nung, "Nặm Quang", VillageKind::Ban),
    (Group::Nung, "Bản Chang", VillageKind::Xom),
    (Group::Nung, "Nà Mần", VillageKind::Xom),
    (Group::Mong, "Lũng Vài", VillageKind::Ban),
    (Group::Mong, "Lũng Mần", VillageKind::Ban),
    (Group::Mong, "Khau Bây", VillageKind::Ban),
    (Group::Mong, "Pù Ngảm", VillageKind::Ban),
    (Group::Mong, "Lũng Pục", VillageKind::Ban),
    (Group::Mong, "Khau Dề", VillageKind::Ban),
    (Group::Mong, "Phya Đăm", VillageKind::Ban),
    (Group::Mong, "Lũng Rẩu", VillageKind::Xom),
    (Group::Dao, "Khuổi Ngòa", VillageKind::Ban),
    (Group::Dao, "Nà Kiềng", VillageKind::Ban),
    (Group::Dao, "Khuổi Tẩu", VillageKind::Ban),
    (Group::Dao, "Phiêng Lùng", VillageKind::Ban),
    (Group::Dao, "Cốc Lùng", VillageKind::Xom),
    (Group::Dao, "Khuổi Luông", VillageKind::Ban),
];

/// Where births of the commune's people were registered: Cao Bằng (004) for most, neighbouring
/// provinces and Hà Nội for people who moved in.
const OTHER_BIRTH_PROVINCES: &[&str] = &["002", "006", "020", "019", "008", "010", "001"];

// ---------------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------------

/// A village as the generator sees it: who lives there and how remote it is.
#[derive(Debug, Clone, Copy)]
struct VillageProfile {
    group: Group,
    /// 0 = commune centre, 1 = along the road, 2 = remote.
    remoteness: i32,
    /// Share (‰) of households of the dominant group.
    dominance: i32,
    weight: u32,
}

fn village_profiles(params: &DemoParams) -> (Vec<DemoVillage>, Vec<VillageProfile>) {
    let mut rng = SplitMix64::new(mix_seed(params.seed, 0x0F11_A6E5));
    let given = params.villages.as_ref().filter(|v| !v.is_empty());
    match given {
        Some(list) => {
            let profiles = list
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    // A village named in the pool keeps its group; others are drawn.
                    let pooled = VILLAGE_NAMES.iter().find(|(_, n, _)| *n == v.name);
                    let group = match pooled {
                        Some((g, _, _)) => *g,
                        None if i == 0 => Group::Kinh,
                        None => GROUPS[rng.weighted(&GROUP_WEIGHTS)],
                    };
                    profile_for(&mut rng, group, i == 0)
                })
                .collect();
            (list.clone(), profiles)
        }
        None => {
            let count = 8 + rng.below(13) as usize; // 8–20
            let mut used = vec![false; VILLAGE_NAMES.len()];
            let mut villages = Vec::with_capacity(count);
            let mut profiles = Vec::with_capacity(count);
            for i in 0..count {
                let group = if i == 0 {
                    Group::Kinh
                } else {
                    GROUPS[rng.weighted(&GROUP_WEIGHTS)]
                };
                let candidates: Vec<usize> = (0..VILLAGE_NAMES.len())
                    .filter(|&k| !used[k] && VILLAGE_NAMES[k].0 == group)
                    .collect();
                let k = if candidates.is_empty() {
                    // pool of this group exhausted: any unused name (32 names ≥ 20 villages)
                    match (0..VILLAGE_NAMES.len()).find(|&k| !used[k]) {
                        Some(k) => k,
                        None => break,
                    }
                } else {
                    candidates[rng.below(candidates.len() as u32) as usize]
                };
                used[k] = true;
                let (g, name, kind) = VILLAGE_NAMES[k];
                villages.push(DemoVillage {
                    code: format!("{:02}", i + 1),
                    name: name.to_string(),
                    kind,
                });
                profiles.push(profile_for(&mut rng, g, i == 0));
            }
            (villages, profiles)
        }
    }
}

fn profile_for(rng: &mut SplitMix64, group: Group, centre: bool) -> VillageProfile {
    let remoteness = if centre {
        0
    } else if group.highland() {
        rng.range(1, 2)
    } else {
        rng.range(0, 1)
    };
    VillageProfile {
        group,
        remoteness,
        dominance: if centre { 550 } else { rng.range(700, 920) },
        weight: if centre { 200 } else { 60 + rng.below(120) },
    }
}

/// A member before names and attributes are filled in.
#[derive(Debug, Clone, Copy)]
struct Draft {
    age: i32,
    sex: Sex,
    relation: Relation,
    group: Group,
    /// Where the family name comes from.
    lineage: Lineage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lineage {
    /// Carries the family name of the head's paternal line.
    HeadLine,
    /// Carries the family name of the children's father (head or spouse).
    ChildLine,
    /// Own family name, different from the head's line.
    Own,
}

/// Mother's ages at successive births: first at 19–23 (19–21 in highland groups), then every
/// 1–3 years, never above 35, so every child is 19–35 years younger than the mother and, with
/// the husband 0–5 years older, 19–40 years younger than the father.
fn birth_ages(rng: &mut SplitMix64, kids: usize, highland: bool) -> Vec<i32> {
    let mut v = Vec::with_capacity(kids);
    let mut a = if highland {
        rng.range(19, 21)
    } else {
        rng.range(19, 23)
    };
    for i in 0..kids {
        if i > 0 {
            a = (a + rng.range(1, 3)).min(35);
        }
        v.push(a);
    }
    v
}

fn build_structure(rng: &mut SplitMix64, size: usize, group: Group, out: &mut Vec<Draft>) {
    out.clear();
    let highland = group.highland();
    let male_head_pm = if highland { 980 } else { 920 };
    if size == 1 {
        let elderly = rng.chance(550);
        let age = if elderly {
            rng.range(60, 92)
        } else {
            rng.range(20, 59)
        };
        let sex = if rng.chance(if elderly { 600 } else { 400 }) {
            Sex::Female
        } else {
            Sex::Male
        };
        out.push(Draft {
            age,
            sex,
            relation: Relation::Head,
            group,
            lineage: Lineage::HeadLine,
        });
        return;
    }
    let has_spouse = rng.chance(if size == 2 { 820 } else { 900 });
    let spouse_group = group.spouse_group(rng);
    let rest = size - 1 - usize::from(has_spouse);
    let three_gen = rest >= 3 && rng.chance(if highland { 450 } else { 330 });

    if three_gen {
        // head + (spouse) + married son + daughter-in-law + grandchildren (+ one unmarried child)
        let extra_child = rest >= 4 && rng.chance(300);
        let grandkids = rest - 2 - usize::from(extra_child);
        let gk_births = birth_ages(rng, grandkids, highland);
        let last = gk_births.last().copied().unwrap_or(20);
        let dil_age = last + rng.range(0, 7);
        let son_age = dil_age + rng.range(0, 4);
        let mother_age = son_age + rng.range(19, 30).min(35);
        let father_age = mother_age + rng.range(0, 5);
        let male_head = if has_spouse {
            rng.chance(male_head_pm)
        } else {
            rng.chance(400)
        };
        let (head_age, head_sex) = if male_head {
            (father_age, Sex::Male)
        } else {
            (mother_age, Sex::Female)
        };
        out.push(Draft {
            age: head_age,
            sex: head_sex,
            relation: Relation::Head,
            group,
            lineage: Lineage::HeadLine,
        });
        if has_spouse {
            let (age, sex) = if male_head {
                (mother_age, Sex::Female)
            } else {
                (father_age, Sex::Male)
            };
            out.push(Draft {
                age,
                sex,
                relation: Relation::Spouse,
                group: spouse_group,
                lineage: Lineage::Own,
            });
        }
        let line_group = if male_head || !has_spouse {
            group
        } else {
            spouse_group
        };
        out.push(Draft {
            age: son_age,
            sex: Sex::Male,
            relation: Relation::Child,
            group: line_group,
            lineage: Lineage::ChildLine,
        });
        out.push(Draft {
            age: dil_age,
            sex: Sex::Female,
            relation: Relation::Other,
            group: line_group.spouse_group(rng),
            lineage: Lineage::Own,
        });
        if extra_child {
            // younger than the married son, 19–35 years younger than the mother, ≤ 40 than the father
            let age = (son_age - rng.range(2, 8))
                .max(mother_age - 35)
                .max(father_age - 40)
                .max(15)
                .min(son_age);
            let sex = if rng.chance(500) {
                Sex::Female
            } else {
                Sex::Male
            };
            out.push(Draft {
                age,
                sex,
                relation: Relation::Child,
                group: line_group,
                lineage: Lineage::ChildLine,
            });
        }
        for b in gk_births {
            let sex = if rng.chance(488) {
                Sex::Female
            } else {
                Sex::Male
            };
            out.push(Draft {
                age: (dil_age - b).max(0),
                sex,
                relation: Relation::Grandchild,
                group: line_group,
                lineage: Lineage::ChildLine,
            });
        }
        return;
    }

    // Nuclear family, possibly with a parent, a sibling or another relative of the head.
    let mut kids = rest;
    let mut parents = 0;
    let mut sibling = 0;
    let mut other = 0;
    if kids >= 2 && rng.chance(150) {
        parents = if kids >= 4 && rng.chance(400) { 2 } else { 1 };
        kids -= parents;
    }
    if kids >= 1 && rng.chance(40) {
        sibling = 1;
        kids -= 1;
    }
    if kids >= 1 && rng.chance(25) {
        other = 1;
        kids -= 1;
    }
    let births = birth_ages(rng, kids, highland);
    let mother_age = match births.last() {
        Some(last) => last + rng.range(0, if parents > 0 { 8 } else { 16 }),
        None if parents > 0 => rng.range(20, 40),
        None => {
            if rng.chance(500) {
                rng.range(20, 34)
            } else {
                rng.range(45, 82)
            }
        }
    };
    let father_age = mother_age + rng.range(0, 5);
    let male_head = if has_spouse {
        rng.chance(male_head_pm)
    } else {
        rng.chance(350)
    };
    let (head_age, head_sex) = if male_head {
        (father_age, Sex::Male)
    } else {
        (mother_age, Sex::Female)
    };
    out.push(Draft {
        age: head_age,
        sex: head_sex,
        relation: Relation::Head,
        group,
        lineage: Lineage::HeadLine,
    });
    if has_spouse {
        let (age, sex) = if male_head {
            (mother_age, Sex::Female)
        } else {
            (father_age, Sex::Male)
        };
        out.push(Draft {
            age,
            sex,
            relation: Relation::Spouse,
            group: spouse_group,
            lineage: Lineage::Own,
        });
    }
    let line_group = if male_head || !has_spouse {
        group
    } else {
        spouse_group
    };
    for b in births {
        let sex = if rng.chance(488) {
            Sex::Female
        } else {
            Sex::Male
        };
        out.push(Draft {
            age: (mother_age - b).max(0),
            sex,
            relation: Relation::Child,
            group: line_group,
            lineage: Lineage::ChildLine,
        });
    }
    for p in 0..parents {
        // the head's father carries the head's line, the mother her own name
        let sex = if parents == 2 {
            if p == 0 {
                Sex::Male
            } else {
                Sex::Female
            }
        } else if rng.chance(650) {
            Sex::Female
        } else {
            Sex::Male
        };
        let age = (head_age + rng.range(20, 36)).min(98);
        let lineage = if sex == Sex::Male {
            Lineage::HeadLine
        } else {
            Lineage::Own
        };
        out.push(Draft {
            age,
            sex,
            relation: Relation::Parent,
            group,
            lineage,
        });
    }
    if sibling == 1 {
        let age = (head_age + rng.range(-10, 8)).max(15);
        let sex = if rng.chance(450) {
            Sex::Female
        } else {
            Sex::Male
        };
        out.push(Draft {
            age,
            sex,
            relation: Relation::Sibling,
            group,
            lineage: Lineage::HeadLine,
        });
    }
    if other == 1 {
        let age = rng.range(3, 20);
        let sex = if rng.chance(500) {
            Sex::Female
        } else {
            Sex::Male
        };
        out.push(Draft {
            age,
            sex,
            relation: Relation::Other,
            group,
            lineage: Lineage::Own,
        });
    }
}

fn birth_date_for(rng: &mut SplitMix64, reference: NaiveDate, age: i32) -> NaiveDate {
    let y = reference.year() - age;
    let anniversary = NaiveDate::from_ymd_opt(y, reference.month(), reference.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, reference.month(), 28))
        .unwrap_or(reference);
    // 0–363 days before the birthday keeps the age at the reference date exactly `age`
    anniversary
        .checked_sub_days(Days::new(u64::from(rng.below(364))))
        .unwrap_or(anniversary)
}

struct Counters {
    person: u64,
    id_offset: u64,
}

/// Unique 6-digit serial for the n-th person: an affine permutation of 0..1,000,000 (the
/// multiplier is coprime with 10⁶), so ID numbers never repeat within a commune of fewer than a
/// million people.
fn serial_for(n: u64, offset: u64) -> u32 {
    ((n.wrapping_mul(738_731).wrapping_add(offset)) % 1_000_000) as u32
}

fn push_name(s: &mut String, family: &str, middle: &str, given: &str) {
    s.reserve(family.len() + middle.len() + given.len() + 2);
    s.push_str(family);
    s.push(' ');
    if !middle.is_empty() {
        s.push_str(middle);
        s.push(' ');
    }
    s.push_str(given);
}

fn draw_family(rng: &mut SplitMix64, group: Group, avoid: &str) -> &'static str {
    let pool = group.names().family;
    let mut f = rng.pick(pool);
    for _ in 0..4 {
        if f != avoid {
            break;
        }
        f = rng.pick(pool);
    }
    f
}

fn adult_education(
    rng: &mut SplitMix64,
    age: i32,
    group: Group,
    sex: Sex,
    x: i32,
) -> EducationLevel {
    // weights: none, primary, lower sec., upper sec., vocational, higher
    let mut w: [u32; 6] = match age {
        60.. => [38, 38, 17, 5, 1, 1],
        40..=59 => [16, 34, 32, 12, 4, 2],
        25..=39 => [6, 20, 38, 22, 9, 5],
        _ => [3, 10, 36, 34, 10, 7],
    };
    if group.highland() {
        w[0] += if sex == Sex::Female { 30 } else { 14 };
        w[1] += 10;
        w[3] /= 2;
        w[4] /= 2;
        w[5] /= 3;
    } else if group == Group::Kinh {
        w[0] /= 2;
        w[3] += w[3] / 2;
        w[5] += w[5];
    }
    if x < 1200 {
        w[3] /= 2;
        w[4] /= 2;
        w[5] /= 2;
    } else if x > 2600 {
        w[3] *= 2;
        w[4] *= 2;
        w[5] *= 2;
    }
    match rng.weighted(&w) {
        0 => EducationLevel::None,
        1 => EducationLevel::Primary,
        2 => EducationLevel::LowerSecondary,
        3 => EducationLevel::UpperSecondary,
        4 => EducationLevel::Vocational,
        _ => EducationLevel::Higher,
    }
}

/// Generates a demo commune. Infallible: every parameter value is usable (no households → an
/// empty list; an empty village list → generated villages).
pub fn generate_commune(params: &DemoParams) -> DemoCommune {
    let (villages, profiles) = village_profiles(params);
    let weights: Vec<u32> = profiles.iter().map(|p| p.weight).collect();
    let addresses: Vec<String> = villages
        .iter()
        .map(|v| format!("{} {}", v.kind.word(), v.name))
        .collect();
    let mut counters = Counters {
        person: 0,
        id_offset: mix_seed(params.seed, 0x1D_0FF5E7) % 1_000_000,
    };
    let mut households = Vec::with_capacity(params.households as usize);
    let mut drafts = Vec::with_capacity(12);
    for i in 0..params.households {
        let mut rng = SplitMix64::new(mix_seed(params.seed, u64::from(i) + 1));
        let vi = rng.weighted(&weights);
        let hh = generate_household(
            &mut rng,
            params.reference_date,
            vi,
            &profiles[vi],
            &addresses[vi],
            &mut counters,
            &mut drafts,
        );
        households.push(hh);
    }
    DemoCommune {
        commune_code: params.commune_code.clone(),
        reference_date: params.reference_date,
        villages,
        households,
    }
}

fn generate_household(
    rng: &mut SplitMix64,
    reference: NaiveDate,
    village_index: usize,
    village: &VillageProfile,
    village_address: &str,
    counters: &mut Counters,
    drafts: &mut Vec<Draft>,
) -> DemoHousehold {
    let group = if rng.chance(village.dominance) {
        village.group
    } else {
        GROUPS[rng.weighted(&GROUP_WEIGHTS)]
    };
    let size = 1 + rng.weighted(&group.size_weights());
    build_structure(rng, size, group, drafts);

    // --- wealth index x (roughly 0…4000): drives income and every deprivation ------------------
    let r = village.remoteness;
    let children = drafts.iter().filter(|d| d.age < 15).count() as i32;
    let elderly = drafts.iter().filter(|d| d.age >= 60).count() as i32;
    let mut x = rng.range(0, 1000) + rng.range(0, 1000) + rng.range(0, 1000);
    x += group.wealth_bonus() - 280 * r;
    x -= 70 * (children - 2).max(0) + 60 * elderly * i32::from(size <= 2);
    let has_wage_job = rng.chance(if r == 0 { 260 } else { 110 - 30 * r });
    if has_wage_job {
        x += 450;
    }
    let x = x.max(0);

    let income = {
        let x = i64::from(x);
        let raw = 320_000 + x * 560 + x * x / 9 + i64::from(rng.range(-80, 80)) * 1_000;
        (raw.max(200_000) / 10_000) * 10_000
    };
    let poor_like = income <= 1_500_000;

    let lack_durable = rng.chance(clamp_pm(820 - x * 3 / 10 + 60 * r, 20, 900));
    let lack_water = rng.chance(clamp_pm(620 - x / 4 + 110 * r, 15, 850));
    let lack_toilet = rng.chance(clamp_pm(1000 - x * 35 / 100 + 80 * r, 30, 950));
    let lack_telecom = rng.chance(clamp_pm(420 - x / 5 + 50 * r, 5, 500));
    let lack_info = rng.chance(clamp_pm(520 - x / 4 + 60 * r, 5, 600));
    let per_person = 3 + x / 300 + rng.range(0, 8);
    let floor_area_m2 = (per_person * size as i32).clamp(12, 240) as u32;

    let insurance_gap_pm =
        clamp_pm(260 - x / 10, 25, 260) + if group == Group::Kinh { 120 } else { 0 };
    let insurance_gap = rng.chance(insurance_gap_pm);
    let stunting_pm = clamp_pm(
        360 - x / 6 + if group == Group::Mong { 40 } else { 0 },
        25,
        380,
    );
    let school_gap_pm = clamp_pm(160 - x / 14 + 30 * r, 5, 170);
    let hh_merit = rng.chance(if drafts.iter().any(|d| d.age >= 65) {
        90
    } else {
        20
    });

    // --- names ---------------------------------------------------------------------------------
    let head = drafts[0];
    let head_family = draw_family(rng, head.group, "");
    // the children's father: the head if male or alone, else the (male) spouse
    let spouse = drafts
        .iter()
        .find(|d| d.relation == Relation::Spouse)
        .copied();
    let mut spouse_family = "";
    if let Some(s) = spouse {
        spouse_family = draw_family(rng, s.group, head_family);
    }
    let child_family = if head.sex == Sex::Female && spouse.is_some() {
        spouse_family
    } else {
        head_family
    };

    let mut members: Vec<DemoMember> = Vec::with_capacity(drafts.len());
    let mut any_wage_assigned = false;
    let mut used_given: Vec<&'static str> = Vec::with_capacity(drafts.len());
    for d in drafts.iter() {
        let names = d.group.names();
        let family = match (d.relation, d.lineage) {
            (Relation::Head, _) => head_family,
            (Relation::Spouse, _) => spouse_family,
            (_, Lineage::HeadLine) => head_family,
            (_, Lineage::ChildLine) => child_family,
            (_, Lineage::Own) => draw_family(rng, d.group, head_family),
        };
        let (middles, givens) = match d.sex {
            Sex::Male => (names.male_middle, names.male_given),
            Sex::Female => (names.female_middle, names.female_given),
        };
        // siblings and parents never share a given name
        let mut given = rng.pick(givens);
        for _ in 0..4 {
            if !used_given.contains(&given) {
                break;
            }
            given = rng.pick(givens);
        }
        used_given.push(given);
        let mut full_name = String::new();
        push_name(&mut full_name, family, rng.pick(middles), given);

        let age = d.age.clamp(0, 105);
        let exact = birth_date_for(rng, reference, age);
        let birth_year = exact.year();
        let birth_date = if age >= 60 && rng.chance(300) {
            None
        } else {
            Some(exact)
        };

        // ID number: most young children have none recorded yet
        let has_id = match age {
            0..=5 => rng.chance(250),
            6..=13 => rng.chance(650),
            _ => rng.chance(975),
        };
        counters.person += 1;
        let person_no = counters.person;
        let id_number = if has_id {
            let province = if rng.chance(910) {
                "004"
            } else {
                rng.pick(OTHER_BIRTH_PROVINCES)
            };
            cccd::compose_id_number(
                province,
                d.sex.as_str(),
                birth_year,
                serial_for(person_no, counters.id_offset),
            )
        } else {
            None
        };

        let disability = rng.chance(if age >= 60 {
            70
        } else if age >= 15 {
            25
        } else {
            8
        });

        // schooling
        let attending_school = match age {
            3..=15 => !rng.chance(school_gap_pm),
            16..=17 => rng.chance(clamp_pm(300 + x / 5 - 60 * r, 200, 900)),
            18..=22 => rng.chance(clamp_pm(x / 12, 20, 300)),
            _ => false,
        } && !(disability && rng.chance(500));
        let education_level = match age {
            0..=10 => EducationLevel::None,
            11..=14 => {
                if attending_school || rng.chance(600) {
                    EducationLevel::Primary
                } else {
                    EducationLevel::None
                }
            }
            15..=17 => {
                if attending_school || rng.chance(550) {
                    EducationLevel::LowerSecondary
                } else {
                    EducationLevel::Primary
                }
            }
            _ => {
                let e = adult_education(rng, age, d.group, d.sex, x);
                if attending_school {
                    e.max(EducationLevel::UpperSecondary)
                } else {
                    e
                }
            }
        };

        // work
        let (work_status, labour_contract) = if attending_school {
            (WorkStatus::Student, false)
        } else if age < 15 {
            (WorkStatus::Child, false)
        } else if disability && rng.chance(650) {
            (WorkStatus::UnableToWork, false)
        } else if age >= 65 || (age >= 60 && rng.chance(450)) {
            if rng.chance(350) {
                (WorkStatus::Farming, false)
            } else {
                (WorkStatus::NotWorking, false)
            }
        } else if has_wage_job && !any_wage_assigned && d.relation != Relation::Parent {
            any_wage_assigned = true;
            (
                WorkStatus::Wage,
                rng.chance(clamp_pm(200 + x / 8, 150, 700)),
            )
        } else {
            match rng.weighted(&[800, 70, 55, 35, if d.sex == Sex::Female { 40 } else { 5 }]) {
                0 => (WorkStatus::Farming, false),
                1 => (WorkStatus::Wage, rng.chance(clamp_pm(x / 8, 50, 500))),
                2 => (WorkStatus::SelfEmployed, false),
                3 => (WorkStatus::Unemployed, false),
                _ => (WorkStatus::NotWorking, false),
            }
        };

        let social_allowance = (disability && rng.chance(700))
            || age >= 80
            || (age >= 60 && size == 1 && poor_like && rng.chance(400));

        // health insurance: children under 6 always (thẻ trẻ em), others may lack it in a
        // household that let cards lapse
        let insured = age < 6 || !(insurance_gap && rng.chance(600));
        let health_insurance_card = if insured {
            let object = if age < 6 {
                "TE1"
            } else if social_allowance {
                "BT2"
            } else if poor_like {
                "HN2"
            } else if d.group != Group::Kinh {
                "DT2"
            } else if work_status == WorkStatus::Student {
                "HS4"
            } else if work_status == WorkStatus::Wage && labour_contract {
                "DN4"
            } else {
                "GD4"
            };
            let mut card = String::with_capacity(15);
            card.push_str(object);
            card.push_str("0404");
            let number = (person_no
                .wrapping_mul(48_271)
                .wrapping_add(counters.id_offset))
                % 100_000_000;
            push_digits(&mut card, number, 8);
            Some(card)
        } else {
            None
        };

        let nutrition_status = if age < 16 {
            Some(if rng.chance(stunting_pm) {
                if rng.chance(650) {
                    Nutrition::Stunted
                } else {
                    Nutrition::Underweight
                }
            } else {
                Nutrition::Normal
            })
        } else {
            None
        };

        members.push(DemoMember {
            full_name,
            birth_date,
            birth_year,
            age: age as u32,
            sex: d.sex,
            ethnicity: d.group.code(),
            relation: d.relation,
            id_number,
            health_insurance: health_insurance_card.is_some(),
            health_insurance_card,
            attending_school,
            education_level,
            work_status,
            labour_contract,
            disability,
            social_allowance,
            nutrition_status,
        });
    }

    let no_labour = !members
        .iter()
        .any(|m| (15..=60).contains(&m.age) && !m.disability);
    let ethnic_minority =
        head.group != Group::Kinh || spouse.is_some_and(|s| s.group != Group::Kinh);
    let farming = members
        .iter()
        .filter(|m| m.work_status == WorkStatus::Farming)
        .count();
    let non_farm = members
        .iter()
        .filter(|m| matches!(m.work_status, WorkStatus::Wage | WorkStatus::SelfEmployed))
        .count();
    let agricultural = farming > 0 && farming >= non_farm;
    let address = if village.remoteness == 0 {
        format!("số nhà {}, {}", 1 + rng.below(180), village_address)
    } else {
        village_address.to_string()
    };

    DemoHousehold {
        village_index,
        address,
        ethnicity: head.group.code(),
        ethnic_minority,
        no_labour,
        merit: hh_merit,
        floor_area_m2,
        durable_house: !lack_durable,
        clean_water: !lack_water,
        hygienic_toilet: !lack_toilet,
        uses_telecom: !lack_telecom,
        has_information_device: !lack_info,
        income_per_capita_month: income,
        agricultural,
        score_a: score_a_for_income(income),
        members,
    }
}

fn push_digits(s: &mut String, value: u64, width: u32) {
    let mut div = 10u64.pow(width - 1);
    while div > 0 {
        s.push(char::from(b'0' + ((value / div) % 10) as u8));
        div /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cccd::check_id_number;
    use std::collections::HashSet;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn params(seed: u64, n: u32) -> DemoParams {
        DemoParams::new(seed, n, "01234", date(2026, 9, 1))
    }

    /// Household-level deprivation count in the spirit of the 12 indicators (demo check only).
    fn deprivations(h: &DemoHousehold) -> usize {
        let size = h.members.len() as u32;
        [
            !h.durable_house,
            h.floor_area_m2 < 8 * size,
            !h.clean_water,
            !h.hygienic_toilet,
            !h.uses_telecom,
            !h.has_information_device,
            h.members.iter().any(|m| m.age >= 6 && !m.health_insurance),
            h.members
                .iter()
                .any(|m| (3..16).contains(&m.age) && !m.attending_school),
            h.members.iter().any(|m| {
                matches!(
                    m.nutrition_status,
                    Some(Nutrition::Stunted | Nutrition::Underweight)
                )
            }),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }

    fn is_poor_like(h: &DemoHousehold) -> bool {
        h.income_per_capita_month <= 1_500_000 && deprivations(h) >= 3
    }

    #[test]
    fn splitmix64_reference_values() {
        // First outputs of SplitMix64 seeded with 0 (reference implementation by S. Vigna).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut r = SplitMix64::new(7);
        for _ in 0..1000 {
            assert!(r.below(10) < 10);
            let v = r.range(-3, 3);
            assert!((-3..=3).contains(&v));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.weighted(&[0, 0, 5]), 2);
    }

    #[test]
    fn same_seed_gives_identical_output() {
        let a = generate_commune(&params(42, 300));
        let b = generate_commune(&params(42, 300));
        assert_eq!(a, b);
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), 64);
        let c = generate_commune(&params(43, 300));
        assert_ne!(a.fingerprint(), c.fingerprint());
        let d = generate_commune(&DemoParams {
            reference_date: date(2025, 9, 1),
            ..params(42, 300)
        });
        assert_ne!(a.fingerprint(), d.fingerprint());
    }

    #[test]
    fn smaller_commune_is_a_prefix_of_a_larger_one() {
        let small = generate_commune(&params(9, 60));
        let large = generate_commune(&params(9, 150));
        assert_eq!(small.villages, large.villages);
        assert_eq!(small.households[..], large.households[..60]);
    }

    /// Pins the exact output for one seed: a change here means demo data (and every benchmark
    /// built on it) changed. Update the constant only for a deliberate change of the generator.
    #[test]
    fn golden_fingerprint() {
        let c = generate_commune(&params(20_261_123, 40));
        assert_eq!(c.fingerprint(), GOLDEN);
    }
    const GOLDEN: &str = "30c465a71464964024a0529c4c8f94e1d0540bcfdd635121ec1f4dae6e356d33";

    #[test]
    fn ages_are_exact_even_on_a_leap_day() {
        for reference in [date(2028, 2, 29), date(2027, 1, 1), date(2026, 12, 31)] {
            let c = generate_commune(&DemoParams {
                reference_date: reference,
                ..params(11, 400)
            });
            for m in c.households.iter().flat_map(|h| &h.members) {
                if let Some(b) = m.birth_date {
                    assert!(b <= reference);
                    assert_eq!(reference.years_since(b), Some(m.age), "{b} at {reference}");
                }
            }
        }
    }

    #[test]
    fn zero_households_and_default_villages() {
        let c = generate_commune(&params(1, 0));
        assert!(c.households.is_empty());
        assert!((8..=20).contains(&c.villages.len()));
        for seed in 0..40 {
            let c = generate_commune(&params(seed, 0));
            let n = c.villages.len();
            assert!((8..=20).contains(&n), "{n} villages");
            let names: HashSet<&str> = c.villages.iter().map(|v| v.name.as_str()).collect();
            assert_eq!(names.len(), n, "village names unique");
            for (i, v) in c.villages.iter().enumerate() {
                assert_eq!(v.code, format!("{:02}", i + 1));
            }
        }
        let v = DemoVillage {
            code: "03".into(),
            name: "Khưa Lốm".into(),
            kind: VillageKind::Xom,
        };
        assert_eq!(v.full_name(), "Xóm Khưa Lốm");
        assert_eq!(VillageKind::parse("Bản"), Some(VillageKind::Ban));
        assert_eq!(
            VillageKind::parse("to_dan_pho"),
            Some(VillageKind::ToDanPho)
        );
        assert_eq!(VillageKind::parse("làng"), None);
    }

    #[test]
    fn given_villages_are_used() {
        let villages = vec![
            DemoVillage {
                code: "A".into(),
                name: "Nà Pán".into(),
                kind: VillageKind::Ban,
            },
            DemoVillage {
                code: "B".into(),
                name: "Lũng Vài".into(),
                kind: VillageKind::Ban,
            },
            DemoVillage {
                code: "C".into(),
                name: "Đông Khê".into(),
                kind: VillageKind::Thon,
            },
        ];
        let p = DemoParams {
            villages: Some(villages.clone()),
            ..params(5, 400)
        };
        let c = generate_commune(&p);
        assert_eq!(c.villages, villages);
        let mut used = [0usize; 3];
        for h in &c.households {
            assert!(h.village_index < 3);
            used[h.village_index] += 1;
            assert!(
                h.address
                    .ends_with(&format!("bản {}", villages[h.village_index].name))
                    || h.address
                        .ends_with(&format!("thôn {}", villages[h.village_index].name))
            );
        }
        assert!(used.iter().all(|n| *n > 20), "{used:?}");
        // empty list means generated villages
        let c = generate_commune(&DemoParams {
            villages: Some(Vec::new()),
            ..params(5, 10)
        });
        assert!(c.villages.len() >= 8);
    }

    #[test]
    fn score_a_matches_the_income_line() {
        assert_eq!(score_a_for_income(1_500_000), 140);
        assert_eq!(score_a_for_income(1_490_000), 140);
        assert_eq!(score_a_for_income(1_510_000), 141);
        assert_eq!(score_a_for_income(0), 0);
        assert_eq!(score_a_for_income(-5), 0);
        assert_eq!(score_a_for_income(3_000_000), 280);
    }

    fn all_name_words() -> HashSet<&'static str> {
        let mut set = HashSet::new();
        for n in [
            &KINH_NAMES,
            &TAY_NAMES,
            &NUNG_NAMES,
            &MONG_NAMES,
            &DAO_NAMES,
        ] {
            for list in [
                n.family,
                n.male_middle,
                n.female_middle,
                n.male_given,
                n.female_given,
            ] {
                set.extend(list.iter().copied());
            }
        }
        set
    }

    #[test]
    fn name_pools_are_spelled_with_full_diacritics() {
        // Every pool word written without any diacritic must be a real name that has none;
        // this catches a stripped spelling such as "Nong" for "Nông".
        const PLAIN: &[&str] = &[
            "A", "Seo", "Say", "Ly", "Lan", "Hoa", "Mai", "Nga", "Linh", "Trang", "Long", "Nam",
            "Minh", "Thanh", "Quang", "Trung", "Sinh", "Phin", "Sen", "Thoa", "Ma", "La", "Chu",
            "Vi", "Thu", "Kim", "Mua", "Dua", "Lia", "Loan", "Tiến", "Cao", "Slao", "Kiên", "Dung",
            "Hoan", "Phong", "Khoa", "Khai", "Chinh", "Nhung", "Van", "Ha", "Tam", "Son", "Binh",
            "Viet",
        ];
        let words = all_name_words();
        for w in &words {
            if w.is_ascii() {
                assert!(
                    PLAIN.contains(w),
                    "{w:?} has no diacritics: is it spelled right?"
                );
            }
        }
        // Names that need diacritics have them.
        for w in [
            "Nông", "Giàng", "Vàng", "Sùng", "Thào", "Lò", "Hầu", "Bàn", "Đặng", "Lục", "Đàm",
            "Bế", "Lương", "Triệu", "Lý", "Nguyễn", "Trần", "Lê", "Thị", "Văn", "Mỷ", "Páo",
            "Kiềm",
        ] {
            assert!(words.contains(w), "{w}");
        }
        for w in [
            "Nong", "Giang", "Vang", "Sung", "Thao", "Lo", "Hau", "Ban", "Dang", "Luc", "Dam",
            "Be", "Luong", "Trieu", "Nguyen", "Tran", "Le", "Thi", "Van", "My", "Pao", "Kiem",
        ] {
            assert!(!words.contains(w), "{w} without diacritics");
        }
    }

    #[test]
    fn five_thousand_households_look_realistic() {
        let reference = date(2026, 9, 1);
        let c = generate_commune(&params(2026, 5_000));
        assert_eq!(c.households.len(), 5_000);
        assert_eq!(c.commune_code, "01234");
        let words = all_name_words();

        let mut members = 0usize;
        let mut minority = 0usize;
        let mut poor_like = 0usize;
        let mut by_group: std::collections::HashMap<&str, (usize, usize)> = Default::default();
        let (mut poor_no_toilet, mut poor_n, mut rich_no_toilet, mut rich_n) = (0, 0, 0, 0);
        let (mut school_age, mut in_school) = (0, 0);
        let (mut elderly, mut elderly_year_only) = (0, 0);
        let (mut under6, mut under6_with_id) = (0, 0);
        let mut ids = HashSet::new();
        let mut cao_bang_ids = 0usize;
        let mut sizes = [0usize; 11];

        for h in &c.households {
            let n = h.members.len();
            assert!((1..=10).contains(&n), "size {n}");
            sizes[n] += 1;
            members += n;
            assert!(h.village_index < c.villages.len());
            assert!(!h.address.is_empty());
            assert!(crate::ethnicity::by_code(h.ethnicity).is_some());
            assert_eq!(h.score_a <= 140, h.income_per_capita_month <= 1_500_000);
            assert_eq!(h.score_a, score_a_for_income(h.income_per_capita_month));
            assert!(h.income_per_capita_month > 0 && h.income_per_capita_month % 10_000 == 0);
            assert!(h.floor_area_m2 >= 12);
            let heads = h
                .members
                .iter()
                .filter(|m| m.relation == Relation::Head)
                .count();
            assert_eq!(heads, 1, "exactly one head");
            assert_eq!(h.members[0].relation, Relation::Head);
            assert!(
                h.members
                    .iter()
                    .filter(|m| m.relation == Relation::Spouse)
                    .count()
                    <= 1
            );
            if h.ethnic_minority {
                minority += 1;
            }
            assert_eq!(
                h.ethnic_minority,
                h.members
                    .iter()
                    .filter(|m| matches!(m.relation, Relation::Head | Relation::Spouse))
                    .any(|m| crate::ethnicity::is_minority(m.ethnicity))
            );
            assert_eq!(
                h.no_labour,
                !h.members
                    .iter()
                    .any(|m| (15..=60).contains(&m.age) && !m.disability)
            );
            let e = by_group.entry(h.ethnicity).or_default();
            e.0 += 1;
            e.1 += n;
            let poor = is_poor_like(h);
            if poor {
                poor_like += 1;
            }
            if h.income_per_capita_month <= 1_500_000 {
                poor_n += 1;
                poor_no_toilet += usize::from(!h.hygienic_toilet);
            } else if h.income_per_capita_month >= 3_000_000 {
                rich_n += 1;
                rich_no_toilet += usize::from(!h.hygienic_toilet);
            }

            let head = &h.members[0];
            for m in &h.members {
                // names
                assert!(!m.full_name.trim().is_empty());
                let parts: Vec<&str> = m.full_name.split(' ').collect();
                assert!(parts.len() >= 2, "{}", m.full_name);
                for p in &parts {
                    assert!(
                        words.contains(p),
                        "unknown name part {p:?} in {}",
                        m.full_name
                    );
                }
                assert!(
                    !m.full_name
                        .chars()
                        .any(|ch| ('\u{300}'..='\u{36f}').contains(&ch)),
                    "names are precomposed"
                );
                // ages and dates
                assert!(m.age < 110);
                match m.birth_date {
                    Some(b) => {
                        assert!(b <= reference);
                        assert_eq!(b.year(), m.birth_year);
                        let full_years = reference.years_since(b).unwrap_or(u32::MAX);
                        assert_eq!(full_years, m.age, "age of {b}");
                    }
                    None => {
                        assert!(m.age >= 60, "only elderly lack a birth date");
                        let y = reference.year() - m.birth_year;
                        assert!(y == m.age as i32 || y == m.age as i32 + 1);
                    }
                }
                if m.age >= 60 {
                    elderly += 1;
                    elderly_year_only += usize::from(m.birth_date.is_none());
                }
                // ID numbers: consistent, no errors and no warnings, unique
                if let Some(id) = &m.id_number {
                    let check = check_id_number(id, Some(m.sex.as_str()), Some(m.birth_year));
                    assert!(check.error.is_none(), "{id}: {check:?}");
                    assert!(check.warnings.is_empty(), "{id}: {:?}", check.warnings);
                    assert!(ids.insert(id.clone()), "duplicate ID {id}");
                    cao_bang_ids += usize::from(id.starts_with("004"));
                }
                if m.age < 6 {
                    under6 += 1;
                    under6_with_id += usize::from(m.id_number.is_some());
                    assert!(m.health_insurance, "children under 6 have a free card");
                }
                assert_eq!(m.health_insurance, m.health_insurance_card.is_some());
                if let Some(card) = &m.health_insurance_card {
                    assert_eq!(card.len(), 15);
                }
                assert_eq!(m.nutrition_status.is_some(), m.age < 16);
                if (3..=15).contains(&m.age) {
                    school_age += 1;
                    in_school += usize::from(m.attending_school);
                }
                if m.attending_school {
                    assert_eq!(m.work_status, WorkStatus::Student);
                }
                if m.labour_contract {
                    assert_eq!(m.work_status, WorkStatus::Wage);
                }
                if m.age < 15 {
                    assert!(matches!(
                        m.work_status,
                        WorkStatus::Child | WorkStatus::Student
                    ));
                }
                // family structure
                match m.relation {
                    Relation::Child => {
                        let gap = head.age as i32 - m.age as i32;
                        assert!(
                            (18..=40).contains(&gap),
                            "child {} vs head {}",
                            m.age,
                            head.age
                        );
                    }
                    Relation::Spouse => {
                        assert!(m.sex != head.sex);
                        assert!((head.age as i32 - m.age as i32).abs() <= 6);
                    }
                    Relation::Grandchild => assert!(head.age >= m.age + 36),
                    Relation::Parent => assert!(m.age >= head.age + 18),
                    _ => {}
                }
            }
            // children of the head share the father's family name
            if let Some(child) = h.members.iter().find(|m| m.relation == Relation::Child) {
                let father = h
                    .members
                    .iter()
                    .find(|m| {
                        matches!(m.relation, Relation::Head | Relation::Spouse)
                            && m.sex == Sex::Male
                    })
                    .unwrap_or(head);
                let fam = |s: &str| s.split(' ').next().unwrap_or("").to_string();
                assert_eq!(fam(&child.full_name), fam(&father.full_name));
            }
        }

        let hh = c.households.len() as f64;
        let mean_size = members as f64 / hh;
        let minority_share = minority as f64 / hh;
        let poor_share = poor_like as f64 / hh;
        let mean = |code: &str| {
            let (h, m) = by_group.get(code).copied().unwrap_or((0, 0));
            m as f64 / h.max(1) as f64
        };
        let report = format!(
            "mean size {mean_size:.2}, minority {minority_share:.3}, poor-like {poor_share:.3}, \
             Mông {:.2}, Tày {:.2}, Kinh {:.2}, toilet gap poor {poor_no_toilet}/{poor_n} rich \
             {rich_no_toilet}/{rich_n}, school {in_school}/{school_age}, elderly year-only \
             {elderly_year_only}/{elderly}, under-6 with id {under6_with_id}/{under6}, sizes \
             {sizes:?}",
            mean("08"),
            mean("02"),
            mean("01")
        );
        println!("{report}");
        assert!((4.0..=4.7).contains(&mean_size), "{report}");
        assert!((0.80..=0.97).contains(&minority_share), "{report}");
        assert!((0.15..=0.25).contains(&poor_share), "{report}");
        assert!(mean("08") > mean("02") + 0.8, "{report}");
        assert!(
            poor_no_toilet * rich_n > 2 * rich_no_toilet * poor_n,
            "{report}"
        );
        let school = in_school as f64 / school_age as f64;
        assert!((0.85..=0.99).contains(&school), "{report}");
        let year_only = elderly_year_only as f64 / elderly as f64;
        assert!((0.22..=0.38).contains(&year_only), "{report}");
        assert!(under6_with_id * 2 < under6, "{report}");
        assert!(
            cao_bang_ids * 100 > ids.len() * 85,
            "most IDs registered in Cao Bằng"
        );
        assert!(sizes[1] > 0 && sizes[9] + sizes[10] > 0, "{report}");
    }

    /// Not a timing assertion: run by hand (`-- --ignored --nocapture`) to see the speed.
    #[test]
    #[ignore]
    fn generate_150k_households() {
        let t = std::time::Instant::now();
        let c = generate_commune(&params(1, 150_000));
        let generated = t.elapsed();
        assert_eq!(c.households.len(), 150_000);
        let f = c.fingerprint();
        println!(
            "{} members in {generated:?}, fingerprint {f} after {:?}",
            c.member_count(),
            t.elapsed()
        );
    }

    #[test]
    fn highland_remote_households_are_poorer() {
        let c = generate_commune(&params(77, 4_000));
        let (mut hi_poor, mut hi_n, mut lo_poor, mut lo_n) = (0, 0, 0, 0);
        for h in &c.households {
            let poor = usize::from(is_poor_like(h));
            if h.ethnicity == "08" || h.ethnicity == "09" {
                hi_n += 1;
                hi_poor += poor;
            } else {
                lo_n += 1;
                lo_poor += poor;
            }
        }
        assert!(hi_n > 0 && lo_n > 0);
        // at least twice the rate
        assert!(
            hi_poor * lo_n > 2 * lo_poor * hi_n,
            "{hi_poor}/{hi_n} vs {lo_poor}/{lo_n}"
        );
    }
}
