//! Validated, normalised e-mail addresses.

use crate::AuthError;

/// An e-mail address, trimmed and lower-cased (GoTrue looks e-mails up case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses a user-typed address. The check is deliberately loose (one `@`, a non-empty
    /// local part, a domain with a dot, no spaces, at most 254 characters): the real proof of
    /// an address is a message that reaches it, not a regular expression.
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        let s = raw.trim().to_lowercase();
        let invalid = || {
            AuthError::Validation("Unable to validate email address: invalid format".to_string())
        };
        if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@.com",
            "ada@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
