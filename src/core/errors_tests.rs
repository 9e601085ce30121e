//! Keys, parents, default answers and the precise-key mapping.

use super::*;

fn body_json(e: &PolicyError) -> serde_json::Value {
    serde_json::from_str(&e.body()).unwrap()
}

#[test]
fn body_has_message_status_and_key() {
    let e = PolicyError::new(ErrorKey::InvalidResponse, "Status Code: 403");
    let v = body_json(&e);
    assert_eq!(
        v["message"],
        "An error occurs while invoking lambda function."
    );
    assert_eq!(v["http_status_code"], 500);
    assert_eq!(v["key"], "AWS_LAMBDA_INVALID_RESPONSE");
    assert_eq!(v["details"], "Status Code: 403");
}

#[test]
fn invalid_status_code_is_400() {
    let e = PolicyError::new(ErrorKey::InvalidStatusCode, "");
    assert_eq!(e.status(), 400);
    assert!(body_json(&e).get("details").is_none());
}

#[test]
fn names_are_unique_and_round_trip() {
    let mut names: Vec<&str> = ErrorKey::ALL.iter().map(|k| k.as_str()).collect();
    for k in ErrorKey::ALL {
        assert_eq!(ErrorKey::from_name(k.as_str()), Some(k));
        let gravitee_gateway = k == ErrorKey::PolicyInternal;
        assert_eq!(
            k.as_str().starts_with("AWS_LAMBDA_"),
            !gravitee_gateway,
            "{}",
            k.as_str()
        );
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ErrorKey::ALL.len());
    assert_eq!(ErrorKey::from_name("aws_lambda_timeout"), None);
    assert_eq!(ErrorKey::from_name("DEFAULT"), None);
}

#[test]
fn precise_keys_answer_as_their_gravitee_parent() {
    let precise: Vec<ErrorKey> = ErrorKey::ALL
        .into_iter()
        .filter(|&k| k != ErrorKey::InvalidResponse && k.answered() == ErrorKey::InvalidResponse)
        .collect();
    let names: Vec<&str> = precise.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names.join(" "),
        "AWS_LAMBDA_FUNCTION_ERROR AWS_LAMBDA_TIMEOUT AWS_LAMBDA_UNREACHABLE \
         AWS_LAMBDA_THROTTLED AWS_LAMBDA_ACCESS_DENIED AWS_LAMBDA_NOT_FOUND AWS_LAMBDA_API_ERROR \
         AWS_LAMBDA_CREDENTIALS_ERROR AWS_LAMBDA_RESPONSE_TOO_LARGE"
    );
    for key in precise {
        assert_eq!(key.parent(), Some(ErrorKey::InvalidResponse), "{key:?}");
        assert_eq!(key.answered(), ErrorKey::InvalidResponse, "{key:?}");
        let e = PolicyError::new(key, "Status Code: 429");
        assert_eq!(e.status(), 500, "{key:?}");
        assert_eq!(e.parent(), Some(ErrorKey::InvalidResponse));
        // Byte for byte what the Gravitee key gives: nothing changes for consumers.
        assert_eq!(
            e.body(),
            PolicyError::new(ErrorKey::InvalidResponse, "Status Code: 429").body()
        );
        assert_eq!(e.message(), ErrorKey::InvalidResponse.message());
    }
}

#[test]
fn gravitee_keys_have_no_parent_and_keep_their_answer() {
    for (key, status) in [
        (ErrorKey::InvalidResponse, 500),
        (ErrorKey::InvalidStatusCode, 400),
        (ErrorKey::TemplateVariable, 500),
        (ErrorKey::TemplatePayload, 500),
        (ErrorKey::PayloadTooLarge, 413),
    ] {
        assert_eq!(key.parent(), None, "{key:?}");
        assert_eq!(key.answered(), key);
        assert_eq!(key.status(), status, "{key:?}");
        let v = body_json(&PolicyError::new(key, "x"));
        assert_eq!(v["key"], key.as_str());
        assert_eq!(v["http_status_code"], status);
    }
}

#[test]
fn new_failures_answer_with_their_own_key_and_status() {
    let proxy = PolicyError::new(ErrorKey::InvalidProxyResponse, "no statusCode");
    assert_eq!(proxy.status(), 502);
    assert_eq!(proxy.parent(), Some(ErrorKey::InvalidResponse));
    let v = body_json(&proxy);
    assert_eq!(v["key"], "AWS_LAMBDA_INVALID_PROXY_RESPONSE");
    assert_eq!(v["http_status_code"], 502);

    let busy = PolicyError::new(ErrorKey::Overloaded, "");
    assert_eq!(busy.status(), 503);
    assert_eq!(busy.parent(), None);
    assert_eq!(body_json(&busy)["key"], "AWS_LAMBDA_OVERLOADED");
}

