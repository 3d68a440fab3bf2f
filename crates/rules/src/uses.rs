//! Building uses 建筑用途: English and Chinese terms to a use category, and parcel land-use
//! codes (2023 用地用海 or GB 50137) to land classes through the profile's crosswalk.

use crate::profile::LandUse;

/// Use categories and the terms that name them. Chinese terms match as substrings;
/// English terms match whole words, case-insensitively.
const VOCABULARY: &[(&str, &[&str], &[&str])] = &[
    (
        "residential",
        &[
            "住宅", "居住", "公寓", "住房", "别墅", "卧室", "起居", "客厅",
        ],
        &[
            "residential",
            "residence",
            "dwelling",
            "apartment",
            "apartments",
            "housing",
            "house",
            "home",
            "villa",
            "bedroom",
            "living",
        ],
    ),
    ("office", &["办公", "写字楼"], &["office", "offices"]),
    (
        "commercial",
        &[
            "商业", "商店", "零售", "餐饮", "商场", "商铺", "超市", "市场",
        ],
        &[
            "commercial",
            "retail",
            "shop",
            "shops",
            "store",
            "mercantile",
            "restaurant",
            "market",
            "mall",
        ],
    ),
    ("hotel", &["旅馆", "酒店", "宾馆"], &["hotel", "hostel"]),
    (
        "education",
        &["学校", "教育", "教学", "中学", "小学", "幼儿园", "教室"],
        &[
            "school",
            "education",
            "educational",
            "classroom",
            "kindergarten",
        ],
    ),
    (
        "medical",
        &["医院", "医疗", "卫生院", "诊所"],
        &["hospital", "clinic", "medical", "healthcare"],
    ),
    (
        "culture",
        &["文化", "图书馆", "博物馆", "展览"],
        &["library", "museum", "culture", "cultural", "exhibition"],
    ),
    (
        "sports",
        &["体育", "运动", "健身"],
        &["sport", "sports", "gym", "stadium"],
    ),
    (
        "welfare",
        &["养老", "福利", "敬老"],
        &["elderly", "nursing", "welfare"],
    ),
    ("community", &["社区", "服务站", "物业"], &["community"]),
    (
        "administration",
        &["行政", "机关"],
        &["administration", "government"],
    ),
    (
        "research",
        &["科研", "研发", "实验室"],
        &["research", "laboratory"],
    ),
    (
        "entertainment",
        &["娱乐", "影院", "剧院"],
        &["entertainment", "cinema", "theatre", "theater"],
    ),
    (
        "industrial",
        &["工业", "厂房", "车间"],
        &["industrial", "factory", "workshop"],
    ),
    (
        "warehouse",
        &["仓库", "仓储", "物流"],
        &["warehouse", "logistics"],
    ),
    (
        "religion",
        &["宗教", "寺", "教堂"],
        &["religious", "church", "temple"],
    ),
    (
        "heritage",
        &["文物", "祠堂", "古迹"],
        &["heritage", "monument"],
    ),
    (
        "parking",
        &["停车", "车库"],
        &["parking", "garage", "carpark"],
    ),
];

/// The use category a term names, if any.
pub fn category(term: &str) -> Option<&'static str> {
    let lower = term.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    VOCABULARY.iter().find_map(|(cat, zh, en)| {
        (zh.iter().any(|t| term.contains(t)) || en.iter().any(|t| words.contains(t)))
            .then_some(*cat)
    })
}

/// Chinese label of a category for explanations.
pub fn label_zh(cat: &str) -> &str {
    match cat {
        "residential" => "住宅",
        "office" => "办公",
        "commercial" => "商业",
        "hotel" => "旅馆",
        "education" => "教育",
        "medical" => "医疗",
        "culture" => "文化",
        "sports" => "体育",
        "welfare" => "社会福利",
        "community" => "社区服务",
        "administration" => "行政办公",
        "research" => "科研",
        "entertainment" => "娱乐康体",
        "industrial" => "工业",
        "warehouse" => "仓储",
        "religion" => "宗教",
        "heritage" => "文物古迹",
        "parking" => "停车",
        other => other,
    }
}

/// Residential or public 公建, for the setback tables and the fire code.
/// Whether a site feature's `use` attribute names a residential category.
pub fn feature_is_residential(f: &zhishen_site::Feature) -> bool {
    f.text("use").and_then(category).is_some_and(is_residential)
}

pub fn is_residential(cat: &str) -> bool {
    cat == "residential"
}

/// Land classes of a parcel code. Mixed codes (`B1/R2`, `0901+0701`) give several.
/// Returns the unknown parts as `Err` so the check can name them.
pub fn land_classes(code: &str, table: &LandUse) -> Result<Vec<String>, Vec<String>> {
    let mut classes = Vec::new();
    let mut unknown = Vec::new();
    for part in code
        .split(['/', '、', '+', ',', '，', ';', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let p = part.to_uppercase();
        let hit = table
            .codes
            .iter()
            .filter(|(prefix, _)| p.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len());
        match hit {
            Some((_, class)) => {
                if !classes.contains(class) {
                    classes.push(class.clone());
                }
            }
            None => unknown.push(part.to_string()),
        }
    }
    if unknown.is_empty() && !classes.is_empty() {
        Ok(classes)
    } else {
        Err(if unknown.is_empty() {
            vec![code.to_string()]
        } else {
            unknown
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profiles;

    #[test]
    fn terms_in_both_languages() {
        assert_eq!(category("住宅"), Some("residential"));
        assert_eq!(
            category("citygml:1000 (residential building)"),
            Some("residential")
        );
        assert_eq!(category("Living Room"), Some("residential"));
        assert_eq!(category("办公"), Some("office"));
        assert_eq!(category("Office"), Some("office"));
        assert_eq!(category("商业"), Some("commercial"));
        assert_eq!(category("Room 1"), None);
        // Whole words only: "shopping" is not "shop", "officer" not "office".
        assert_eq!(category("officer"), None);
    }

    #[test]
    fn codes_from_both_systems_and_mixed() {
        let p = Profiles::builtin().unwrap();
        let (t, _) = p.pick(|p| p.land_use.as_ref()).unwrap();
        assert_eq!(land_classes("0701", t).unwrap(), vec!["residential"]);
        assert_eq!(land_classes("070101", t).unwrap(), vec!["residential"]);
        assert_eq!(land_classes("0702", t).unwrap(), vec!["community_service"]);
        assert_eq!(land_classes("R2", t).unwrap(), vec!["residential"]);
        assert_eq!(land_classes("R22", t).unwrap(), vec!["community_service"]);
        assert_eq!(land_classes("A33", t).unwrap(), vec!["education"]);
        assert_eq!(land_classes("080403", t).unwrap(), vec!["education"]);
        assert_eq!(
            land_classes("B1/R2", t).unwrap(),
            vec!["commercial", "residential"]
        );
        assert_eq!(land_classes("X9", t).unwrap_err(), vec!["X9"]);
    }
}
