//! The `Accept` parser and its ordering.

use super::accept::{Accept, MediaRange, MAX_RANGES};

fn order(values: &[&str]) -> Vec<String> {
    Accept::parse(values.iter().copied())
        .ranges()
        .iter()
        .map(|r| r.media().to_string())
        .collect()
}

#[test]
fn every_value_and_every_range_is_read() {
    assert_eq!(
        order(&["text/html, application/xml", "application/json"]),
        ["text/html", "application/xml", "application/json"]
    );
}

#[test]
fn higher_q_first() {
    assert_eq!(
        order(&["text/plain;q=0.5, application/json;q=0.9, text/html"]),
        ["text/html", "application/json", "text/plain"]
    );
    assert_eq!(
        order(&["a/a;q=0.001, b/b;q=1.0, c/c;q=0.01"]),
        ["b/b", "c/c", "a/a"]
    );
}

#[test]
fn at_equal_q_concrete_types_come_before_wildcards() {
    assert_eq!(
        order(&["*/*, text/*, text/plain"]),
        ["text/plain", "text/*", "*/*"]
    );
    assert_eq!(
        order(&["*/*;q=0.8, application/*;q=0.8, application/json;q=0.8"]),
        ["application/json", "application/*", "*/*"]
    );
    // A wildcard with a higher q still comes first.
    assert_eq!(
        order(&["application/json;q=0.5, */*"]),
        ["*/*", "application/json"]
    );
}

#[test]
fn at_equal_q_different_types_keep_the_header_order() {
    // Gravitee's comparator says "equal" across types; the sort is stable.
    assert_eq!(
        order(&["text/*, application/json"]),
        ["text/*", "application/json"]
    );
    assert_eq!(
        order(&["application/xml, application/json, text/html"]),
        ["application/xml", "application/json", "text/html"]
    );
}

#[test]
fn same_media_more_parameters_first() {
    let a = Accept::parse(["text/html, text/html;level=1"]);
    let written: Vec<&str> = a.ranges().iter().map(|r| r.written()).collect();
    assert_eq!(written, ["text/html;level=1", "text/html"]);
}

#[test]
fn suffix_wildcards_count_as_wildcard_subtypes() {
    assert_eq!(
        order(&["application/*+json, application/problem+json"]),
        ["application/problem+json", "application/*+json"]
    );
}

#[test]
fn types_are_lowercased_and_star_alone_is_everything() {
    assert_eq!(order(&["Application/JSON"]), ["application/json"]);
    assert_eq!(order(&["*"]), ["*/*"]);
}

#[test]
fn unparsable_ranges_are_ignored() {
    for bad in [
        "text",
        "/json",
        "text/",
        "*/json",
        "te xt/html",
        "text/html;q=abc",
        "text/html;q=1.5",
        "text/html;q=-0.1",
        "text/html;q=",
        "text/html;a=\"open",
        "text/h(tml",
        "text/html;a=b c",
        "",
    ] {
        assert!(MediaRange::parse(bad).is_none(), "{bad:?}");
    }
    assert_eq!(
        order(&["garbage, text/html;q=oops, application/json"]),
        ["application/json"]
    );
}

