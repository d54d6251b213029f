//! Sign-in with the office's directory over OpenID Connect (Entra ID, AD FS, Keycloak).
//! This is the only code that touches the OpenID Connect library (`openidconnect`): it
//! discovers the provider, builds the address a browser is sent to (authorization code
//! with PKCE, `state` and `nonce`), exchanges the code, and verifies the ID token's
//! signature, issuer, audience, nonce and expiry. What the claims mean for mamori is
//! decided by the application, not here.
//!
//! The provider is discovered at first use, not at start, so that mamori starts while the
//! directory is down; a failed discovery is not kept, so the next sign-in tries again.
//! Discovered metadata (with the signing keys) is kept for [`METADATA_TTL`] and read again
//! at once when an ID token names a key it does not have (the directory rotated its keys).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use tokio::sync::Mutex;

/// How long discovered metadata (and the signing keys in it) is used before it is read again.
pub const METADATA_TTL: Duration = Duration::from_secs(3600);

/// How long one request to the provider may take: a sign-in waits on it.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// What goes wrong talking to the directory.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provider could not be reached or answered nonsense (discovery, keys, token
    /// endpoint): the person should try again later.
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the code (expired, used, or not ours).
    #[error("the identity provider refused the code: {0}")]
    CodeRefused(String),
    /// The ID token does not verify (signature, issuer, audience, nonce, expiry) or is missing.
    #[error("the ID token does not verify: {0}")]
    BadToken(String),
    /// The configuration cannot work (a malformed issuer or redirect address, an unreadable
    /// certificate file).
    #[error("the OpenID Connect configuration is wrong: {0}")]
    Config(String),
}

/// The directory as this installation registered mamori with it.
#[derive(Clone)]
pub struct Config {
    /// The issuer, e.g. `https://login.microsoftonline.com/{tenant}/v2.0`; discovery reads
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// mamori's client id at the provider.
    pub client_id: String,
    /// Its secret; `None` for a public client (PKCE only).
    pub client_secret: Option<String>,
    /// PEM certificates of the office's own certificate authority, trusted for the
    /// provider's TLS besides the system's roots.
    pub ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "****"),
            )
            .field("ca_pem", &self.ca_pem.as_ref().map(Vec::len))
            .finish()
    }
}

/// A started sign-in: where to send the browser, and what to keep until it comes back.
#[derive(Debug)]
pub struct Started {
    /// The provider's authorization address with every parameter.
    pub url: String,
    /// The `state` parameter (random), which the callback must bring back.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier the code exchange must present.
    pub pkce_verifier: String,
}

/// What a verified ID token says about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `iss`, exactly as the provider writes it.
    pub issuer: String,
    /// `sub`: the provider's lasting id of the person.
    pub subject: String,
    /// `email`, if the provider sent one.
    pub email: Option<String>,
    /// `email_verified`, if the provider sent it.
    pub email_verified: Option<bool>,
    /// `name` (the default language's), if sent.
    pub name: Option<String>,
    /// `amr` (RFC 8176): how the person authenticated at the provider.
    pub amr: Vec<String>,
}

/// The directory: configuration, HTTP client and the metadata discovered so far.
pub struct Provider {
    config: Config,
    http: Http,
    discovered: Mutex<Option<(Arc<CoreProviderMetadata>, Instant)>>,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// Prepares the client without contacting the provider (that waits for the first
    /// sign-in). Fails only on configuration that can never work.
    pub fn new(config: Config) -> Result<Self, Error> {
        IssuerUrl::new(config.issuer.clone()).map_err(|e| Error::Config(e.to_string()))?;
        let http = Http::new(config.ca_pem.as_deref())?;
        Ok(Self {
            config,
            http,
            discovered: Mutex::new(None),
        })
    }

