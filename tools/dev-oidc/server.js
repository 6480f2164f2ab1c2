// Development-only OpenID Connect provider for the Leeds Care Record platform (make run, make test).
// A real oidc-provider (certified OpenID Connect implementation) on loopback, issuing CIS2-shaped
// ID tokens (nhsid_nrbac_roles, authentication_assurance_level) for the seeded professionals in
// people.json. Never deployed: in production the platform trusts NHS CIS2 and similar providers.
//
// Flow: authorization code with PKCE (S256), public clients (token_endpoint_auth_method none), as a
// desktop clinical system would use. The login/consent interaction is a dev-only form that takes a
// user name and no password (POST /interaction/<uid> with login=<user name> and optionally
// acr=AAL3_ANY|AAL2_OR_ABOVE|AAL1_USERPASS), so tests and scripts can drive the flow with plain HTTP.
//
// Environment: LCR_DEV_OIDC_PORT (default 7190), LCR_DEV_OIDC_DATA (where the signing keys live,
// default <repo>/.data/dev-oidc), LCR_DEV_OIDC_ID_TOKEN_TTL (seconds, default 600),
// LCR_DEV_OIDC_PID_FILE (written once listening, removed on exit; scripts/dev-oidc.sh uses it),
// LCR_DEV_OIDC_PEOPLE (the people file, default people.json beside this script). The people file is
// read again whenever it changes, so a test running its own instance with its own people file can
// end or add role profiles (a leaver, a joiner) without restarting it.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';

const here = dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.LCR_DEV_OIDC_PORT || 7190);
const dataDir = process.env.LCR_DEV_OIDC_DATA || join(here, '..', '..', '.data', 'dev-oidc');
const idTokenTtl = Number(process.env.LCR_DEV_OIDC_ID_TOKEN_TTL || 600);
const issuer = `http://127.0.0.1:${port}`;

// ---------------------------------------------------------------- people ----
const peopleFile = process.env.LCR_DEV_OIDC_PEOPLE || join(here, 'people.json');
let people = [];
let bySub = new Map();
let byUserName = new Map();
let peopleStamp = '';

// Re-reads the people file when its size or modification time changed; a file caught half-written
// keeps the previous people until the next look.
function refreshPeople() {
  const st = statSync(peopleFile);
  const stamp = `${st.mtimeMs}:${st.size}`;
  if (stamp === peopleStamp) return;
  try {
    const parsed = JSON.parse(readFileSync(peopleFile, 'utf8')).people;
    people = parsed;
    bySub = new Map(people.map((p) => [p.sub, p]));
    byUserName = new Map(people.map((p) => [p.user_name, p]));
    peopleStamp = stamp;
  } catch (e) {
    if (peopleStamp === '') throw e;
  }
}
refreshPeople();

// CIS2 authentication assurance: the acr value asked for at login and the level it gives.
const assurance = { AAL3_ANY: '3', AAL2_OR_ABOVE: '2', AAL1_USERPASS: '1' };

