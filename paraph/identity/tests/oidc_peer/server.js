// A test OpenID provider configured like itsme, for Paraph's relying-party
// tests only: npm's oidc-provider (which Paraph did not write) on loopback.
//
//   PEER_CONFIG=config.json node server.js
//
// config.json: {"client_id", "service_code", "redirect_uris": [...],
//   "client_jwks": {"keys": [...public keys...]}, "accounts": {"<id>": {claims}}}
//
// Like itsme: issuer <origin>/v2; private_key_jwt client authentication;
// request objects required, signed (RS256) and encrypted (RSA-OAEP-256);
// PKCE (S256) required; id_tokens and userinfo responses signed (RS256) and
// encrypted to the client's "use": "enc" key; pairwise subjects; the itsme
// claim names under the "eid" scope; acr_basic / acr_advanced.
//
// The interaction page stands in for "confirm in your itsme app": a form
// naming the test account; consent is given at once (loadExistingGrant).
//
// Test-only endpoints (loopback, never in Paraph):
//   POST /_peer/behaviour {"mode": "..."}  misbehave on purpose (see MODES)
//   POST /_peer/client {"jwks": {...}}     the client's JWK Set, as itsme
//                                          would fetch it from Paraph
//
// It prints one line, {"issuer": "..."}, once it listens.

import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';
import {
  CompactEncrypt, CompactSign, exportJWK, generateKeyPair, importJWK,
} from 'jose';

const ACR_BASIC = 'http://itsme.services/v2/claim/acr_basic';
const ACR_ADVANCED = 'http://itsme.services/v2/claim/acr_advanced';
const BASE = '/v2';

// Misbehaviours the tests switch on: each one re-issues the id_token the
// real provider made, broken in exactly one way.
const MODES = new Set([
  'normal',
  'wrong_signature', // signed by another key that claims the provider's kid
  'wrong_audience', // aud is another client
  'wrong_issuer', // iss is another provider
  'wrong_nonce', // a nonce nobody sent
  'stale_nonce', // the nonce of the previous authorization
  'expired', // exp (and iat) in the past
  'unencrypted', // signed only, not encrypted
  'acr_basic', // acr_basic whatever was asked
  'claims_in_userinfo', // the id_token carries no identity claims; userinfo does
]);

const config = JSON.parse(readFileSync(process.env.PEER_CONFIG, 'utf8'));
const behaviour = { mode: 'normal' };
let previousNonce = null;

function log(...args) {
  console.error(new Date().toISOString(), ...args);
}

async function rsaJwk(use, alg, kid) {
  const { privateKey } = await generateKeyPair(alg, { modulusLength: 2048, extractable: true });
  return { ...(await exportJWK(privateKey)), use, alg, kid };
}

const signingJwk = await rsaJwk('sig', 'RS256', 'peer-sig-1');
const encryptionJwk = await rsaJwk('enc', 'RSA-OAEP-256', 'peer-enc-1');
const impostorJwk = await rsaJwk('sig', 'RS256', 'peer-sig-1');

// --- Storage: oidc-provider's models in memory; the client from config. -----

const stores = new Map();

class Adapter {
  constructor(name) {
    this.name = name;
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    this.store.set(id, { payload: { ...payload }, expiresAt });
  }

  async find(id) {
    if (this.name === 'Client') return clientMetadata(id);
    const entry = this.store.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.store.delete(id);
      return undefined;
    }
    return entry.payload;
  }

  async findByUid(uid) {
    for (const [id, entry] of this.store) {
      if (entry.payload.uid === uid) return this.find(id);
    }
    return undefined;
  }

  async findByUserCode(userCode) {
    for (const [id, entry] of this.store) {
      if (entry.payload.userCode === userCode) return this.find(id);
    }
    return undefined;
  }

  async consume(id) {
    const entry = this.store.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    this.store.delete(id);
  }

  async revokeByGrantId(grantId) {
    for (const [id, entry] of this.store) {
      if (entry.payload.grantId === grantId) this.store.delete(id);
    }
  }
}

// A client looked up each time, so a changed JWK Set (key rotation at
// Paraph) is seen by the next request.
function clientMetadata(id) {
  if (id !== config.client_id) return undefined;
  return {
    client_id: config.client_id,
    redirect_uris: config.redirect_uris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    scope: `openid profile email phone address eid service:${config.service_code}`,
    subject_type: 'pairwise',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    jwks: config.client_jwks,
    require_signed_request_object: true,
    request_object_signing_alg: 'RS256',
    request_object_encryption_alg: 'RSA-OAEP-256',
    request_object_encryption_enc: 'A128CBC-HS256',
    id_token_signed_response_alg: 'RS256',
    id_token_encrypted_response_alg: 'RSA-OAEP-256',
    id_token_encrypted_response_enc: 'A128CBC-HS256',
    userinfo_signed_response_alg: 'RS256',
    userinfo_encrypted_response_alg: 'RSA-OAEP-256',
    userinfo_encrypted_response_enc: 'A128CBC-HS256',
  };
}

