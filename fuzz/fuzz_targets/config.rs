//! Fuzz target: arbitrary bytes as the plugin configuration.
//!
//! `from_json` must never panic; it is deterministic; and the secrets it reads
//! from the VM environment (secret key, session token, container authorization
//! token) never show in `Debug` of the parsed configuration, in a warning nor
//! in the error text: they live in redacting types (`core::secret::Secret`).
//!
//! The secret check is differential, so it holds even when the input spells a
//! secret through JSON escapes or builds it with a template: the input is
//! parsed with two environments that differ only in their secrets, and a
//! secret of environment A must not show in the output of A unless it shows in
//! the output of B too (then the input wrote it itself). One designed
//! exception: `accessKey` is not a secret, so a configuration that copies
//! `#env['AWS_SECRET_ACCESS_KEY']` into it gets what it asked for; its access
//! key id is blanked before the check.
//!
//! Run with `cargo +nightly fuzz run config fuzz/corpus/config fuzz/seeds/config` from the
//! repository root (new inputs go to the first, gitignored, directory).
#![no_main]

use envoy_lambda_policy::core::config::{from_json, Parsed};
use libfuzzer_sys::fuzz_target;

/// The secrets of one environment; `access` is not a secret.
struct Env {
    access: &'static str,
    secrets: [&'static str; 3],
}

const A: Env = Env {
    access: "AKIAFUZZACCESSKEYID1",
    secrets: [
        "wJalrXUtnFEMI-K7MDENG-FuzzSecretKey-A1",
        "FwoGZXIvYXdzEFuzzSessionToken-A2",
        "FuzzContainerAuthToken-A3",
    ],
};

const B: Env = Env {
    access: "AKIAFUZZACCESSKEYID1",
    secrets: [
        "qR7tLmNpZxWvBy-Y4KHSPQ-OtherSecretKey-B1",
        "IQoJb3JpZ2luX2VjEOtherSessionToken-B2",
        "OtherContainerAuthToken-B3",
    ],
};

impl Env {
    fn get(&self, name: &str) -> Option<String> {
        let v = match name {
            "AWS_ACCESS_KEY_ID" => self.access,
            "AWS_SECRET_ACCESS_KEY" => self.secrets[0],
            "AWS_SESSION_TOKEN" => self.secrets[1],
            "AWS_CONTAINER_AUTHORIZATION_TOKEN" => self.secrets[2],
            "AWS_CONTAINER_CREDENTIALS_FULL_URI" => "http://169.254.170.23/v1/credentials",
            "AWS_REGION" => "eu-west-3",
            _ => return None,
        };
        Some(v.to_string())
    }
}

/// Everything `from_json` lets out: Debug of the config and the warnings, or the error text.
fn observe(data: &[u8], env: &Env) -> String {
    let read = |name: &str| env.get(name);
    match from_json(data, &read) {
        Ok(Parsed { config, warnings }) => {
            let mut out = format!("{config:?}");
            if let Some(base) = &config.credentials.base {
                // Not a secret: it prints as is, whatever it holds.
                out = out.replace(&format!("{:?}", base.access_key_id), "\"<access key id>\"");
            }
            for w in warnings {
                out.push('\n');
                out.push_str(&w);
            }
            format!("ok:{out}")
        }
        Err(e) => format!("err:{e}"),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    let a = observe(data, &A);
    assert_eq!(a, observe(data, &A), "from_json is not deterministic");
    let b = observe(data, &B);
    for (this, mine, other) in [(&A, &a, &b), (&B, &b, &a)] {
        for secret in this.secrets {
            if contains(data, secret.as_bytes()) {
                continue;
            }
            assert!(
                !mine.contains(secret) || other.contains(secret),
                "the environment secret {secret:?} leaks:\n{mine}"
            );
        }
    }
});
