//! The root context: reads and validates the configuration once, owns what
//! every stream of the VM shares (configuration, credentials cache, the
//! waiters and their timer) and forwards its callbacks to the core.

use super::host::{callout_answer, ProxyHost};
use super::http::HttpFilter;
use crate::core::config::{self, Config};
use crate::core::credentials::cache::CredentialCache;
use crate::core::credentials::chain::fetcher_for;
use crate::core::credentials::fingerprint::fingerprint;
use crate::core::credentials::shared::SharedCredentials;
use crate::core::host::{Host, LogLevel};
use crate::core::stream::budget::Budget;
use crate::core::stream::waiters::Waiters;
use crate::core::stream::Stream;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::ContextType;
use std::cell::RefCell;
use std::hash::BuildHasher;
use std::rc::Rc;

thread_local! {
    /// One budget for the whole VM, shared by every instance of the filter
    /// that runs in it (one per route, say): the limit is the VM's memory.
    static BUDGET: Rc<Budget> = Rc::new(Budget::new(0));
}

#[derive(Default)]
pub struct PolicyRoot {
    id: u32,
    config: Option<Rc<Config>>,
    credentials: Option<Rc<CredentialCache>>,
    /// Set when streams may wait for the root: credentials are fetched (role,
    /// container, IMDS) or failed calls are retried.
    waiters: Option<Rc<Waiters>>,
    host: Rc<ProxyHost>,
    /// The plugin configuration this root runs with.
    configured: Option<Vec<u8>>,
}

impl PolicyRoot {
    pub fn new(id: u32) -> Self {
        PolicyRoot {
            id,
            ..Default::default()
        }
    }

    /// A root that is done but still had streams waiting finishes its
    /// shutdown once the last of them has gone.
    fn finish_draining(&self) {
        if let Some(w) = self.waiters.as_ref().filter(|w| w.drained()) {
            w.stop();
            if self.host.enter_context(self.id) {
                self.done();
            }
        }
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
        let Some(waiters) = &self.waiters else { return };
        if !waiters.on_callout(token, body_size, callout_answer) {
            self.host.log(
                LogLevel::Debug,
                &format!("aws-lambda: answer for unknown callout {token} ignored"),
            );
        }
        self.finish_draining();
    }

    /// A configuration reload or removal. Envoy keeps firing a root context's
    /// timer for as long as the VM lives, also after the context is gone, so
    /// it is stopped here; streams still waiting for a retry or credentials
    /// are served first (the shutdown ends in `finish_draining`).
    fn on_done(&mut self) -> bool {
        self.waiters.as_ref().is_none_or(|w| w.drain())
    }
}

impl RootContext for PolicyRoot {
    fn on_configure(&mut self, _size: usize) -> bool {
        let json = self.get_plugin_configuration().unwrap_or_default();
        if self.config.is_some() && self.configured.as_ref() == Some(&json) {
            // Envoy configures a live root again with the same configuration
            // (a reload that changed something else): streams in flight keep
            // their waiters and the credentials cache stays warm.
            return true;
        }
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
        BUDGET.with(|b| b.set_limit(cfg.max_buffered_bytes));
        let fetcher = fetcher_for(&cfg.credentials, &cfg.target.region);
        let timed = fetcher.is_some() || cfg.retry.max_attempts > 1;
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
        let mut cache = CredentialCache::new(cfg.credentials.base.clone().map(Rc::new), fetcher);
        let host: Rc<dyn Host> = self.host.clone();
        // The digest is taken only when the instance shares (`shareCredentials`).
        let fp = match cfg.credentials.share {
            true => fingerprint(&cfg.credentials, &cfg.target.region),
            false => None,
        };
        if let Some(fp) = fp {
            // Tells this root's lease from the other roots'. Context ids repeat from VM to VM
            // and two workers may configure within one tick of a coarse clock: the owner is
            // drawn from the VM's random keys (WASI `random_get`, as every `HashMap` of the VM).
            let owner = std::hash::RandomState::new().hash_one((self.id, host.now()));
            cache = cache.with_shared(SharedCredentials::new(host.clone(), fp, owner));
        }
        let cache = Rc::new(cache);
        if let Some(old) = self.waiters.take() {
            old.stop();
        }
        self.waiters = timed.then(|| Rc::new(Waiters::new(host, cache.clone())));
        self.credentials = Some(cache);
        self.config = Some(Rc::new(cfg));
        self.configured = Some(json);
        true
    }

    fn on_tick(&mut self) {
        match &self.waiters {
            Some(w) => w.on_tick(),
            // Nothing can wait: a tick can only be a leftover, stop it.
            None => self.host.set_timer(None),
        }
        self.finish_draining();
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        let cfg = self.config.clone()?;
        let creds = self.credentials.clone()?;
        // Envoy's log level can change at run time (admin API): read it where
        // it is cheap, as each stream starts, rather than on a clock.
        self.host.refresh_log_level();
        let host: Rc<dyn Host> = self.host.clone();
        let budget = BUDGET.with(Rc::clone);
        let stream = Stream::new(context_id, cfg, host, creds, budget);
        let stream = Rc::new(RefCell::new(stream));
        Some(Box::new(HttpFilter::new(
            context_id,
            stream,
            self.waiters.clone(),
        )))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
