//! Passkeys (WebAuthn): the relying-party checks, over `webauthn_rp`.
//!
//! Everything the rest of mamori needs goes through this module and its own types
//! ([`StoredPasskey`], [`Ceremony`], [`Error`]), so that replacing the library changes
//! this file only. The ceremony state is returned as bytes for the database: a ceremony
//! started on one server can finish on another.
//!
//! Every ceremony requires user verification (PIN or biometrics on the authenticator):
//! a passkey is then possession and a second factor in one, and can stand in for TOTP.

use std::time::SystemTime;

use webauthn_rp::bin::{Decode, Encode};
use webauthn_rp::request::auth::AuthenticationVerificationOptions;
use webauthn_rp::request::register::{
    CredProtect, Nickname, PublicKeyCredentialUserEntity, RegistrationVerificationOptions,
    UserHandle16, Username,
};
use webauthn_rp::request::{
    AsciiDomain, ExtensionInfo, PublicKeyCredentialDescriptor, RpId, TimedCeremony,
};
use webauthn_rp::response::auth::error::AuthCeremonyErr;
use webauthn_rp::response::register::{DynamicState, StaticState};
use webauthn_rp::response::{AuthTransports, AuthenticatorTransport, CredentialId};
use webauthn_rp::{
    AuthenticatedCredential, DiscoverableAuthentication16, DiscoverableAuthenticationServerState,
    DiscoverableCredentialRequestOptions, PublicKeyCredentialCreationOptions, Registration,
    RegistrationServerState,
};

/// Length of the user handle mamori gives a person's passkeys (random, not their id).
pub const USER_HANDLE_LEN: usize = 16;

/// Why a ceremony did not succeed. The messages are for the log, not for people.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server's public URL cannot name a relying party.
    #[error("the public URL cannot be used for passkeys: {0}")]
    Config(String),
    /// The browser's answer is not a well-formed WebAuthn response.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The answer does not verify (signature, origin, challenge, flags…).
    #[error("verification failed: {0}")]
    Rejected(String),
    /// The authenticator's signature counter did not move forward: a cloned key.
    #[error("the signature counter went backwards")]
    CounterWentBack,
    /// Stored state could not be read back.
    #[error("stored state unreadable: {0}")]
    Stored(String),
}

/// The relying party: mamori as the browser sees it.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    rp_id: RpId,
    origin: String,
}

impl RelyingParty {
    /// The relying party of a server reached at `public_origin` (`https://host[:port]`).
    /// Its id is the host; only that exact origin may answer.
    pub fn from_public_origin(public_origin: &str) -> Result<Self, Error> {
        let origin = public_origin.trim_end_matches('/');
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .ok_or_else(|| Error::Config(format!("{origin} is not an http(s) origin")))?;
        if rest.contains('/') || rest.starts_with('[') {
            return Err(Error::Config(format!("{origin} is not a host origin")));
        }
        let host = rest.split(':').next().unwrap_or(rest).to_ascii_lowercase();
        let domain = AsciiDomain::try_from(host.clone())
            .map_err(|e| Error::Config(format!("{host}: {e}")))?;
        Ok(Self {
            rp_id: RpId::Domain(domain),
            origin: origin.to_owned(),
        })
    }

    /// The relying-party id (the host).
    pub fn id(&self) -> &str {
        self.rp_id.as_ref()
    }
}

/// A ceremony under way: what the server keeps until the browser answers.
#[derive(Debug, Clone)]
pub struct Ceremony {
    /// The challenge, which finds the ceremony again (16 bytes).
    pub challenge: Vec<u8>,
    /// The library's state, as bytes.
    pub state: Vec<u8>,
    /// After this the answer is refused.
    pub expires_at: SystemTime,
    /// The options for `navigator.credentials.create/get` (WebAuthn's JSON form).
    pub options: serde_json::Value,
}

/// A passkey as mamori stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// The credential id the authenticator chose.
    pub credential_id: Vec<u8>,
    /// The public key as the library encodes it.
    pub public_key: Vec<u8>,
    /// The authenticator's signature counter last seen.
    pub sign_count: u32,
    /// The rest of what changes with each use (user verified, backup state, attachment),
    /// as the library encodes it.
    pub flags: Vec<u8>,
    /// The person's user handle on their authenticators.
    pub user_handle: Vec<u8>,
    /// How the browser can reach the authenticator, as the library encodes it.
    pub transports: u8,
}

/// A new random user handle for a person's first passkey.
pub fn new_user_handle() -> Vec<u8> {
    UserHandle16::new().as_ref().to_vec()
}

fn user_handle(bytes: &[u8]) -> Result<UserHandle16, Error> {
    let arr: [u8; USER_HANDLE_LEN] = bytes
        .try_into()
        .map_err(|_| Error::Stored("user handle length".into()))?;
    UserHandle16::decode(arr).map_err(|e| Error::Stored(format!("{e:?}")))
}

