//! Passwords, hashed with Argon2id in PHC string format (the parameters travel with the
//! hash, so raising them later does not invalidate stored passwords).

use std::sync::Mutex;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};

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
///
/// Argon2 works in a large block of memory (19 MiB at the recommended cost). Left to the
/// allocator, every hash takes a fresh block and gives it back, and the C allocator keeps
/// what it was given back in each thread's arena: a server that had checked a few hundred
/// passwords on many threads sat on hundreds of megabytes it no longer used. So the hasher
/// keeps the blocks itself and lends one to each hash; the caller bounds how many hashes
/// run at once, and so how many blocks ever exist.
#[derive(Debug)]
pub struct Hasher {
    params: Params,
    /// Working memory, lent to one hash at a time.
    memory: Mutex<Vec<Vec<Block>>>,
    /// Blocks kept at most: as many as hashes may run at once (one per core, the bound
    /// the application keeps). A block past it is given back.
    keep: usize,
}

/// Hashing failed (only on invalid parameters or an unreadable stored hash).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn failed(e: impl std::fmt::Display) -> HashError {
    HashError(e.to_string())
}

impl Hasher {
    /// A hasher with the given cost.
    pub fn new(cost: Cost) -> Result<Self, HashError> {
        let params = Params::new(cost.memory_kib, cost.iterations, 1, None).map_err(failed)?;
        Ok(Self {
            params,
            memory: Mutex::new(Vec::new()),
            keep: std::thread::available_parallelism().map_or(2, |n| n.get()),
        })
    }

    /// How many blocks of working memory the hasher keeps (each as large as one hash needs).
    #[cfg(test)]
    fn kept_blocks(&self) -> usize {
        self.memory.lock().map_or(0, |m| m.len())
    }

    /// Runs Argon2 over `password` and `salt` into `out`, in borrowed working memory.
    fn run(
        &self,
        argon2: &Argon2<'_>,
        params: &Params,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), HashError> {
        let needed = params.block_count();
        let mut blocks = self
            .memory
            .lock()
            .ok()
            .and_then(|mut m| m.pop())
            .unwrap_or_default();
        // Every block is written before it is read, so memory left by an earlier hash
        // needs no clearing; it only has to be long enough.
        if blocks.len() < needed {
            blocks.resize(needed, Block::new());
        }
        let result = argon2
            .hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
            .map_err(failed);
        // Hashes made with a stored hash's own, larger cost are not kept: the pool only
        // holds what the configured cost needs.
        if blocks.len() == self.params.block_count()
            && let Ok(mut memory) = self.memory.lock()
            && memory.len() < self.keep
        {
            memory.push(blocks);
        }
        result
    }

    /// Hashes a password with a fresh random salt, in PHC string format.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone());
        let salt = Salt::generate();
        let mut out = [0_u8; Params::DEFAULT_OUTPUT_LEN];
        self.run(&argon2, &self.params, password.as_bytes(), &salt, &mut out)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(failed)?,
            salt: Some(salt),
            hash: Some(Output::new(&out).map_err(failed)?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches the stored `hash`. A malformed hash never matches.
    pub fn verify(&self, password: &str, hash: &str) -> bool {
        self.verify_phc(password, hash).unwrap_or(false)
    }

    fn verify_phc(&self, password: &str, hash: &str) -> Result<bool, HashError> {
        // The stored hash carries its own parameters; ours only matter for new hashes.
        let phc = PasswordHash::new(hash).map_err(failed)?;
        let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(phc.algorithm.as_str()).map_err(failed)?;
        let version = phc
            .version
            .map_or(Ok(Version::default()), Version::try_from)
            .map_err(failed)?;
        let params = Params::try_from(&phc).map_err(failed)?;
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let mut out = vec![0_u8; expected.len()];
        self.run(&argon2, &params, password.as_bytes(), salt, &mut out)?;
        // `Output` compares in constant time.
        Ok(Output::new(&out).map_err(failed)? == *expected)
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

    #[test]
    fn borrowed_memory_hashes_as_argon2_itself_does() {
        use argon2::PasswordHasher as _;
        let cost = Cost {
            memory_kib: 256,
            iterations: 2,
        };
        let ours = Hasher::new(cost).unwrap();
        // Made by the argon2 crate's own allocating path: ours must verify it, and a hash
        // of ours must verify there, however often the same memory was reused in between.
        let theirs = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(256, 2, 1, None).unwrap(),
        )
        .hash_password(b"pw-reused-memory-1")
        .unwrap()
        .to_string();
        for i in 0..5 {
            assert!(ours.verify("pw-reused-memory-1", &theirs), "round {i}");
            assert!(!ours.verify("pw-reused-memory-2", &theirs), "round {i}");
            let mine = ours.hash(&format!("pw-{i}")).unwrap();
            let parsed = PasswordHash::new(&mine).unwrap();
            assert!(
                argon2::PasswordVerifier::verify_password(
                    &Argon2::default(),
                    format!("pw-{i}").as_bytes(),
                    &parsed
                )
                .is_ok(),
                "round {i}"
            );
        }
        assert_eq!(ours.kept_blocks(), 1, "one hash at a time keeps one block");
    }

    #[test]
    fn a_stored_hash_with_a_larger_cost_does_not_grow_the_pool() {
        let big = Hasher::new(Cost {
            memory_kib: 512,
            iterations: 1,
        })
        .unwrap()
        .hash("pw-1234567890")
        .unwrap();
        let small = Hasher::new(Cost::TESTING).unwrap();
        assert!(small.verify("pw-1234567890", &big));
        assert_eq!(small.kept_blocks(), 0);
        let _ = small.hash("pw-0987654321").unwrap();
        assert_eq!(small.kept_blocks(), 1);
    }
}
