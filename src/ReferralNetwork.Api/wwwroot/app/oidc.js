// Sign-in through the organisation's own OpenID Connect provider (issue 16): the authorization-code flow with PKCE
// (RFC 7636, S256) as a public client. The page goes to the provider, comes back to /app/ with a code, redeems it at the
// provider's token endpoint with the verifier only this tab knows, and exchanges the access token for the API's own
// session cookie (POST /session/provider). No token is stored: the verifier and state live in sessionStorage only
// between leaving and coming back, and are removed on return.
import { ApiError, setCsrf, setKey } from './api.js';
import { h } from './dom.js';
import { dictionaries, t } from './i18n.js';

Object.assign(dictionaries.en, {
  orSignInWith: 'Or sign in with your organisation’s account', signInWith: 'Sign in with {p}',
  providerFailed: 'Sign-in through your organisation did not complete: {r}', providerUserUnknown: 'Your organisation’s account is not a user here: ask your organisation admin.',
});
Object.assign(dictionaries.sr, {
  orSignInWith: 'Ili se prijavite nalogom svoje organizacije', signInWith: 'Prijava preko: {p}',
  providerFailed: 'Prijava preko vaše organizacije nije završena: {r}', providerUserUnknown: 'Nalog vaše organizacije ovde nije korisnik: obratite se administratoru organizacije.',
});

const PENDING = 'rn.oidc';
const redirectUri = () => `${location.origin}/app/`;

const base64Url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (length) => base64Url(crypto.getRandomValues(new Uint8Array(length)));

async function start(provider) {
  const verifier = random(32);
  const challenge = base64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = random(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier, issuer: provider.issuer, clientId: provider.clientId, tokenEndpoint: provider.tokenEndpoint }));
  const url = new URL(provider.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: provider.clientId, redirect_uri: redirectUri(), scope: provider.scope, state,
    code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** The buttons for the providers the API trusts (none unless configured); empty when none or when the list fails. */
export async function providerButtons() {
  let providers = [];
  try {
    const response = await fetch('/api/v1/session/providers', { headers: { Accept: 'application/json' } });
    if (response.ok) providers = (await response.json()).items;
  } catch { providers = []; }
  if (providers.length === 0) return null;
  return h('div', { className: 'card narrow', id: 'providers' },
    h('p', {}, t('orSignInWith')),
    h('div', { className: 'buttons' }, providers.map((provider) => h('button', {
      type: 'button', className: 'secondary', 'data-issuer': provider.issuer, onclick: () => start(provider),
    }, t('signInWith', { p: provider.displayName })))));
}

/**
 * On the way back from the provider: redeem the code, start the session. Returns null when this is no return from a
 * provider, true when signed in, or the message to show when the sign-in failed.
 */
export async function completeProviderSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has('state') || !(params.has('code') || params.has('error'))) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  // The address bar loses the code at once: a reload or a shared link cannot replay it.
  history.replaceState(null, '', `${location.pathname}#/`);
  if (!pending || pending.state !== params.get('state')) return t('providerFailed', { r: 'state' });
  if (params.has('error')) return t('providerFailed', { r: params.get('error_description') || params.get('error') });
  if (params.has('iss') && params.get('iss') !== pending.issuer) return t('providerFailed', { r: 'iss' });
  try {
    const token = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(), client_id: pending.clientId, code_verifier: pending.verifier,
      }),
    });
    const tokens = await token.json();
    if (!token.ok || !tokens.access_token) return t('providerFailed', { r: tokens.error_description || tokens.error || token.status });
    const response = await fetch('/api/v1/session/provider', {
      method: 'POST', headers: { Accept: 'application/json', Authorization: `Bearer ${tokens.access_token}` },
    });
    const body = await response.json();
    if (!response.ok) {
      const problem = new ApiError(response.status, body);
      return problem.problem.reason === 'user_unknown' ? t('providerUserUnknown') : t('providerFailed', { r: problem.message });
    }
    setKey(null);
    setCsrf(body.csrfToken);
    return true;
  } catch (error) {
    return t('providerFailed', { r: error.message });
  }
}
