//! What a tracker must know: a dossier's code and secret, both drawn from the operating
//! system's random source, and the secret's stored form.
//!
//! Both use Crockford's base32 alphabet (digits and capitals without I, L, O and U), so that
//! nothing on the receipt can be misread: a tracker typing `o`, `i` or `l` means `0` or `1`,
//! and case, spaces and dashes do not matter. A secret is 8 characters (40 bits); a code is
//! the ward and the local day, readable, then 6 random characters (30 bits), so that one
//! receipt tells nothing of the dossiers registered before or after it.

use rand::RngExt;
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A stored secret's hash.
pub struct SecretHash(pub Vec<u8>);

impl SecretHash {
    /// Equal hashes, compared in time that does not depend on where they differ.
    pub fn matches(&self, other: &SecretHash) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).fold(0, |diff, (a, b)| diff | (a ^ b)) == 0
    }
}

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a new secret: 40 bits.
pub const SECRET_LENGTH: usize = 8;

/// Random characters at the end of a new code: 30 bits, on top of the ward and the day.
pub const CODE_RANDOM_LENGTH: usize = 6;

/// `length` characters of the alphabet, each drawn from the operating system's random source.
fn random(length: usize) -> String {
    let mut rng = UnwrapErr(SysRng);
    (0..length).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// A new dossier's secret, shown grouped as `ABCD-EFGH` for reading aloud.
pub fn new_secret() -> String {
    let secret = random(SECRET_LENGTH);
    format!("{}-{}", &secret[..4], &secret[4..])
}

/// The random end of a new code.
pub fn new_code_tail() -> String {
    random(CODE_RANDOM_LENGTH)
}

/// `typed` as it is compared: without spaces and dashes, in capitals, with the letters that
/// look like digits read as those digits. The secrets of dossiers registered before (four
/// or six digits) are unchanged by it, so they still match.
pub fn normalise(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// The stored form of dossier `id`'s secret: the SHA-256 of the id and the normalised secret.
pub fn hash(id: Uuid, secret: &str) -> SecretHash {
    let mut hash = Sha256::new();
    hash.update(id.as_bytes());
    hash.update(normalise(secret).as_bytes());
    SecretHash(hash.finalize().to_vec())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn secrets_are_eight_unambiguous_characters_and_ten_thousand_are_all_distinct() {
        let secrets: HashSet<String> = (0..10_000).map(|_| normalise(&new_secret())).collect();
        assert_eq!(secrets.len(), 10_000, "no secret twice");
        for secret in &secrets {
            assert_eq!(secret.len(), SECRET_LENGTH);
            assert!(secret.bytes().all(|b| ALPHABET.contains(&b)), "{secret}");
            assert!(!secret.contains(['I', 'L', 'O', 'U']), "{secret}");
        }
        // Every character of the alphabet turns up in every position: nothing is fixed.
        for position in 0..SECRET_LENGTH {
            let seen: HashSet<u8> = secrets.iter().map(|s| s.as_bytes()[position]).collect();
            assert_eq!(seen.len(), 32, "position {position}");
        }
    }

    #[test]
    fn a_secret_matches_however_it_is_typed_and_old_digit_secrets_still_match() {
        let id = Uuid::now_v7();
        let stored = hash(id, "7KX2-QM0P");
        for typed in ["7KX2QM0P", "7kx2-qmop", " 7KX2 QM0P ", "7kx2qmOp"] {
            assert!(hash(id, typed).matches(&stored), "{typed}");
        }
        assert!(!hash(id, "7KX2-QM0Q").matches(&stored));
        // A secret of a dossier registered before: its hash was SHA-256(id ‖ digits).
        let old =
            SecretHash(Sha256::new().chain_update(id.as_bytes()).chain_update(b"4821").finalize().to_vec());
        assert!(hash(id, "4821").matches(&old));
        assert!(hash(id, " 4821 ").matches(&old));
    }
}
