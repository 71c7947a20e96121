// A real OpenID Connect provider for the tests (issue 16), made with the oidc-provider package and nothing of ours in
// the protocol: discovery, JWKS, the authorization endpoint with PKCE, the token endpoint and RS256-signed JWT access
// tokens. Only the sign-in page is ours: it asks for a username and no password (any name signs in as itself), and
// consent is granted at once — the provider stands for an organisation's identity service, whose people the API maps
// to its own users by the username claim.
//
//   node provider.mjs --port 5099 --client-id referral-network --redirect-uri http://127.0.0.1:5000/app/ \
//                     [--redirect-uri …] [--audience urn:referral-network:api] [--access-token-ttl 600]
//
// Listens on 127.0.0.1 only; prints `listening <issuer>` once it answers, and exits when its standard input closes
// (so that a test runner that dies takes it along).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

function parseArguments(argv) {
  const options = { redirectUris: [], audience: 'urn:referral-network:api', clientId: 'referral-network', accessTokenTtl: 600, port: 0 };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    switch (name) {
      case '--port': options.port = Number(value); break;
      case '--client-id': options.clientId = value; break;
      case '--redirect-uri': options.redirectUris.push(value); break;
      case '--audience': options.audience = value; break;
      case '--access-token-ttl': options.accessTokenTtl = Number(value); break;
      default: throw new Error(`unknown argument ${name}`);
    }
    i += 1;
  }
  if (!Number.isInteger(options.port) || options.port <= 0) throw new Error('--port is required');
  if (options.redirectUris.length === 0) throw new Error('at least one --redirect-uri is required');
  return options;
}

const options = parseArguments(process.argv.slice(2));
const issuer = `http://127.0.0.1:${options.port}`;
// A new signing key every start: nothing the provider signed outlives it.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
const apiScope = 'referral-network';

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  clients: [{
    client_id: options.clientId,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: options.redirectUris,
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', apiScope],
  claims: { openid: ['sub'], profile: ['preferred_username', 'name'] },
  features: {
    devInteractions: { enabled: false },
    // Access tokens for the API are JWTs with the API as their audience (RFC 8707 resource indicators, RFC 9068 format).
    resourceIndicators: {
      enabled: true,
      defaultResource: () => options.audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (resourceIndicator !== options.audience) throw new errors.InvalidTarget();
        return { scope: apiScope, audience: options.audience, accessTokenFormat: 'jwt', accessTokenTTL: options.accessTokenTtl, jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  // The username the API maps to its user, in the access token as Entra ID, Keycloak and others put it.
  extraTokenClaims: (ctx, token) => (token.accountId ? { preferred_username: token.accountId } : undefined),
  findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub, preferred_username: sub, name: sub }) }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: options.accessTokenTtl, IdToken: options.accessTokenTtl, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
  renderError: (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Error</title><h1>${escape(out.error)}</h1><p>${escape(out.error_description ?? '')}</p>`;
  },
});

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

// The sign-in page and the consent step, in front of the provider's own routes.
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== match[1]) ctx.throw(400, 'interaction mismatch');
  if (details.prompt.name === 'login') {
    if (ctx.method === 'POST') {
      const username = (await readForm(ctx.req)).get('username')?.trim();
      if (username) {
        await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
        return undefined;
      }
    }
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Organisation sign-in</title></head>
<body><h1>Organisation sign-in</h1><p>Test identity provider for ${escape(details.params.client_id)}.</p>
<form method="post" action="/interaction/${escape(details.uid)}"><label>Username <input id="username" name="username" autocomplete="username" required></label>
<button type="submit" id="sign-in">Sign in</button></form></body></html>`;
    return undefined;
  }
  if (details.prompt.name === 'consent') {
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    if (missingResourceScopes) for (const [indicator, scopes] of Object.entries(missingResourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastConsent: true });
    return undefined;
  }
  ctx.throw(400, `unexpected prompt ${details.prompt.name}`);
  return undefined;
});

const server = provider.listen(options.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
