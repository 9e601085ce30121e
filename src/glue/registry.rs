//! Streams that the root context must reach: the ones waiting for
//! credentials, and the Lambda calls those streams sent from inside a root
//! callback (the SDK then routes the answer to the root, which forwards it).

use crate::core::stream::Stream;
use proxy_wasm::hostcalls;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

#[derive(Default)]
pub struct Registry {
    streams: RefCell<HashMap<u32, Weak<RefCell<Stream>>>>,
    /// Callout token → stream id, for calls dispatched while the root was active.
    forwarded: RefCell<HashMap<u32, u32>>,
}

impl Registry {
    pub fn add(&self, id: u32, stream: &Rc<RefCell<Stream>>) {
        self.streams.borrow_mut().insert(id, Rc::downgrade(stream));
    }

    pub fn remove(&self, id: u32) {
        self.streams.borrow_mut().remove(&id);
        self.forwarded.borrow_mut().retain(|_, s| *s != id);
    }

    fn get(&self, id: u32) -> Option<Rc<RefCell<Stream>>> {
        self.streams.borrow().get(&id).and_then(Weak::upgrade)
    }

    /// Wakes the streams whose credentials are ready (or failed).
    pub fn wake(&self, ids: Vec<u32>) {
        for id in ids {
            let Some(stream) = self.get(id) else { continue };
            if hostcalls::set_effective_context(id).is_err() {
                continue;
            }
            let Ok(mut s) = stream.try_borrow_mut() else {
                continue;
            };
            s.on_credentials();
            if let Some(token) = s.lambda_token() {
                self.forwarded.borrow_mut().insert(token, id);
            }
        }
    }

    /// A callout answer the root received for a stream; false if unknown.
    pub fn forward(&self, token: u32, headers: Vec<(String, String)>, body: Vec<u8>) -> bool {
        let Some(id) = self.forwarded.borrow_mut().remove(&token) else {
            return false;
        };
        let Some(stream) = self.get(id) else {
            return true;
        };
        if hostcalls::set_effective_context(id).is_ok() {
            if let Ok(mut s) = stream.try_borrow_mut() {
                s.on_lambda_answer(token, headers, body);
            }
        }
        true
    }
}
