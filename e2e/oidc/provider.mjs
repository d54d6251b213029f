// A real OpenID provider for mamori's tests: panva's certified `oidc-provider`, configured
// with one client (mamori) and accounts made up from what is typed on its sign-in page.
//
//   OIDC_PORT=4000 OIDC_REDIRECT_URIS=http://127.0.0.1:8080/login/oidc/callback node provider.mjs
//
// Its development sign-in page takes any login and password. The login is the account's
// id, and so its subject (`sub`), and says what the account is:
//   - an e-mail address (`tanaka@example.jp`): an account with that verified address and
//     a name;
//   - `unverified+…@…`: the same with `email_verified: false`;
//   - `noemail+…`: no e-mail at all;
//   - `resub+N+addr@…`: the address `addr@…` under another subject, i.e. the same e-mail on
//     another directory account.
// OIDC_ACCOUNTS may name a JSON file, read at every sign-in, of claims that replace those
// made up for a login ({"tanaka@example.jp": {"email": "new@example.jp"}}): the directory
// changing an account's address under the same subject.
// The issuer is http://127.0.0.1:OIDC_PORT. It prints `ready` on standard output once it
// listens, and stops on SIGTERM.
import { existsSync, readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 0);
if (!port) throw new Error('OIDC_PORT is not set');
const issuer = `http://127.0.0.1:${port}`;
const redirectUris = (process.env.OIDC_REDIRECT_URIS || '').split(',').filter(Boolean);
if (redirectUris.length === 0) throw new Error('OIDC_REDIRECT_URIS is not set');

function claimsOf(login) {
  const file = process.env.OIDC_ACCOUNTS;
  const changed = file && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8'))[login] : undefined;
  return { ...madeUp(login), ...changed, sub: login };
}

function madeUp(login) {
  if (login.startsWith('noemail+')) {
    return { sub: login, name: '無 メール' };
  }
  const unverified = login.startsWith('unverified+');
  let email = unverified ? login.slice('unverified+'.length) : login;
  const resub = /^resub\+\d+\+(.*)$/.exec(email);
  if (resub) {
    email = resub[1];
  }
  const local = email.split('@')[0];
  return { sub: login, email, email_verified: !unverified, name: `組織 ${local}` };
}

const configuration = {
  clients: [
    {
      client_id: 'mamori',
      client_secret: 'mamori-test-secret',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // The login typed on the development sign-in page is the account's id.
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return claimsOf(id);
      },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // The claims go into the ID token itself, as Entra ID and Keycloak send them: mamori
  // reads who signed in from the ID token only.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
  },
  // mamori is the office's own application: no consent page (as with a first-party app
  // registered by the directory's administrators).
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  cookies: { keys: ['mamori-e2e-only-cookie-key'] },
  ttl: { AuthorizationCode: 60, IdToken: 300, AccessToken: 300, Interaction: 600, Session: 3600, Grant: 3600 },
};

const provider = new Provider(issuer, configuration);
// Its warnings about development keys and interactions are expected here.
provider.on('server_error', (ctx, err) => console.error('oidc-provider error:', err));
const server = provider.listen(port, '127.0.0.1', () => {
  console.log('ready');
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// A test that spawned this process (with OIDC_STOP_WITH_STDIN=1 and a pipe for standard
// input) and died without killing it still ends it.
if (process.env.OIDC_STOP_WITH_STDIN === '1') {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
