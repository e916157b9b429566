import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { RegistryError } from '../server/errors.js';
import { AccessPolicy, parseScopes, type AccessRule, type AccessScope, type Action } from './access.js';
import type { Htpasswd } from './htpasswd.js';
import { signJwt, verifyJwt, type JwtKey } from './jwt.js';

export interface TokenSettings {
  /** Where clients fetch tokens; defaults to this registry's own `/token`. */
  realm?: string;
  issuer: string;
  service: string;
  key: JwtKey;
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
}

export interface AuthSettings {
  htpasswd?: Htpasswd;
  token?: TokenSettings;
  /** Without rules: authenticated users may do everything, anonymous nothing (when auth is on). */
  rules?: AccessRule[];
}

export interface Requirement {
  /** Undefined for registry-wide endpoints (`/v2/`, `_catalog`): any authenticated user. */
  repo?: string;
  actions: Action[];
}

const ALL: AccessRule[] = [{ user: '+', repository: '**', actions: ['pull', 'push', 'delete'] }];
const OPEN: AccessRule[] = [{ user: '*', repository: '**', actions: ['pull', 'push', 'delete'] }];

/**
 * Decides whether a request may proceed, in one of three modes: open (no htpasswd, no token),
 * Basic (htpasswd), or Docker token (Bearer JWTs issued by `/token`, credentials checked
 * against htpasswd there). Returns the user name (undefined for anonymous) or throws
 * UNAUTHORIZED (with a challenge) / DENIED.
 */
export class Authorizer {
  private readonly policy: AccessPolicy;
  private readonly enabled: boolean;

  constructor(
    private readonly settings: AuthSettings,
    private readonly selfUrl: () => string,
  ) {
    this.enabled = Boolean(settings.htpasswd || settings.token);
    this.policy = new AccessPolicy(settings.rules ?? (this.enabled ? ALL : OPEN));
  }

  get realm(): string {
    return this.settings.token?.realm ?? `${this.selfUrl()}/token`;
  }

  async check(req: IncomingMessage, need: Requirement): Promise<string | undefined> {
    const header = req.headers.authorization ?? '';
    if (this.settings.token) return this.checkBearer(header, need);
    const user = await this.basicUser(header);
    if (user === null) throw this.challenge(need, 'invalid username or password');
    if (!this.enabled && !this.settings.rules) return user;
    if (need.repo === undefined) {
      if (this.enabled && user === undefined) throw this.challenge(need, 'authentication required');
      return user;
    }
    const granted = this.policy.allowed(user, need.repo, need.actions);
    if (granted.length === need.actions.length) return user;
    if (user === undefined) throw this.challenge(need, 'authentication required');
    throw new RegistryError('DENIED', `access to ${need.repo} (${need.actions.join(',')}) is denied`);
  }

  /** undefined = anonymous, null = credentials given but wrong. */
  private async basicUser(header: string): Promise<string | undefined | null> {
    if (!header.toLowerCase().startsWith('basic ')) return undefined;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString();
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    if (!this.settings.htpasswd) return null;
    return (await this.settings.htpasswd.verify(user, password)) ? user : null;
  }

  private checkBearer(header: string, need: Requirement): string | undefined {
    const token = this.settings.token as TokenSettings;
    if (!header.toLowerCase().startsWith('bearer ')) {
      // Anonymous access the rules allow needs no token dance.
      if (need.repo !== undefined && this.policy.allowed(undefined, need.repo, need.actions).length === need.actions.length) return undefined;
      throw this.challenge(need, 'authentication required');
    }
    const claims = verifyJwt(token.key, header.slice(7).trim());
    if (!claims || claims.iss !== token.issuer || claims.aud !== token.service) throw this.challenge(need, 'invalid or expired token');
    const user = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
    if (need.repo === undefined) return user;
    const access = Array.isArray(claims.access) ? (claims.access as AccessScope[]) : [];
    const have = new Set(access.filter((a) => a.type === 'repository' && a.name === need.repo).flatMap((a) => a.actions));
    if (need.actions.every((a) => have.has(a))) return user;
    throw this.challenge(need, 'token does not grant the required access', user !== undefined);
  }