#[test]
fn lenient_where_spring_is() {
    // A parameter without `=` and empty pieces are skipped; quoted values may hold `,` and `;`.
    assert_eq!(order(&["text/html;;flag;q=0.5"]), ["text/html"]);
    let a = Accept::parse([r#"text/html;x="a,b;c", application/json;q="0.5""#]);
    let got: Vec<(&str, u16)> = a.ranges().iter().map(|r| (r.written(), r.q())).collect();
    assert_eq!(
        got,
        [(r#"text/html;x="a,b;c""#, 1000), ("application/json", 500)]
    );
    assert_eq!(MediaRange::parse("text/html; Q=0.25").unwrap().q(), 250);
}

#[test]
fn q_zero_is_never_matched_but_the_header_is_present() {
    let a = Accept::parse(["application/json;q=0"]);
    assert!(a.ranges().is_empty());
    assert!(!a.is_absent());
    assert!(!a.allows_json());
    assert_eq!(a.first(), None);
}

#[test]
fn absent_when_nothing_parses() {
    assert!(Accept::parse([]).is_absent());
    assert!(Accept::parse(["", " , "]).is_absent());
    assert!(Accept::parse(["nonsense"]).is_absent());
    assert!(!Accept::parse(["text/html"]).is_absent());
}

#[test]
fn first_is_the_first_acceptable_range_as_written_without_q() {
    let a = Accept::parse(["text/html;charset=utf-8;q=0.5;ext=1, application/json"]);
    assert_eq!(a.first(), Some("text/html;charset=utf-8"));
    assert_eq!(a.ranges()[0].media(), "application/json");
    let b = Accept::parse(["bad, text/plain;q=0, */*", "text/xml"]);
    assert_eq!(b.first(), Some("*/*"));
}

#[test]
fn json_is_allowed_for_no_accept_wildcards_and_json() {
    for ok in [
        &[][..],
        &["*/*"],
        &["application/*"],
        &["text/html, application/json;q=0.1"],
        &["text/html", "application/json"],
    ] {
        assert!(Accept::parse(ok.iter().copied()).allows_json(), "{ok:?}");
    }
    for no in [
        &["text/html"][..],
        &["text/*"],
        &["application/xml"],
        &["application/problem+json"],
        &["application/json;q=0, text/plain"],
    ] {
        assert!(!Accept::parse(no.iter().copied()).allows_json(), "{no:?}");
    }
}

#[test]
fn at_most_max_ranges_are_kept() {
    let many: Vec<String> = (0..MAX_RANGES + 10).map(|i| format!("t/s{i}")).collect();
    let header = many.join(",");
    let a = Accept::parse([header.as_str()]);
    assert_eq!(a.ranges().len(), MAX_RANGES);
    // A huge header of one range repeated parses in linear time and never panics.
    let big = "a/b;q=0.5,".repeat(100_000);
    assert_eq!(Accept::parse([big.as_str()]).ranges().len(), MAX_RANGES);
}

/// Deterministic pseudo-random headers: nothing panics, and the order holds
/// (q never rises; at equal q no `*/*` before a concrete type).
#[test]
fn random_headers_parse_and_order() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let types = ["text", "application", "*", "Image", "te xt", ""];
    let subs = ["html", "json", "*", "*+json", "plain", "/", "x\"y"];
    let params = [
        "",
        "",
        ";q=0.5",
        ";q=1",
        ";q=0",
        ";q=0.25",
        ";level=1",
        ";q=x",
        ";a=\"b,c\"",
        ";",
        ";q=2",
    ];
    let mut pick = |items: &[&'static str]| items[(next() % items.len() as u64) as usize];
    let (mut ranges, mut pairs) = (0, 0);
    for _ in 0..5_000 {
        let count = 1
            + (pick(&["0", "1", "2", "3", "4", "5"])
                .parse::<usize>()
                .unwrap());
        let mut header = String::new();
        for i in 0..count {
            if i > 0 {
                header.push_str(pick(&[",", ", ", " ,", ",,", ";"]));
            }
            header.push_str(pick(&types));
            header.push_str(pick(&["/", "/", "/", ""]));
            header.push_str(pick(&subs));
            header.push_str(pick(&params));
            header.push_str(pick(&params));
        }
        let a = Accept::parse([header.as_str()]);
        let r = a.ranges();
        assert!(r.len() <= MAX_RANGES);
        ranges += r.len();
        pairs += r.len().saturating_sub(1);
        assert_eq!(a.first().is_some(), !r.is_empty(), "{header:?}");
        assert!(!a.is_absent() || r.is_empty(), "{header:?}");
        for w in r.windows(2) {
            assert!(w[0].q() >= w[1].q(), "{header:?}");
            if w[0].q() == w[1].q() {
                assert!(
                    w[0].media() != "*/*" || w[1].media().starts_with('*'),
                    "{header:?}"
                );
            }
        }
        for range in r {
            assert!(range.q() > 0 && range.q() <= 1000);
            // A range's written form parses back to the same media type.
            let again = MediaRange::parse(range.written()).unwrap();
            assert_eq!(again.media(), range.media(), "{header:?}");
        }
    }
    // The generator does reach the parser's happy paths.
    assert!(
        ranges > 1_000 && pairs > 200,
        "{ranges} ranges, {pairs} pairs"
    );
}
