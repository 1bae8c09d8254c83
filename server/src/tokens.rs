//! Bearer tokens: random, shown once, stored only as a hash.
//!
//! A token is 256 random bits, so a plain SHA-256 is enough to store it (a slow password
//! hash protects guessable secrets; nothing about a random token is guessable), and a
//! database leak reveals no usable token.

use sha2::{Digest, Sha256};

/// A new token, as text for the client, and its hash for the database.
pub fn issue() -> (String, Vec<u8>) {
    let bytes: [u8; 32] = rand::random();
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = hash(&token);
    (token, hash)
}

/// The stored form of `token`.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_long_random_and_hash_to_their_stored_form() {
        let (a, hash_a) = super::issue();
        let (b, _) = super::issue();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(super::hash(&a), hash_a);
        assert_ne!(hash_a, a.as_bytes());
    }
}