  private challenge(need: Requirement, message: string, insufficientScope = false): RegistryError {
    const err = new RegistryError('UNAUTHORIZED', message);
    const token = this.settings.token;
    if (token) {
      const scope = need.repo !== undefined ? `,scope="repository:${need.repo}:${need.actions.join(',')}"` : '';
      const extra = insufficientScope ? ',error="insufficient_scope"' : '';
      err.headers['WWW-Authenticate'] = `Bearer realm="${this.realm}",service="${token.service}"${scope}${extra}`;
    } else {
      err.headers['WWW-Authenticate'] = 'Basic realm="berth registry"';
    }
    return err;
  }

  /**
   * `GET /v2/_catalog`: who is asking, and which repositories they may see (those they may
   * pull). With token auth the request needs a token for `registry:catalog:*`, which the token
   * endpoint grants to authenticated users; with Basic auth, an authenticated user; open
   * registries list everything (or what the rules let anonymous clients pull).
   */
  async catalogAccess(req: IncomingMessage): Promise<{ user?: string; visible: (repo: string) => boolean }> {
    const header = req.headers.authorization ?? '';
    const token = this.settings.token;
    let user: string | undefined;
    if (token) {
      const claims = header.toLowerCase().startsWith('bearer ') ? verifyJwt(token.key, header.slice(7).trim()) : undefined;
      if (!claims || claims.iss !== token.issuer || claims.aud !== token.service) throw this.catalogChallenge('authentication required');
      const access = Array.isArray(claims.access) ? (claims.access as AccessScope[]) : [];
      if (!access.some((a) => a.type === 'registry' && a.name === 'catalog' && a.actions.includes('*'))) {
        throw this.catalogChallenge('token does not grant registry:catalog:*', true);
      }
      user = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
    } else {
      const basic = await this.basicUser(header);
      if (basic === null || (this.enabled && basic === undefined)) throw this.challenge({ actions: [] }, basic === null ? 'invalid username or password' : 'authentication required');
      user = basic;
      if (!this.enabled && !this.settings.rules) return { user, visible: () => true };
    }
    return { user, visible: (repo) => this.policy.allowed(user, repo, ['pull']).length === 1 };
  }

  private catalogChallenge(message: string, insufficientScope = false): RegistryError {
    const err = new RegistryError('UNAUTHORIZED', message);
    const token = this.settings.token as TokenSettings;
    const extra = insufficientScope ? ',error="insufficient_scope"' : '';
    err.headers['WWW-Authenticate'] = `Bearer realm="${this.realm}",service="${token.service}",scope="registry:catalog:*"${extra}`;
    return err;
  }

  /** The token endpoint: `GET /token?service=&scope=` with optional Basic credentials. */
  async issueToken(req: IncomingMessage, query: URLSearchParams): Promise<Record<string, unknown>> {
    const token = this.settings.token;
    if (!token) throw new RegistryError('UNSUPPORTED', 'this registry does not issue tokens');
    const user = await this.basicUser(req.headers.authorization ?? '');
    if (user === null) {
      const err = new RegistryError('UNAUTHORIZED', 'invalid username or password');
      err.headers['WWW-Authenticate'] = 'Basic realm="berth registry token"';
      throw err;
    }
    const service = query.get('service');
    if (service && service !== token.service) throw new RegistryError('DENIED', `unknown service ${service}`);
    const access = parseScopes(query.getAll('scope')).flatMap((s): AccessScope[] => {
      if (s.type === 'repository') return [{ type: s.type, name: s.name, actions: this.policy.allowed(user, s.name, s.actions) }];
      // The catalog, for any authenticated user; what it lists is filtered per user (catalogAccess).
      if (s.type === 'registry' && s.name === 'catalog' && s.actions.includes('*') && user !== undefined) return [{ type: s.type, name: s.name, actions: ['*'] }];
      return [];
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = token.expiresIn ?? 300;
    const jwt = signJwt(token.key, {
      iss: token.issuer,
      sub: user ?? '',
      aud: token.service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    });
    return { token: jwt, access_token: jwt, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() };
  }
}