#[test]
fn params_ride_along_and_stay_out_of_the_body() {
    let params = ErrorParams {
        function: Some("fn".into()),
        aws_request_id: Some("r-1".into()),
        ..ErrorParams::default()
    };
    let e = PolicyError::new(ErrorKey::Timeout, "t").with_params(params.clone());
    assert_eq!(*e.params, params);
    assert_eq!(e.key.as_str(), "AWS_LAMBDA_TIMEOUT");
    let v = body_json(&e);
    assert_eq!(v.as_object().unwrap().len(), 4, "{v}");
}

#[test]
fn outcomes_without_status_map_to_their_key() {
    assert_eq!(
        classify(Fault::Function, Some(200), None),
        ErrorKey::FunctionError
    );
    assert_eq!(classify(Fault::Timeout, None, None), ErrorKey::Timeout);
    assert_eq!(classify(Fault::Timeout, Some(504), None), ErrorKey::Timeout);
    assert_eq!(
        classify(Fault::Transport, None, None),
        ErrorKey::Unreachable
    );
    assert_eq!(
        classify(Fault::Transport, Some(503), None),
        ErrorKey::Unreachable
    );
    assert_eq!(
        classify(Fault::Oversized, Some(200), None),
        ErrorKey::ResponseTooLarge
    );
}

#[test]
fn api_statuses_map_to_precise_keys() {
    let api = |s: u16| classify(Fault::Api, Some(s), None);
    assert_eq!(api(429), ErrorKey::Throttled);
    assert_eq!(api(401), ErrorKey::AccessDenied);
    assert_eq!(api(403), ErrorKey::AccessDenied);
    assert_eq!(api(404), ErrorKey::NotFound);
    for s in [400, 409, 413, 415, 500, 502, 503, 504] {
        assert_eq!(api(s), ErrorKey::ApiError, "{s}");
    }
    for s in [301, 302, 304, 399] {
        assert_eq!(api(s), ErrorKey::InvalidStatusCode, "{s}");
    }
    assert_eq!(classify(Fault::Api, None, None), ErrorKey::ApiError);
}

#[test]
fn api_error_types_decide_before_the_status() {
    let api = |s: u16, t: &str| classify(Fault::Api, Some(s), Some(t));
    assert_eq!(
        api(400, "UnrecognizedClientException"),
        ErrorKey::AccessDenied
    );
    assert_eq!(
        api(
            403,
            "SignatureDoesNotMatch:http://internal.amazon.com/coral/"
        ),
        ErrorKey::AccessDenied
    );
    assert_eq!(
        api(400, "InvalidSignatureException"),
        ErrorKey::AccessDenied
    );
    assert_eq!(
        api(400, "com.amazon.coral#AccessDeniedException"),
        ErrorKey::AccessDenied
    );
    assert_eq!(api(400, "ExpiredTokenException"), ErrorKey::AccessDenied);
    assert_eq!(api(502, "KMSAccessDeniedException"), ErrorKey::AccessDenied);
    assert_eq!(api(400, "TooManyRequestsException"), ErrorKey::Throttled);
    assert_eq!(api(400, "throttlingexception"), ErrorKey::Throttled);
    assert_eq!(api(400, "ResourceNotFoundException"), ErrorKey::NotFound);
    // An unknown type leaves the status to decide.
    assert_eq!(api(429, "SomethingNew"), ErrorKey::Throttled);
    assert_eq!(
        api(400, "InvalidRequestContentException"),
        ErrorKey::ApiError
    );
    assert_eq!(api(500, "ServiceException"), ErrorKey::ApiError);
    // Below 400 Gravitee's key stays, whatever the type says (status 400 unchanged).
    assert_eq!(
        api(302, "AccessDeniedException"),
        ErrorKey::InvalidStatusCode
    );
}

#[test]
fn error_type_names_are_bare() {
    assert_eq!(
        error_type_name("SignatureDoesNotMatch:http://internal"),
        "SignatureDoesNotMatch"
    );
    assert_eq!(
        error_type_name("com.amazon#TooManyRequestsException"),
        "TooManyRequestsException"
    );
    assert_eq!(error_type_name(" ServiceException "), "ServiceException");
    assert_eq!(error_type_name(""), "");
}
