//! Password complexity rules and the check that names the rule a password breaks.

use alloc::vec::Vec;

use ember_proto::v1 as proto;

use super::error::{InvalidPolicy, PasswordRuleFailed};
use super::{MAX_PASSWORD_RULE, MIN_PASSWORD_LENGTH};

/// A security group's password complexity rules.
///
/// Lengths and counts are in Unicode scalar values (Rust `char`s), classified with Rust's
/// `char` methods: a **lowercase** letter is `is_lowercase`, an **uppercase** letter
/// `is_uppercase`, a **digit** `is_numeric`, and a **special** character anything that is
/// neither alphanumeric nor a control character (so a space counts as special). A letter
/// without case, such as a CJK ideograph, counts towards the length only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordRules {
    /// The minimum length, from [`MIN_PASSWORD_LENGTH`] to [`MAX_PASSWORD_RULE`].
    pub min_length: u32,
    /// The minimum number of lowercase letters.
    pub min_lowercase: u32,
    /// The minimum number of uppercase letters.
    pub min_uppercase: u32,
    /// The minimum number of digits.
    pub min_digits: u32,
    /// The minimum number of special characters.
    pub min_special: u32,
}

impl Default for PasswordRules {
    /// At least 12 characters and no composition rules: length is what makes a password
    /// strong, and composition rules mostly make passwords predictable (NIST SP 800-63B).
    fn default() -> Self {
        Self {
            min_length: 12,
            min_lowercase: 0,
            min_uppercase: 0,
            min_digits: 0,
            min_special: 0,
        }
    }
}

impl PasswordRules {
    /// Checks `password` against the rules and returns the first rule it breaks, in the order
    /// of [`PasswordRuleFailed`]'s variants.
    pub fn check(&self, password: &str) -> Result<(), PasswordRuleFailed> {
        match self.failures(password).first() {
            Some(failed) => Err(*failed),
            None => Ok(()),
        }
    }

    /// Every rule `password` breaks, in the order of [`PasswordRuleFailed`]'s variants, for a
    /// form that lists them all at once. Empty when the password meets the rules.
    pub fn failures(&self, password: &str) -> Vec<PasswordRuleFailed> {
        let mut counts = Counts::default();
        for c in password.chars() {
            counts.length = counts.length.saturating_add(1);
            if c.is_lowercase() {
                counts.lowercase = counts.lowercase.saturating_add(1);
            } else if c.is_uppercase() {
                counts.uppercase = counts.uppercase.saturating_add(1);
            } else if c.is_numeric() {
                counts.digits = counts.digits.saturating_add(1);
            } else if !c.is_alphanumeric() && !c.is_control() {
                counts.special = counts.special.saturating_add(1);
            }
        }
        [
            (
                counts.length,
                self.min_length,
                PasswordRuleFailed::TooShort {
                    min: self.min_length,
                },
            ),
            (
                counts.lowercase,
                self.min_lowercase,
                PasswordRuleFailed::NeedsLowercase {
                    min: self.min_lowercase,
                },
            ),
            (
                counts.uppercase,
                self.min_uppercase,
                PasswordRuleFailed::NeedsUppercase {
                    min: self.min_uppercase,
                },
            ),
            (
                counts.digits,
                self.min_digits,
                PasswordRuleFailed::NeedsDigits {
                    min: self.min_digits,
                },
            ),
            (
                counts.special,
                self.min_special,
                PasswordRuleFailed::NeedsSpecial {
                    min: self.min_special,
                },
            ),
        ]
        .into_iter()
        .filter(|(got, min, _)| got < min)
        .map(|(_, _, failed)| failed)
        .collect()
    }

    /// Checks the rules themselves: a minimum length of at least [`MIN_PASSWORD_LENGTH`], and
    /// nothing above [`MAX_PASSWORD_RULE`].
    pub fn validate(&self) -> Result<(), InvalidPolicy> {
        if self.min_length < MIN_PASSWORD_LENGTH {
            return Err(InvalidPolicy::PasswordTooWeak {
                min_length: self.min_length,
            });
        }
        for (field, value) in [
            ("min_length", self.min_length),
            ("min_lowercase", self.min_lowercase),
            ("min_uppercase", self.min_uppercase),
            ("min_digits", self.min_digits),
            ("min_special", self.min_special),
        ] {
            if value > MAX_PASSWORD_RULE {
                return Err(InvalidPolicy::PasswordRuleTooLarge(field));
            }
        }
        Ok(())
    }