// --- The provider -----------------------------------------------------------

const server = http.createServer();
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const origin = `http://127.0.0.1:${server.address().port}`;
const issuer = `${origin}${BASE}`;

const provider = new Provider(issuer, {
  adapter: Adapter,
  clientAuthMethods: ['private_key_jwt'],
  jwks: { keys: [signingJwk, encryptionJwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  acrValues: [ACR_BASIC, ACR_ADVANCED],
  subjectTypes: ['pairwise'],
  pairwiseIdentifier(ctx, accountId, client) {
    return crypto.createHash('sha256')
      .update(`${client.sectorIdentifier}|${accountId}|${config.pairwise_salt || 'itsme'}`)
      .digest('base64url');
  },
  scopes: ['openid', `service:${config.service_code}`],
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    profile: ['family_name', 'given_name', 'name', 'gender', 'locale', 'birthdate'],
    email: ['email', 'email_verified'],
    phone: ['phone_number', 'phone_number_verified'],
    address: ['address'],
    eid: [
      'http://itsme.services/v2/claim/BENationalNumber',
      'http://itsme.services/v2/claim/BEeidSn',
    ],
  },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    encryption: { enabled: true },
    jwtUserinfo: { enabled: true },
    requestObjects: { enabled: true, requireSignedRequestObject: true },
    rpInitiatedLogout: { enabled: false },
  },
  enabledJWA: {
    clientAuthSigningAlgValues: ['RS256'],
    idTokenSigningAlgValues: ['RS256'],
    requestObjectSigningAlgValues: ['RS256'],
    userinfoSigningAlgValues: ['RS256'],
    idTokenEncryptionAlgValues: ['RSA-OAEP-256'],
    idTokenEncryptionEncValues: ['A128CBC-HS256', 'A256CBC-HS512'],
    requestObjectEncryptionAlgValues: ['RSA-OAEP-256'],
    requestObjectEncryptionEncValues: ['A128CBC-HS256', 'A256CBC-HS512'],
    userinfoEncryptionAlgValues: ['RSA-OAEP-256'],
    userinfoEncryptionEncValues: ['A128CBC-HS256', 'A256CBC-HS512'],
  },
  pkce: { required: () => true },
  responseTypes: ['code'],
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 180,
    Grant: 600,
    IdToken: 300,
    Interaction: 600,
    Session: 600,
  },
  interactions: {
    url(ctx, interaction) {
      return `${BASE}/interaction/${interaction.uid}`;
    },
  },
  // itsme asks for consent in its app; the test person consents at once.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope);
    const requested = ctx.oidc.claims || {};
    grant.addOIDCClaims([
      ...Object.keys(requested.id_token || {}),
      ...Object.keys(requested.userinfo || {}),
    ]);
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    const account = config.accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...account };
      },
    };
  },
  async renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
});

provider.on('server_error', (ctx, err) => log('server_error', err));
provider.on('grant.error', (ctx, err) => log('grant.error', err.message, err.error_description));
provider.on('authorization.error', (ctx, err) => log('authorization.error', err.message, err.error_description));
provider.on('userinfo.error', (ctx, err) => log('userinfo.error', err.message, err.error_description));

// --- Misbehaviours --------------------------------------------------------------

const PROTOCOL_CLAIMS = new Set(['sub', 'acr', 'amr', 'auth_time', 'nonce', 'sid', 'at_hash', 'c_hash']);

async function reissue(idToken, mode) {
  const now = Math.floor(Date.now() / 1000);
  const claims = await idToken.payload();
  Object.assign(claims, {
    iss: issuer, aud: idToken.client.clientId, iat: now, exp: now + 300,
  });
  if (mode === 'wrong_audience') claims.aud = 'another-client';
  if (mode === 'wrong_issuer') claims.iss = 'https://idp.example.invalid/v2';
  if (mode === 'wrong_nonce') claims.nonce = crypto.randomBytes(16).toString('base64url');
  if (mode === 'stale_nonce') claims.nonce = previousNonce;
  if (mode === 'expired') Object.assign(claims, { iat: now - 900, exp: now - 600 });
  if (mode === 'acr_basic') claims.acr = ACR_BASIC;
  const signer = mode === 'wrong_signature' ? impostorJwk : signingJwk;
  const signed = await new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid })
    .sign(await importJWK(signer, 'RS256'));
  if (mode === 'unencrypted') return signed;
  const target = config.client_jwks.keys.find((k) => k.use === 'enc');
  return new CompactEncrypt(Buffer.from(signed))
    .setProtectedHeader({
      alg: 'RSA-OAEP-256', enc: 'A128CBC-HS256', cty: 'JWT', kid: target.kid,
    })
    .encrypt(await importJWK(target, 'RSA-OAEP-256'));
}

