//! Configuration: defaults, refusals naming the field, credentials sources.

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(json: &str) -> Result<Parsed, ConfigError> {
    from_json(json.as_bytes(), &no_env)
}

fn refused(json: &str) -> ConfigError {
    match parse(json) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e,
    }
}

#[test]
fn seed_example_is_accepted_with_defaults() {
    let json = r#"{
        "variables": [{"name": "lambdaResponse", "value": "{#jsonPath(#lambdaResponse.content, '$')}"}],
        "secretKey": "secretKey", "accessKey": "accessKey",
        "payload": "{ \"key\": \"value\" }", "scope": "REQUEST", "function": "lambda-example",
        "region": "us-east-1", "sendToConsumer": true, "endpoint": "http://aws-lambda-url/function"
    }"#;
    let p = parse(json).unwrap();
    let c = p.config;
    assert_eq!(c.scope, Scope::Request);
    assert!(c.send_to_consumer);
    assert_eq!(c.cluster, "lambda");
    assert_eq!(c.target.authority, "aws-lambda-url");
    assert_eq!(
        c.target.path_and_query,
        "/function/2015-03-31/functions/lambda-example/invocations"
    );
    assert_eq!(c.timeout, Duration::from_secs(30));
    assert_eq!(c.credentials.base_source, "configuration");
    assert_eq!(c.variables.len(), 1);
    assert!(p.warnings.is_empty());
}