fn challenge_bytes(challenge: u128) -> Vec<u8> {
    challenge.to_le_bytes().to_vec()
}

fn options_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::Config(e.to_string()))
}

/// Starts registering a passkey for the person with `handle`, named `email` and
/// `display_name` on the authenticator; `existing` are their credential ids, which the
/// authenticator must not register twice.
pub fn start_registration(
    rp: &RelyingParty,
    handle: &[u8],
    email: &str,
    display_name: &str,
    existing: &[Vec<u8>],
) -> Result<Ceremony, Error> {
    let handle = user_handle(handle)?;
    let name = Username::try_from(email).map_err(|e| Error::Config(e.to_string()))?;
    // A name the nickname profile refuses is left out: the authenticator shows the e-mail.
    let display_name = Nickname::try_from(display_name).ok();
    let exclude = existing
        .iter()
        .filter_map(|id| {
            Some(PublicKeyCredentialDescriptor {
                id: CredentialId::<Vec<u8>>::decode(id.clone()).ok()?,
                transports: AuthTransports::decode(0).ok()?,
            })
        })
        .collect();
    let mut options = PublicKeyCredentialCreationOptions::passkey(
        &rp.rp_id,
        PublicKeyCredentialUserEntity {
            name,
            id: &handle,
            display_name,
        },
        exclude,
    );
    // Asked for, not enforced: browsers refuse the whole registration when enforcement is
    // asked of an authenticator without credProtect (many platform ones), and every
    // ceremony here requires user verification anyway.
    options.extensions.cred_protect =
        CredProtect::UserVerificationRequired(ExtensionInfo::AllowDontEnforceValue);
    let (server, client) = options
        .start_ceremony()
        .map_err(|e| Error::Config(e.to_string()))?;
    Ok(Ceremony {
        challenge: challenge_bytes(server.sent_challenge().0),
        expires_at: server.expiration(),
        state: server.encode().map_err(|e| Error::Config(e.to_string()))?,
        options: options_json(&client)?,
    })
}

/// A browser's answer to a registration, read but not yet verified.
pub struct RegistrationResponse(Registration);

impl RegistrationResponse {
    /// Reads the JSON the browser sent (`PublicKeyCredential.toJSON()`).
    pub fn parse(json: &[u8]) -> Result<Self, Error> {
        Registration::from_json_relaxed(json)
            .map(Self)
            .map_err(|e| Error::Malformed(e.to_string()))
    }

    /// The challenge it answers, to find the ceremony.
    pub fn challenge(&self) -> Result<Vec<u8>, Error> {
        self.0
            .challenge()
            .map(|c| challenge_bytes(c.0))
            .map_err(|e| Error::Malformed(e.to_string()))
    }
}

/// Verifies a registration against its stored ceremony; the passkey to store.
pub fn finish_registration(
    rp: &RelyingParty,
    state: &[u8],
    response: &RegistrationResponse,
) -> Result<StoredPasskey, Error> {
    let server = RegistrationServerState::<USER_HANDLE_LEN>::decode(state)
        .map_err(|e| Error::Stored(e.to_string()))?;
    let origins = [rp.origin.as_str()];
    let options = RegistrationVerificationOptions::<&str, &str> {
        allowed_origins: &origins,
        ..RegistrationVerificationOptions::default()
    };
    let cred = server
        .verify(&rp.rp_id, &response.0, &options)
        .map_err(|e| Error::Rejected(e.to_string()))?;
    let dynamic = cred.dynamic_state();
    Ok(StoredPasskey {
        credential_id: cred.id().as_ref().to_vec(),
        public_key: cred
            .static_state()
            .encode()
            .map_err(|e| Error::Stored(e.to_string()))?,
        sign_count: dynamic.sign_count,
        flags: dynamic
            .encode()
            .map_err(|e| Error::Stored(e.to_string()))?
            .to_vec(),
        user_handle: cred.user_id().as_ref().to_vec(),
        transports: cred
            .transports()
            .encode()
            .map_err(|e| Error::Stored(e.to_string()))?,
    })
}

/// Starts a login with a discoverable passkey: the authenticator offers the person's
/// passkeys for this site, and its answer names the person.
pub fn start_login(rp: &RelyingParty) -> Result<Ceremony, Error> {
    let (server, client) = DiscoverableCredentialRequestOptions::passkey(&rp.rp_id)
        .start_ceremony()
        .map_err(|e| Error::Config(e.to_string()))?;
    Ok(Ceremony {
        challenge: challenge_bytes(server.sent_challenge().0),
        expires_at: server.expiration(),
        state: server.encode().map_err(|e| Error::Config(e.to_string()))?,
        options: options_json(&client)?,
    })
}

/// A browser's answer to a login, read but not yet verified.
pub struct LoginResponse(DiscoverableAuthentication16);

impl LoginResponse {
    /// Reads the JSON the browser sent.
    pub fn parse(json: &[u8]) -> Result<Self, Error> {
        DiscoverableAuthentication16::from_json_relaxed(json)
            .map(Self)
            .map_err(|e| Error::Malformed(e.to_string()))
    }