const { IdToken } = provider;
const issue = IdToken.prototype.issue;
IdToken.prototype.issue = async function misbehavingIssue(options = {}) {
  if (options.use !== 'idtoken') return issue.call(this, options);
  const { mode } = behaviour;
  if (mode === 'claims_in_userinfo') {
    const payload = this.payload;
    this.payload = async function protocolClaimsOnly() {
      const all = await payload.call(this);
      return Object.fromEntries(Object.entries(all).filter(([k]) => PROTOCOL_CLAIMS.has(k)));
    };
  }
  const nonce = this.extra.nonce;
  try {
    const token = await issue.call(this, options);
    if (mode === 'normal' || mode === 'claims_in_userinfo') return token;
    log('misbehaving:', mode);
    return await reissue(this, mode);
  } finally {
    previousNonce = nonce;
  }
};

// --- The interaction ("confirm in your itsme app") --------------------------------

function htmlEscape(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function requestedAcr(params) {
  const values = String(params.acr_values || '').split(' ');
  return values.includes(ACR_ADVANCED) ? ACR_ADVANCED : ACR_BASIC;
}

function page(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><title>itsme (test peer)</title></head><body>${body}</body></html>`);
}

async function interaction(req, res, url) {
  const [, uid, action] = url.pathname.slice(BASE.length).match(/^\/interaction\/([^/]+)(?:\/(\w+))?$/) || [];
  if (!uid) return page(res, 404, 'not found');
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  const scopes = String(params.scope || '').split(' ');
  if (!scopes.includes(`service:${config.service_code}`)) {
    return provider.interactionFinished(req, res, {
      error: 'invalid_scope', error_description: 'the service scope is missing',
    }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (req.method === 'POST' && action === 'confirm') {
    const form = new URLSearchParams(await readBody(req));
    const accountId = form.get('account') || '';
    if (!config.accounts[accountId]) {
      return page(res, 200, `<p role="alert">Unknown itsme account.</p>${confirmForm(uid, accountId)}`);
    }
    log('confirmed:', accountId, requestedAcr(params));
    return provider.interactionFinished(req, res, {
      login: { accountId, acr: requestedAcr(params), amr: ['pop'], remember: false },
    }, { mergeWithLastSubmission: false });
  }
  return page(res, 200, `<h1>Confirm in your itsme app</h1><p>${htmlEscape(params.client_id)} asks ${htmlEscape(params.scope)} (${htmlEscape(requestedAcr(params))}).</p>${confirmForm(uid, '')}`);
}

function confirmForm(uid, accountId) {
  return `<form method="post" action="${BASE}/interaction/${htmlEscape(uid)}/confirm">`
    + `<label for="account">itsme account</label><input id="account" name="account" value="${htmlEscape(accountId)}">`
    + '<button type="submit">Confirm</button></form>';
}

// --- Test-only administration ----------------------------------------------------

async function admin(req, res, url) {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST') return reply(405, { error: 'POST only' });
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return reply(400, { error: 'JSON body expected' });
  }
  if (url.pathname === '/_peer/behaviour') {
    if (!MODES.has(body.mode)) return reply(400, { error: `unknown mode ${body.mode}` });
    behaviour.mode = body.mode;
    log('behaviour:', body.mode);
    return reply(200, behaviour);
  }
  if (url.pathname === '/_peer/client') {
    if (!Array.isArray(body.jwks?.keys)) return reply(400, { error: 'jwks.keys expected' });
    config.client_jwks = body.jwks;
    log('client JWK Set:', body.jwks.keys.map((k) => `${k.use}:${k.kid}`).join(' '));
    return reply(200, { keys: body.jwks.keys.length });
  }
  return reply(404, { error: 'not found' });
}

// --- HTTP -------------------------------------------------------------------------

const callback = provider.callback();
server.on('request', async (req, res) => {
  const url = new URL(req.url, origin);
  log(req.method, url.pathname);
  try {
    if (url.pathname.startsWith('/_peer/')) return await admin(req, res, url);
    if (!url.pathname.startsWith(`${BASE}/`)) {
      res.writeHead(404);
      return res.end();
    }
    if (url.pathname.startsWith(`${BASE}/interaction/`)) return await interaction(req, res, url);
    if (url.pathname === `${BASE}/auth`) {
      // itsme accepts only signed-then-encrypted request objects (a JWE).
      const request = url.searchParams.get('request') || '';
      if (request.split('.').length !== 5) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({
          error: 'invalid_request_object', error_description: 'an encrypted request object is required',
        }));
      }
    }
    req.originalUrl = req.url;
    req.url = req.url.slice(BASE.length) || '/';
    return callback(req, res);
  } catch (err) {
    log('peer error', err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    return res.end(String(err));
  }
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
console.log(JSON.stringify({ issuer }));