// ---------------------------------------------------------------- keys ------
// Generated on first start, kept under the git-ignored .data/ (owner-only) so tokens issued
// before a restart still verify; delete the file to rotate.
function loadKeys() {
  const file = join(dataDir, 'jwks.json');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const stamp = Date.now().toString(36);
    const keys = [
      { ...rsa, kid: `rsa-${stamp}`, use: 'sig', alg: 'RS256' },
      { ...ec, kid: `ec-${stamp}`, use: 'sig', alg: 'ES256' },
    ];
    writeFileSync(file, JSON.stringify({ keys }), { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return JSON.parse(readFileSync(file, 'utf8'));
}

// ---------------------------------------------------------------- clients ---
// One public client per clinical system that signs professionals in. The client id is the
// audience of the ID tokens it receives; identity accepts only the client ids configured for
// the provider (Identity:Federation:Providers:N:Audiences). demo-unregistered-app is registered
// here but not at identity: its tokens are the wrong audience for the platform.
const clientIds = ['b86001-gp-system', 'rr8-ppm-epr', 'rgd-care-epr', '00da-social-care-system', 'lcr-cli', 'demo-unregistered-app'];
const clients = clientIds.map((client_id) => ({
  client_id,
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/callback'],
  require_auth_time: true, // auth_time in every ID token: identity caps the platform session by it
  id_token_signed_response_alg: client_id === 'rgd-care-epr' ? 'ES256' : 'RS256',
}));

// ---------------------------------------------------------------- provider --
const configuration = {
  clients,
  jwks: loadKeys(),
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  pkce: { required: () => true },
  acrValues: Object.keys(assurance),
  scopes: ['openid', 'profile', 'nationalrbacaccess'],
  claims: {
    // CIS2 always states the assurance of the authentication.
    openid: ['sub', 'authentication_assurance_level'],
    profile: ['name', 'given_name', 'family_name'],
    nationalrbacaccess: ['nhsid_nrbac_roles'],
  },
  // CIS2 returns the RBAC claims from userinfo; this provider also puts the claims of the granted
  // scopes into the ID token, so the ID token alone is enough for the platform's token exchange.
  conformIdTokenClaims: false,
  ttl: {
    IdToken: () => idTokenTtl,
    AccessToken: () => idTokenTtl,
    AuthorizationCode: () => 60,
    Interaction: () => 600,
    Session: () => 3600,
    Grant: () => 3600,
  },
  features: {
    devInteractions: { enabled: false },
  },
  async findAccount(ctx, sub, token) {
    refreshPeople();
    const person = bySub.get(sub);
    if (!person) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          authentication_assurance_level: assurance[token?.acr] ?? '3',
          name: `${person.given_name} ${person.family_name}`,
          given_name: person.given_name,
          family_name: person.family_name,
          nhsid_nrbac_roles: person.nhsid_nrbac_roles,
        };
      },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    ctx.type = 'application/json';
    ctx.body = out;
  },
};

const provider = new Provider(issuer, configuration);

// ---------------------------------------------------------------- interaction
// GET shows a one-field form (for a person with a browser); POST completes the current prompt:
// login (needs login=<user name>) or consent (grants the scopes and claims asked for).
async function readForm(req) {
  const chunks = [];
  for await (const c of req) {
    chunks.push(c);
    if (chunks.reduce((n, x) => n + x.length, 0) > 4096) throw new Error('form too large');
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (req.method === 'GET') {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>LCR dev sign-in</title><h1>Development provider: ${prompt.name}</h1>
<form method="post"><label>User name <input name="login" autofocus></label>
<select name="acr">${Object.keys(assurance).map((a) => `<option>${a}</option>`).join('')}</select>
<button>Continue</button></form>`);
    return;
  }
  const form = await readForm(req);
  let result;
  if (prompt.name === 'login') {
    refreshPeople();
    const person = byUserName.get((form.get('login') || '').trim().toLowerCase());
    if (!person) {
      result = { error: 'access_denied', error_description: 'unknown user' };
    } else {
      const acr = assurance[form.get('acr')] ? form.get('acr') : 'AAL3_ANY';
      result = { login: { accountId: person.sub, acr, amr: ['dev'] } };
    }
  } else if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    if (prompt.details.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    result = { consent: { grantId: await grant.save() } };
  } else {
    result = { error: 'invalid_request', error_description: 'unsupported prompt' };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const server = createServer(async (req, res) => {
  try {
    if (req.url.startsWith('/interaction/')) {
      await interaction(req, res);
    } else if (req.url === '/healthz') {
      res.end('ok');
    } else {
      callback(req, res);
    }
  } catch (err) {
    res.statusCode = 400;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ error: 'interaction_failed', error_description: err.name }));
  }
});

const pidFile = process.env.LCR_DEV_OIDC_PID_FILE;
server.listen(port, '127.0.0.1', () => {
  if (pidFile) writeFileSync(pidFile, `${process.pid}\n`);
  console.log(`dev OpenID Connect provider ${issuer} (${people.length} people, ${clientIds.length} clients, ID token TTL ${idTokenTtl}s)`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (pidFile) rmSync(pidFile, { force: true });
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