    /// The challenge it answers, to find the ceremony.
    pub fn challenge(&self) -> Result<Vec<u8>, Error> {
        self.0
            .challenge()
            .map(|c| challenge_bytes(c.0))
            .map_err(|e| Error::Malformed(e.to_string()))
    }

    /// The credential used, to find the stored passkey.
    pub fn credential_id(&self) -> Vec<u8> {
        self.0.raw_id().as_ref().to_vec()
    }
}

/// Verifies a login against its stored ceremony and the passkey it names; the passkey's
/// new counter and flags. The user handle in the answer must be the passkey's, and the
/// counter must move forward unless the authenticator keeps none (both zero).
pub fn finish_login(
    rp: &RelyingParty,
    state: &[u8],
    response: &LoginResponse,
    stored: &StoredPasskey,
) -> Result<StoredPasskey, Error> {
    let server = DiscoverableAuthenticationServerState::decode(state)
        .map_err(|e| Error::Stored(e.to_string()))?;
    let handle = user_handle(&stored.user_handle)?;
    let static_state = StaticState::decode(stored.public_key.as_slice())
        .map_err(|e| Error::Stored(e.to_string()))?;
    let flags: [u8; 7] = stored
        .flags
        .as_slice()
        .try_into()
        .map_err(|_| Error::Stored("flags length".into()))?;
    let mut dynamic = DynamicState::decode(flags).map_err(|e| Error::Stored(e.to_string()))?;
    // The counter column is the one people and queries see; it wins over the copy in the
    // flags.
    dynamic.sign_count = stored.sign_count;
    let id = CredentialId::<&[u8]>::decode(stored.credential_id.as_slice())
        .map_err(|e| Error::Stored(e.to_string()))?;
    let mut cred = AuthenticatedCredential::new(id, &handle, static_state, dynamic)
        .map_err(|e| Error::Stored(e.to_string()))?;
    let origins = [rp.origin.as_str()];
    let options = AuthenticationVerificationOptions::<&str, &str> {
        allowed_origins: &origins,
        ..AuthenticationVerificationOptions::default()
    };
    server
        .verify(&rp.rp_id, &response.0, &mut cred, &options)
        .map_err(|e| match e {
            AuthCeremonyErr::SignatureCounter => Error::CounterWentBack,
            other => Error::Rejected(other.to_string()),
        })?;
    let dynamic = cred.dynamic_state();
    Ok(StoredPasskey {
        sign_count: dynamic.sign_count,
        flags: dynamic
            .encode()
            .map_err(|e| Error::Stored(e.to_string()))?
            .to_vec(),
        ..stored.clone()
    })
}

/// The transports' names, as WebAuthn spells them.
pub fn transport_names(transports: u8) -> Vec<&'static str> {
    let Ok(t) = AuthTransports::decode(transports) else {
        return Vec::new();
    };
    [
        (AuthenticatorTransport::Ble, "ble"),
        (AuthenticatorTransport::Hybrid, "hybrid"),
        (AuthenticatorTransport::Internal, "internal"),
        (AuthenticatorTransport::Nfc, "nfc"),
        (AuthenticatorTransport::SmartCard, "smart-card"),
        (AuthenticatorTransport::Usb, "usb"),
    ]
    .into_iter()
    .filter(|(tr, _)| t.contains(*tr))
    .map(|(_, name)| name)
    .collect()
}

/// A credential id as people and URLs see it (base64url, no padding).
pub fn encode_id(id: &[u8]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relying_party_comes_from_the_public_origin() {
        let rp = RelyingParty::from_public_origin("https://mamori.example.go.jp/").unwrap();
        assert_eq!(rp.id(), "mamori.example.go.jp");
        assert_eq!(rp.origin, "https://mamori.example.go.jp");
        let local = RelyingParty::from_public_origin("http://localhost:8080").unwrap();
        assert_eq!(local.id(), "localhost");
        assert!(RelyingParty::from_public_origin("ftp://example.com").is_err());
        assert!(RelyingParty::from_public_origin("https://example.com/mamori").is_err());
    }

    #[test]
    fn a_ceremony_is_stored_as_bytes_and_read_back() {
        let rp = RelyingParty::from_public_origin("https://example.com").unwrap();
        let c = start_login(&rp).unwrap();
        assert_eq!(c.challenge.len(), 16);
        assert!(DiscoverableAuthenticationServerState::decode(c.state.as_slice()).is_ok());
        assert_eq!(c.options["rpId"], "example.com");
        assert_eq!(c.options["userVerification"], "required");
        let r =
            start_registration(&rp, &new_user_handle(), "a@example.com", "山田 花子", &[]).unwrap();
        assert!(RegistrationServerState::<USER_HANDLE_LEN>::decode(r.state.as_slice()).is_ok());
    }
}
