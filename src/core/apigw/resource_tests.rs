//! The resource path template: what compiles, what matches, the parameters.

use super::Resource;

fn params(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    Resource::compile(template).unwrap().matches(path)
}

fn p(pairs: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[test]
fn literal_and_single_segment_parameters() {
    assert_eq!(params("/items/{id}", "/items/42"), p(&[("id", "42")]));
    assert_eq!(
        params("/items/{id}", "/items/caf%C3%A9"),
        p(&[("id", "café")])
    );
    assert_eq!(params("/items/{id}", "/items/"), None);
    assert_eq!(params("/items/{id}", "/items"), None);
    assert_eq!(params("/items/{id}", "/items/1/2"), None);
    assert_eq!(params("/items/{id}", "/other/1"), None);
    assert_eq!(
        params("/u/{user}/o/{order}", "/u/ann/o/9"),
        p(&[("user", "ann"), ("order", "9")])
    );
    assert_eq!(params("/health", "/health"), p(&[]));
    assert_eq!(params("/health", "/health/"), None);
    assert_eq!(params("/", "/"), p(&[]));
    assert_eq!(params("/", "/x"), None);
    assert_eq!(params("/a%20b", "/a%20b"), p(&[]));
    assert_eq!(params("/a%20b", "/a b"), p(&[]), "literals compare decoded");
}

#[test]
fn greedy_parameters_take_the_rest() {
    assert_eq!(params("/{proxy+}", "/a/b/c"), p(&[("proxy", "a/b/c")]));
    assert_eq!(params("/{proxy+}", "/a"), p(&[("proxy", "a")]));
    assert_eq!(params("/{proxy+}", "/"), None);
    assert_eq!(
        params("/files/{path+}", "/files/x%20y/z"),
        p(&[("path", "x y/z")])
    );
    assert_eq!(params("/files/{path+}", "/files"), None);
    assert_eq!(
        params("/v1/{tenant}/{rest+}", "/v1/t1/a/b"),
        p(&[("tenant", "t1"), ("rest", "a/b")])
    );
    assert_eq!(params("/x", "no-leading-slash"), None);
}

#[test]
fn templates_that_do_not_compile_say_why() {
    let cases = [
        ("items", "must start with '/'"),
        ("/items/", "empty segment"),
        ("/a//b", "empty segment"),
        ("/items/{id", "whole segment"),
        ("/items/x{id}", "whole segment"),
        ("/items/{}", "parameter \"\""),
        ("/items/{a.b!}", "parameter"),
        ("/a b", "path only"),
        ("/{proxy+}/x", "must be the last"),
        ("/{id}/{id}", "appears twice"),
        ("/{id}/{id+}", "appears twice"),
        ("/q?x=1", "path only"),
        ("/tab\there", "path only"),
    ];
    for (template, expected) in cases {
        let e = Resource::compile(template).unwrap_err();
        assert!(e.contains(expected), "{template:?}: {e}");
    }
    assert!(Resource::compile(&format!("/{}", "a".repeat(2000))).is_err());
    assert_eq!(
        Resource::compile("/items/{id}").unwrap().template(),
        "/items/{id}"
    );
}
