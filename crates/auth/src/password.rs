//! Passwords, hashed with Argon2id in PHC string format (the parameters travel with the
//! hash, so raising them later does not invalidate stored passwords).

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
}

impl Cost {
    /// OWASP's minimum for Argon2id: 19 MiB, two passes, one lane.
    pub const RECOMMENDED: Cost = Cost {
        memory_kib: 19 * 1024,
        iterations: 2,
    };
    /// Cheap parameters for tests only, so suites can log in hundreds of times.
    pub const TESTING: Cost = Cost {
        memory_kib: 64,
        iterations: 1,
    };
}

/// Hashes and verifies passwords with one set of parameters.
#[derive(Debug, Clone)]
pub struct Hasher {
    params: Params,
}

/// Hashing failed (only on invalid parameters or an unreadable stored hash).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl Hasher {
    /// A hasher with the given cost.
    pub fn new(cost: Cost) -> Result<Self, HashError> {
        let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
            .map_err(|e| HashError(e.to_string()))?;
        Ok(Self { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes a password with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| HashError(e.to_string()))
    }

    /// Whether `password` matches the stored `hash`. A malformed hash never matches.
    pub fn verify(&self, password: &str, hash: &str) -> bool {
        // The stored hash carries its own parameters; ours only matter for new hashes.
        self.argon2()
            .verify_password(password.as_bytes(), hash)
            .is_ok()
    }

    /// Spends the same time as a real verification, so that a login with an unknown
    /// e-mail address cannot be told apart by its timing.
    pub fn verify_dummy(&self, password: &str) {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let hash = DUMMY.get_or_init(|| self.hash("mamori-dummy-password").unwrap_or_default());
        let _ = self.verify(password, hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_and_salts() {
        let h = Hasher::new(Cost::TESTING).unwrap();
        let a = h.hash("正しいパスワード123").unwrap();
        let b = h.hash("正しいパスワード123").unwrap();
        assert!(a.starts_with("$argon2id$v=19$"));
        assert_ne!(a, b, "every hash has its own salt");
        assert!(h.verify("正しいパスワード123", &a));
        assert!(!h.verify("正しいパスワード124", &a));
        assert!(!h.verify("anything", "not a hash"));
    }

    #[test]
    fn hashes_made_with_other_costs_still_verify() {
        let old = Hasher::new(Cost {
            memory_kib: 128,
            iterations: 1,
        })
        .unwrap()
        .hash("pw-1234567890")
        .unwrap();
        assert!(
            Hasher::new(Cost::TESTING)
                .unwrap()
                .verify("pw-1234567890", &old)
        );
    }
}
