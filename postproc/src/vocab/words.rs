//! Small pieces of English the reports share.

/// `1 connection`, `3 connections`.
pub fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_zero_plural() {
        assert_eq!(plural(1, "capture", "captures"), "1 capture");
        assert_eq!(plural(0, "capture", "captures"), "0 captures");
    }
}
