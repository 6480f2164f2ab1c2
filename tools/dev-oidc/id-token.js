// Prints an ID token of the development provider for one seeded person, by the same real flow a
// clinical system uses (authorization code with PKCE), driving the dev login form over HTTP.
//   node id-token.js <user name> [client id, default lcr-cli] [acr, default AAL3_ANY]
// Issuer: LCR_DEV_OIDC_ISSUER (default http://127.0.0.1:7190). Development only.
import { createHash, randomBytes } from 'node:crypto';

const [userName, clientId = 'lcr-cli', acr = 'AAL3_ANY'] = process.argv.slice(2);
if (!userName) {
  console.error('usage: node id-token.js <user name> [client id] [acr]');
  process.exit(2);
}
const issuer = (process.env.LCR_DEV_OIDC_ISSUER || 'http://127.0.0.1:7190').replace(/\/$/, '');
const redirectUri = 'http://127.0.0.1/callback';
const cookies = new Map();

async function call(url, body) {
  const headers = { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(url, { method: body ? 'POST' : 'GET', body, headers, redirect: 'manual' });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    cookies.set(pair.slice(0, i), pair.slice(i + 1));
  }
  return res;
}

const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');
const query = new URLSearchParams({
  client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid profile nationalrbacaccess',
  code_challenge: challenge, code_challenge_method: 'S256', state: randomBytes(8).toString('hex'),
  nonce: randomBytes(8).toString('hex'), acr_values: acr,
});
let res = await call(`${issuer}/auth?${query}`);
for (let hop = 0; hop < 10; hop++) {
  const location = res.headers.get('location');
  if (!location) {
    console.error(`provider answered ${res.status}: ${await res.text()}`);
    process.exit(1);
  }
  const target = new URL(location, issuer);
  if (target.href.startsWith(redirectUri)) {
    const code = target.searchParams.get('code');
    if (!code) {
      console.error(`sign-in refused: ${target.searchParams.get('error_description') || target.searchParams.get('error')}`);
      process.exit(1);
    }
    const token = await call(`${issuer}/token`, new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier,
    }));
    const body = await token.json();
    if (!body.id_token) {
      console.error(`token endpoint: ${body.error_description || body.error}`);
      process.exit(1);
    }
    console.log(body.id_token);
    process.exit(0);
  }
  res = target.pathname.startsWith('/interaction/')
    ? await call(target.href, new URLSearchParams({ login: userName, acr }).toString())
    : await call(target.href);
}
console.error('too many redirects');
process.exit(1);