    /// The issuer as configured.
    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// Discovers the provider now (or returns what was discovered within the hour).
    async fn metadata(&self, fresh: bool) -> Result<Arc<CoreProviderMetadata>, Error> {
        let mut slot = self.discovered.lock().await;
        if !fresh
            && let Some((meta, at)) = slot.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(meta.clone());
        }
        let issuer =
            IssuerUrl::new(self.config.issuer.clone()).map_err(|e| Error::Config(e.to_string()))?;
        let meta = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| Error::Unavailable(chain(&e)))?;
        let meta = Arc::new(meta);
        *slot = Some((meta.clone(), Instant::now()));
        Ok(meta)
    }

    fn client(&self, meta: &CoreProviderMetadata, redirect_uri: &str) -> Result<Client, Error> {
        let redirect =
            RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| Error::Config(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            meta.clone(),
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in: the provider's address for the browser, with a fresh `state`,
    /// `nonce` and PKCE challenge (S256), asking for `openid email profile`.
    pub async fn start(&self, redirect_uri: &str) -> Result<Started, Error> {
        let meta = self.metadata(false).await?;
        let client = self.client(&meta, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code for tokens and verifies the ID token against the nonce of the
    /// sign-in it answers.
    pub async fn finish(
        &self,
        redirect_uri: &str,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Claims, Error> {
        let meta = self.metadata(false).await?;
        let client = self.client(&meta, redirect_uri)?;
        let token: CoreTokenResponse = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| Error::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    Error::CodeRefused(r.to_string())
                }
                other => Error::Unavailable(chain(&other)),
            })?;
        // The access token is not used: mamori asks the directory only who signed in.
        let _ = token.access_token();
        let id_token = token
            .id_token()
            .ok_or_else(|| Error::BadToken("the token response has no ID token".into()))?;
        let nonce = Nonce::new(nonce.to_owned());
        match verify(&client, id_token, &nonce) {
            Ok(claims) => Ok(claims),
            // A key the cached metadata does not have: the directory may have rotated its
            // keys since discovery. Read them again once, then decide.
            Err(first) => {
                let Ok(meta) = self.metadata(true).await else {
                    return Err(first);
                };
                let client = self.client(&meta, redirect_uri)?;
                verify(&client, id_token, &nonce).map_err(|_| first)
            }
        }
    }
}

/// The client as discovery leaves it: an authorization endpoint, and a token endpoint
/// if the provider names one.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn verify(client: &Client, id_token: &CoreIdToken, nonce: &Nonce) -> Result<Claims, Error> {
    // Asymmetric signatures only: an HMAC "signed" with the client secret would let
    // anyone who holds the secret (every server of the installation) forge a sign-in.
    let verifier = client.id_token_verifier().set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
        CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        CoreJwsSigningAlgorithm::RsaSsaPssSha384,
        CoreJwsSigningAlgorithm::RsaSsaPssSha512,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::EcdsaP384Sha384,
        CoreJwsSigningAlgorithm::EdDsa,
    ]);
    let claims = id_token
        .claims(&verifier, nonce)
        .map_err(|e| Error::BadToken(e.to_string()))?;
    Ok(Claims {
        issuer: claims.issuer().to_string(),
        subject: claims.subject().to_string(),
        email: claims.email().map(|e| e.to_string()),
        email_verified: claims.email_verified(),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string()),
        amr: claims
            .auth_method_refs()
            .map(|v| v.iter().map(|a| a.to_string()).collect())
            .unwrap_or_default(),
    })
}

/// An error with its causes, for the log (reqwest's own message rarely says why).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The HTTP client the library speaks through: rustls over ring with the system's roots
/// and the office's own, no redirects (a token endpoint that redirects is misconfigured,
/// and following it would send the code elsewhere), and a timeout.
struct Http(reqwest::Client);

impl Http {
    fn new(ca_pem: Option<&[u8]>) -> Result<Self, Error> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for e in &native.errors {
            tracing::warn!(error = %e, "a system certificate could not be read");
        }
        roots.add_parsable_certificates(native.certs);
        if let Some(pem) = ca_pem {
            use rustls_pki_types::pem::PemObject;
            let mut added = 0;
            for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| Error::Config(format!("certificate file: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| Error::Config(format!("certificate file: {e}")))?;
                added += 1;
            }
            if added == 0 {
                return Err(Error::Config(
                    "the certificate file holds no PEM certificate".into(),
                ));
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| Error::Config(chain(&e)))?;
        Ok(Self(client))
    }
}

/// The library's HTTP requests, sent with reqwest.
impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = openidconnect::HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request: reqwest::Request = request.try_into().map_err(Box::new)?;
            let response = self.0.execute(request).await.map_err(Box::new)?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(Box::new)?.to_vec();
            builder
                .body(body)
                .map_err(openidconnect::HttpClientError::Http)
        })
    }
}
