//! The insertion-ordered map behind `Value::Map`.

use std::collections::HashMap;
use std::fmt;

use super::value::Value;

/// Maps above this size get a hash index for key lookups.
const INDEX_THRESHOLD: usize = 16;

/// An insertion-ordered, string-keyed map.
///
/// [`Map::new_case_insensitive`] makes lookups ASCII case-insensitive (HTTP headers).
#[derive(Clone, Default)]
pub struct Map {
    entries: Vec<(String, Value)>,
    case_insensitive: bool,
    /// Key (lowercased when case-insensitive) → position in `entries`; built for large maps.
    index: Option<HashMap<String, usize>>,
}

impl Map {
    /// An empty, case-sensitive map.
    pub fn new() -> Map {
        Map::default()
    }

    /// An empty map whose key lookups ignore ASCII case.
    pub fn new_case_insensitive() -> Map {
        Map {
            case_insensitive: true,
            ..Map::default()
        }
    }

    /// Is this map ASCII case-insensitive?
    #[cfg(test)]
    pub fn is_case_insensitive(&self) -> bool {
        self.case_insensitive
    }

    fn index_key(&self, k: &str) -> String {
        if self.case_insensitive {
            k.to_ascii_lowercase()
        } else {
            k.to_owned()
        }
    }

    fn position(&self, k: &str) -> Option<usize> {
        if let Some(index) = &self.index {
            if self.case_insensitive && k.bytes().any(|b| b.is_ascii_uppercase()) {
                return index.get(&k.to_ascii_lowercase()).copied();
            }
            return index.get(k).copied();
        }
        if self.case_insensitive {
            self.entries
                .iter()
                .position(|(key, _)| key.eq_ignore_ascii_case(k))
        } else {
            self.entries.iter().position(|(key, _)| key == k)
        }
    }

    /// Insert or replace. A replaced entry keeps its position (and its original key spelling).
    pub fn insert(&mut self, k: impl Into<String>, v: Value) {
        let k = k.into();
        if let Some(i) = self.position(&k) {
            if let Some(entry) = self.entries.get_mut(i) {
                entry.1 = v;
            }
            return;
        }
        let pos = self.entries.len();
        if let Some(index) = self.index.as_mut() {
            let ik = if self.case_insensitive {
                k.to_ascii_lowercase()
            } else {
                k.clone()
            };
            index.insert(ik, pos);
        }
        self.entries.push((k, v));
        if self.index.is_none() && self.entries.len() > INDEX_THRESHOLD {
            let index = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, (key, _))| (self.index_key(key), i))
                .collect();
            self.index = Some(index);
        }
    }

    pub fn get(&self, k: &str) -> Option<&Value> {
        self.position(k)
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, k: &str) -> bool {
        self.position(k).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|o| o == v))
    }
}
