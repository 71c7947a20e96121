import { httpLanguage } from './i18n.js';

// The public REST API, with the worker's key. The key lives in sessionStorage: gone when the tab closes.
const KEY = 'rn.key';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

export function key() { return sessionStorage.getItem(KEY); }

// A person signed in with a session cookie (issue 16): the cookie is HttpOnly, so the client keeps only the CSRF token,
// in memory; after a reload GET /session gives it again.
let csrf = null;
export function setCsrf(value) { csrf = value; }
export function hasSession() { return csrf !== null; }
export function setKey(value) { value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY); }

/** One call. Returns { body, etag }; a problem+json answer becomes an ApiError. */
export async function call(method, path, { body, etag, signal, idempotencyKey } = {}) {
  // Refusals and protocol steps come back in the worker's language and script (en, sr-Latn, sr-Cyrl).
  const headers = { Accept: 'application/json', 'Accept-Language': httpLanguage() };
  const stored = key();
  if (stored) headers.Authorization = `Bearer ${stored}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (etag) headers['If-Match'] = etag;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  if (!stored && csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  const response = await fetch(`/api/v1${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal,
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) {
    // A session that ended (idle, absolute limit, signed out elsewhere, deactivated): the app returns to sign-in.
    if (response.status === 401 && parsed?.reason === 'session_expired' && csrf !== null) window.dispatchEvent(new CustomEvent('rn:session-ended'));
    throw new ApiError(response.status, parsed);
  }
  return { body: parsed, etag: response.headers.get('ETag') };
}

/** The credentials of a call that is not JSON (a document up or down): the key, or the session's CSRF token for a write. */
function credentials(method) {
  const headers = { 'Accept-Language': httpLanguage() };
  const stored = key();
  if (stored) headers.Authorization = `Bearer ${stored}`;
  if (!stored && csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  return headers;
}

async function failure(response) {
  const problem = await response.json().catch(() => null);
  return new ApiError(response.status, problem);
}

/**
 * Uploads a file as the request body (issue 17: documents): its own type, its name in Content-Disposition (RFC 6266,
 * filename* for any script). The server judges the type by the bytes.
 */
export async function upload(path, file, idempotencyKey) {
  const headers = credentials('POST');
  headers.Accept = 'application/json';
  headers['Content-Type'] = file.type || 'application/octet-stream';
  headers['Content-Disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const response = await fetch(`/api/v1${path}`, { method: 'POST', headers, body: file });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** Downloads a file and hands it to the browser under its name (each download of a document is in the access log). */
export async function download(path, fileName) {
  const response = await fetch(`/api/v1${path}`, { headers: credentials('GET') });
  if (!response.ok) throw await failure(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * An Idempotency-Key for one form (issue 17): a retry of the same submission — a second click, a network error — is
 * answered with the first answer instead of being carried out twice. Nothing is stored for a refused request, so a
 * corrected resubmission under the same key runs as new.
 */
export function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export const get = (path) => call('GET', path).then((r) => r.body);

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