    pub(super) fn to_wire(self) -> proto::PasswordRules {
        proto::PasswordRules {
            min_length: self.min_length,
            min_lowercase: self.min_lowercase,
            min_uppercase: self.min_uppercase,
            min_digits: self.min_digits,
            min_special: self.min_special,
        }
    }

    pub(super) fn from_wire(rules: &proto::PasswordRules) -> Self {
        Self {
            min_length: rules.min_length,
            min_lowercase: rules.min_lowercase,
            min_uppercase: rules.min_uppercase,
            min_digits: rules.min_digits,
            min_special: rules.min_special,
        }
    }
}

#[derive(Default)]
struct Counts {
    length: u32,
    lowercase: u32,
    uppercase: u32,
    digits: u32,
    special: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: PasswordRules = PasswordRules {
        min_length: 10,
        min_lowercase: 2,
        min_uppercase: 2,
        min_digits: 2,
        min_special: 2,
    };

    #[test]
    fn each_rule_fails_with_its_own_variant() {
        assert_eq!(STRICT.check("abCD12!? xyz"), Ok(()));
        assert_eq!(
            STRICT.check("aB1!aB1!"),
            Err(PasswordRuleFailed::TooShort { min: 10 })
        );
        assert_eq!(
            STRICT.check("aBCD12!?XYZ"),
            Err(PasswordRuleFailed::NeedsLowercase { min: 2 })
        );
        assert_eq!(
            STRICT.check("abCd12!?xyz"),
            Err(PasswordRuleFailed::NeedsUppercase { min: 2 })
        );
        assert_eq!(
            STRICT.check("abCD1x!?xyz"),
            Err(PasswordRuleFailed::NeedsDigits { min: 2 })
        );
        assert_eq!(
            STRICT.check("abCD12!xxyz"),
            Err(PasswordRuleFailed::NeedsSpecial { min: 2 })
        );
        assert_eq!(
            STRICT.failures("ab"),
            [
                PasswordRuleFailed::TooShort { min: 10 },
                PasswordRuleFailed::NeedsUppercase { min: 2 },
                PasswordRuleFailed::NeedsDigits { min: 2 },
                PasswordRuleFailed::NeedsSpecial { min: 2 },
            ]
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        let rules = PasswordRules {
            min_length: 8,
            min_lowercase: 2,
            min_uppercase: 1,
            ..PasswordRules::default()
        };
        // Eight characters (21 bytes): long enough.
        assert_eq!(rules.check("éèÉ密码密码密"), Ok(()));
        // Seven characters (18 bytes): too short.
        assert_eq!(
            rules.check("éèÉ密码密码"),
            Err(PasswordRuleFailed::TooShort { min: 8 })
        );
        // Control characters are neither special nor letters.
        let special = PasswordRules {
            min_special: 1,
            ..rules
        };
        assert_eq!(
            special.check("éèÉ密码密码\u{7}"),
            Err(PasswordRuleFailed::NeedsSpecial { min: 1 })
        );
    }

    #[test]
    fn rules_below_the_floor_or_above_the_ceiling_are_invalid() {
        assert_eq!(PasswordRules::default().validate(), Ok(()));
        let weak = PasswordRules {
            min_length: 7,
            ..PasswordRules::default()
        };
        assert_eq!(
            weak.validate(),
            Err(InvalidPolicy::PasswordTooWeak { min_length: 7 })
        );
        let huge = PasswordRules {
            min_digits: MAX_PASSWORD_RULE + 1,
            ..PasswordRules::default()
        };
        assert_eq!(
            huge.validate(),
            Err(InvalidPolicy::PasswordRuleTooLarge("min_digits"))
        );
    }
}
