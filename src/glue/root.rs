//! The root context: reads and validates the configuration once, owns what
//! every stream of the VM shares (configuration, credentials cache) and
//! sends the credentials fetches from its timer.

use super::host::{callout_answer, ProxyHost};
use super::http::HttpFilter;
use super::registry::Registry;
use crate::core::config::{self, Config};
use crate::core::credentials::cache::CredentialCache;
use crate::core::credentials::fetch::{fetcher_for, CalloutRequest};
use crate::core::host::{Host, LogLevel, Metric};
use crate::core::stream::Stream;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::ContextType;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// How often the root checks for credentials to fetch or refresh, for
/// retries that are due (the retry back-off starts at 25 ms) and for a new
/// Envoy log level.
const TICK: Duration = Duration::from_millis(10);

#[derive(Default)]
pub struct PolicyRoot {
    config: Option<Rc<Config>>,
    credentials: Option<Rc<CredentialCache>>,
    /// Set when streams may wait for the root: credentials are fetched (role,
    /// container, IMDS) or failed calls are retried.
    timed: bool,
    fetch_token: Option<u32>,
    registry: Rc<Registry>,
    host: Rc<ProxyHost>,
}

impl PolicyRoot {
    fn send_fetch(&mut self, cache: &CredentialCache, req: CalloutRequest) {
        match self
            .host
            .dispatch(&req.cluster, &req.headers, &req.body, req.timeout)
        {
            Ok(token) => self.fetch_token = Some(token),
            Err(e) => {
                self.fetch_token = None;
                let why = format!("cannot send the credentials call through cluster {:?}: {e}; check that the cluster exists", req.cluster);
                self.host.log(LogLevel::Warn, &format!("aws-lambda: {why}"));
                cache.on_dispatch_error(&why, self.host.now());
            }
        }
        self.registry.wake(cache.take_woken());
    }
}

impl Context for PolicyRoot {
    fn on_http_call_response(
        &mut self,
        token: u32,
        _headers: usize,
        body_size: usize,
        _trailers: usize,
    ) {
        let (headers, body) = callout_answer(body_size);
        if self.fetch_token == Some(token) {
            self.fetch_token = None;
            let Some(cache) = self.credentials.clone() else {
                return;
            };
            let status = headers
                .iter()
                .find(|(n, _)| n == ":status")
                .and_then(|(_, v)| v.parse().ok());
            let (_, ok_before, failed_before) = cache.counters();
            let next = cache.on_answer(status, &headers, &body, self.host.now());
            let (_, ok_after, failed_after) = cache.counters();
            if ok_after > ok_before {
                self.host.count(Metric::CredentialsFetched);
            }
            if failed_after > failed_before {
                self.host.count(Metric::CredentialsFetchFailed);
                self.host.log(
                    LogLevel::Warn,
                    "aws-lambda: credentials fetch failed; waiting streams answer 500",
                );
            }
            match next {
                Some(next) => self.send_fetch(&cache, next),
                None => self.registry.wake(cache.take_woken()),
            }
            return;
        }
        if !self.registry.forward(token, headers, body) {
            self.host.log(
                LogLevel::Debug,
                &format!("aws-lambda: answer for unknown callout {token} ignored"),
            );
        }
    }
}

impl RootContext for PolicyRoot {
    fn on_configure(&mut self, _size: usize) -> bool {
        let json = self.get_plugin_configuration().unwrap_or_default();
        let env = |name: &str| std::env::var(name).ok();
        let parsed = match config::from_json(&json, &env) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.host.log(LogLevel::Error, &format!("aws-lambda: {e}"));
                return false;
            }
        };
        for w in &parsed.warnings {
            self.host.log(LogLevel::Warn, &format!("aws-lambda: {w}"));
        }
        let cfg = parsed.config;
        self.host = Rc::new(ProxyHost::with_metrics());
        self.host.refresh_log_level();
        let fetcher = fetcher_for(&cfg.credentials, &cfg.target.region);
        self.timed = fetcher.is_some() || cfg.retry.max_attempts > 1;
        self.host.log(
            LogLevel::Info,
            &format!(
                "aws-lambda: configured {} via cluster {} (scope {:?}, credentials from {}{})",
                cfg.target.path_and_query,
                cfg.cluster,
                cfg.scope,
                cfg.credentials.base_source,
                if cfg.credentials.role.is_some() {
                    " then AssumeRole"
                } else {
                    ""
                },
            ),
        );
        self.credentials = Some(Rc::new(CredentialCache::new(
            cfg.credentials.base.clone().map(Rc::new),
            fetcher,
        )));
        self.config = Some(Rc::new(cfg));
        // Always ticks: the timer also follows Envoy's log level.
        self.set_tick_period(TICK);
        true
    }

    fn on_tick(&mut self) {
        self.host.refresh_log_level();
        let now = self.host.now();
        self.registry.fire_due(now);
        let Some(cache) = self.credentials.clone() else {
            return;
        };
        if let Some(req) = cache.poll(now) {
            self.send_fetch(&cache, req);
        }
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        let cfg = self.config.clone()?;
        let creds = self.credentials.clone()?;
        let host: Rc<dyn Host> = self.host.clone();
        let stream = Rc::new(RefCell::new(Stream::new(context_id, cfg, host, creds)));
        let registry = self.timed.then(|| self.registry.clone());
        Some(Box::new(HttpFilter::new(context_id, stream, registry)))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
