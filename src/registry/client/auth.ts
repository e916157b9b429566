import { RegistryResponseError } from './errors.js';
import { readSmallBody, sendFollowing } from './transport.js';

/**
 * Registry credentials as the docker CLI sends them (X-Registry-Auth, POST /auth).
 * An identity token is an OAuth2 refresh token some registries hand out at login.
 */
export interface Credentials {
  username?: string;
  password?: string;
  identityToken?: string;
  /** A bearer token to use as is (X-Registry-Auth `registrytoken`). */
  registryToken?: string;
}

/** One `WWW-Authenticate` challenge: `Bearer realm="...",service="...",scope="..."`. */
export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (one challenge per scheme; quoted values may hold commas). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme, params };
}

export function basicHeader(creds: Credentials): string | undefined {
  if (!creds.username && !creds.password) return undefined;
  return `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

/**
 * Fetches and caches bearer tokens per (realm, service, user, scopes). Tokens are refreshed a
 * little before they expire; a 401 on a cached token makes the caller ask again with `fresh`.
 */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  async token(opts: { challenge: Challenge; scopes: string[]; credentials: Credentials; verifyTls: boolean; fresh?: boolean }): Promise<string> {
    if (opts.credentials.registryToken) return `Bearer ${opts.credentials.registryToken}`;
    const { realm, service } = opts.challenge.params;
    if (!realm) throw new RegistryResponseError(401, [{ code: 'UNAUTHORIZED', message: 'bearer challenge without a realm' }], 'unauthorized: bearer challenge without a realm');
    const scopes = [...new Set(opts.scopes)].sort();
    const key = JSON.stringify([realm, service ?? '', opts.credentials.username ?? '', scopes]);
    const cached = this.tokens.get(key);
    if (cached && !opts.fresh && cached.expiresAt > Date.now()) return cached.header;
    const fetched = await fetchToken({ realm, service, scopes, credentials: opts.credentials, verifyTls: opts.verifyTls });
    this.tokens.set(key, fetched);
    return fetched.header;
  }
}

async function fetchToken(opts: { realm: string; service?: string; scopes: string[]; credentials: Credentials; verifyTls: boolean }): Promise<CachedToken> {
  const url = new URL(opts.realm);
  if (opts.service) url.searchParams.set('service', opts.service);
  for (const s of opts.scopes) url.searchParams.append('scope', s);
  const headers: Record<string, string> = { Accept: 'application/json' };
  const basic = basicHeader(opts.credentials);
  if (opts.credentials.username) url.searchParams.set('account', opts.credentials.username);
  if (basic) headers.Authorization = basic;
  const { res } = await sendFollowing({ method: 'GET', url, headers, verifyTls: opts.verifyTls });
  const body = (await readSmallBody(res)).toString('utf8');
  if ((res.statusCode ?? 500) >= 400) {
    const err = RegistryResponseError.fromBody(res.statusCode ?? 500, res.statusMessage ?? '', body);
    throw new RegistryResponseError(err.httpStatus, err.errors, `Get "${url.href}": ${err.message}`);
  }
  let parsed: { token?: string; access_token?: string; expires_in?: number };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw new RegistryResponseError(500, [], `token endpoint ${opts.realm} returned invalid JSON`);
  }
  const token = parsed.token ?? parsed.access_token;
  if (!token) throw new RegistryResponseError(500, [], `token endpoint ${opts.realm} returned no token`);
  // Docker assumes 60 s when the server does not say; refresh 10 s early.
  const lifetime = Math.max(parsed.expires_in ?? 60, 20);
  return { header: `Bearer ${token}`, expiresAt: Date.now() + (lifetime - 10) * 1000 };
}