#[test]
fn defaults() {
    let c = parse(r#"{"function":"f"}"#).unwrap().config;
    assert_eq!(c.scope, Scope::Request);
    assert_eq!(c.invocation_type, InvocationType::RequestResponse);
    assert_eq!(c.target.authority, "lambda.us-east-1.amazonaws.com");
    assert_eq!(c.target.log_type, "None");
    assert!(!c.send_to_consumer);
    assert!(c.credentials.base.is_none());
}

#[test]
fn tightest_timeout_wins() {
    let c = parse(r#"{"function":"f","readTimeoutMs":5000,"apiCallTimeoutMs":800,"apiCallAttemptTimeoutMs":0}"#)
        .unwrap()
        .config;
    assert_eq!(c.timeout, Duration::from_millis(800));
}

#[test]
fn ssl_and_connection_timeout_warn() {
    let p = parse(r#"{"function":"f","ssl":{"trustAll":true},"connectionTimeoutMs":100}"#).unwrap();
    let ignored: Vec<_> = p
        .warnings
        .iter()
        .filter(|w| w.contains("ignored"))
        .collect();
    assert_eq!(ignored.len(), 2, "{:?}", p.warnings);
    assert!(ignored.iter().all(|w| w.contains("cluster")));
}

#[test]
fn refusals_name_the_field() {
    let cases = [
        (
            r#"{"function":"f","colour":"red"}"#,
            "colour",
            "unknown field",
        ),
        (r#"{"scope":"REQUEST"}"#, "function", "required"),
        (r#"{"function":"f","scope":"BODY"}"#, "scope", "BODY"),
        (
            r#"{"function":"f","invocationType":"Sync"}"#,
            "invocationType",
            "Sync",
        ),
        (r#"{"function":"f","logType":"All"}"#, "logType", "All"),
        (
            r#"{"function":"f","payload":"{#request.headers[}"}"#,
            "payload",
            "compile",
        ),
        (
            r#"{"function":"f","variables":[{"name":"v","value":"{#a +}"}]}"#,
            "variables[0].value",
            "compile",
        ),
        (
            r#"{"function":"f","variables":[{"name":"","value":"x"}]}"#,
            "variables[0].name",
            "letters",
        ),
        (
            r#"{"function":"f","sendToConsumer":"yes"}"#,
            "sendToConsumer",
            "boolean",
        ),
        (
            r#"{"function":"f","readTimeoutMs":-1}"#,
            "readTimeoutMs",
            "invalid",
        ),
        (
            r#"{"function":"f","endpoint":"ftp://x"}"#,
            "endpoint",
            "http",
        ),
        (
            r#"{"function":"f","accessKey":"AKID"}"#,
            "secretKey",
            "required",
        ),
        (r#"{"function":"f","roleArn":"role"}"#, "roleArn", "ARN"),
        (
            r#"{"function":"f","maxAttempts":0}"#,
            "maxAttempts",
            "between",
        ),
        (
            r#"{"function":"f","maxAttempts":11}"#,
            "maxAttempts",
            "between",
        ),
        (
            r#"{"function":"f","retryEventInvocations":1}"#,
            "retryEventInvocations",
            "boolean",
        ),
        (r#"{"function":"my fn"}"#, "function", "not a function"),
        (r#"{"function":"f""#, "configuration", "EOF"),
        ("", "configuration", "empty"),
        ("[]", "configuration", "invalid type"),
    ];
    for (json, field, reason) in cases {
        let e = refused(json);
        assert_eq!(e.field, field, "{json}: {e}");
        assert!(
            e.reason.contains(reason) || e.to_string().contains(reason),
            "{json}: {e}"
        );
    }
}

#[test]
fn unknown_field_error_names_it() {
    let e = refused(r#"{"function":"f","colour":"red"}"#);
    assert!(e.to_string().contains("colour"), "{e}");
}

#[test]
fn credentials_from_the_environment() {
    let env = |k: &str| match k {
        "AWS_ACCESS_KEY_ID" => Some("AKIAENV".to_string()),
        "AWS_SECRET_ACCESS_KEY" => Some("envsecret".to_string()),
        "AWS_SESSION_TOKEN" => Some("envtoken".to_string()),
        _ => None,
    };
    let c = from_json(br#"{"function":"f"}"#, &env).unwrap().config;
    let creds = c.credentials.base.unwrap();
    assert_eq!(creds.access_key_id, "AKIAENV");
    assert_eq!(creds.secret_access_key.expose(), "envsecret");
    assert_eq!(creds.session_token.unwrap().expose(), "envtoken");
    assert_eq!(c.credentials.base_source, "environment");
}

#[test]
fn credential_fields_may_reference_the_environment() {
    let env = |k: &str| (k == "MY_SECRET").then(|| "s3cr3t".to_string());
    let c = from_json(
        br#"{"function":"f","accessKey":"AKID","secretKey":"{#env['MY_SECRET']}"}"#,
        &env,
    )
    .unwrap()
    .config;
    assert_eq!(
        c.credentials.base.unwrap().secret_access_key.expose(),
        "s3cr3t"
    );
}

#[test]
fn debug_print_hides_secrets() {
    let c = parse(
        r#"{"function":"f","accessKey":"AKID","secretKey":"topsecret","sessionToken":"tok3n"}"#,
    )
    .unwrap()
    .config;
    let printed = format!("{c:?}");
    assert!(!printed.contains("topsecret") && !printed.contains("tok3n"));
}

#[test]
fn role_defaults() {
    let c = parse(
        r#"{"function":"f","roleArn":"arn:aws:iam::123456789012:role/r","region":"eu-west-1"}"#,
    )
    .unwrap()
    .config;
    let role = c.credentials.role.unwrap();
    assert_eq!(role.session_name, "gravitee");
    assert_eq!(role.cluster, "sts");
    assert_eq!(role.authority, "sts.eu-west-1.amazonaws.com");
    assert!(
        c.credentials.share,
        "fetched credentials are shared by default"
    );
}

#[test]
fn sharing_credentials_can_be_turned_off() {
    let json =
        r#"{"function":"f","roleArn":"arn:aws:iam::123456789012:role/r","shareCredentials":false}"#;
    assert!(!parse(json).unwrap().config.credentials.share);
    let bad = r#"{"function":"f","shareCredentials":"no"}"#;
    assert!(parse(bad)
        .unwrap_err()
        .to_string()
        .contains("shareCredentials"));
}

#[test]
fn never_panics_on_garbage() {
    let samples = [
        "{",
        "null",
        "1",
        "\"x\"",
        "{\"function\":null}",
        "{\"variables\":{}}",
        "{\"function\":\"\\u0000\"}",
    ];
    for s in samples {
        let _ = parse(s);
    }
}

#[test]
fn expressions_inside_json_strings_of_the_payload_warn_once() {
    let about = |json: &str| -> Vec<String> {
        let p = parse(json).unwrap();
        p.warnings
            .into_iter()
            .filter(|w| w.starts_with("`payload`"))
            .collect()
    };
    let w = about(
        r#"{"function":"f","payload":"{\"user\": \"{#request.headers['x-user'][0]}\", \"id\": \"{#request.id}\"}"}"#,
    );
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("2 expression(s)") && w[0].contains("#jsonEncode"));
    let safe = about(
        r#"{"function":"f","payload":"{\"user\": {#jsonEncode(#request.headers['x-user'][0])}}"}"#,
    );
    assert!(safe.is_empty(), "{safe:?}");
}

#[test]
fn buffer_budget_and_local_replies() {
    let c = parse(r#"{"function":"f"}"#).unwrap().config;
    assert_eq!(c.max_buffered_bytes, 128 * 1024 * 1024);
    assert!(!c.invoke_on_local_replies);
    let c = parse(r#"{"function":"f","maxBufferedBytes":1048576,"invokeOnLocalReplies":true}"#)
        .unwrap()
        .config;
    assert_eq!(
        (c.max_buffered_bytes, c.invoke_on_local_replies),
        (1048576, true)
    );
    for bad in [0u64, 1048575, 805306369] {
        let e = parse(&format!(r#"{{"function":"f","maxBufferedBytes":{bad}}}"#)).unwrap_err();
        assert_eq!(e.field, "maxBufferedBytes", "{bad}");
    }
}
