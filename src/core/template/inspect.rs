//! What a compiled template reads and writes, for the checks made at
//! configuration time: the root variables it references, whether it reads
//! only one member of a root, and the blocks it puts inside JSON strings.

use super::{ast, Part, Template};

impl Template {
    /// Does any expression reference the root variable `#root_name`?
    pub fn references(&self, root_name: &str) -> bool {
        self.vars.iter().any(|v| &**v == root_name)
    }

    /// True when every reference to `#root_name` reads its `member` and
    /// nothing else (`#request.content`, `#request?.content`): the rest of
    /// that root need not be built.
    pub fn reads_only(&self, root_name: &str, member: &str) -> bool {
        let (mut uses, mut member_uses) = (0usize, 0usize);
        for part in self.parts.iter() {
            if let Part::Expr(e) = part {
                e.walk(&mut |node| match &node.kind {
                    ast::Kind::Var(v) if &**v == root_name => uses += 1,
                    ast::Kind::Prop { target, name, .. }
                        if &**name == member
                            && matches!(&target.kind, ast::Kind::Var(v) if &**v == root_name) =>
                    {
                        member_uses += 1
                    }
                    _ => {}
                });
            }
        }
        uses == member_uses
    }

    /// For a template that writes JSON (its text starts with `{"` or `[`): how
    /// many `{#…}` blocks sit inside a JSON string literal, where a value with a
    /// quote or a backslash would change the document (`#jsonEncode` belongs
    /// outside the quotes). Zero for any other template.
    pub fn blocks_in_json_strings(&self) -> usize {
        let text = self.source.trim_start();
        if !(text.starts_with('[') || (text.starts_with('{') && !text.starts_with("{#"))) {
            return 0;
        }
        let (mut in_string, mut escaped, mut count) = (false, false, 0);
        for part in self.parts.iter() {
            match part {
                Part::Lit(lit) => {
                    for c in lit.chars() {
                        match c {
                            _ if escaped => escaped = false,
                            '\\' if in_string => escaped = true,
                            '"' => in_string = !in_string,
                            _ => {}
                        }
                    }
                }
                Part::Expr(_) => count += usize::from(in_string),
            }
        }
        count
    }
}
