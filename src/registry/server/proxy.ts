import type { Digest } from '../../util/digest.js';

export interface UpstreamOptions {
  url: string;
  username?: string;
  password?: string;
}

/**
 * A minimal client for the pull-through cache: fetches manifests and blobs from an upstream
 * registry, answering its auth challenges (Basic, or the Docker Bearer token dance with the
 * configured credentials). Tokens are cached per scope until shortly before they expire.
 */
export class Upstream {
  private readonly base: string;
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  constructor(private readonly opts: UpstreamOptions) {
    this.base = opts.url.replace(/\/+$/, '');
  }

  private basic(): string | undefined {
    if (this.opts.username === undefined) return undefined;
    return `Basic ${Buffer.from(`${this.opts.username}:${this.opts.password ?? ''}`).toString('base64')}`;
  }

  private async request(path: string, init: { method: string; headers?: Record<string, string> }, scope: string): Promise<Response> {
    const cached = this.tokens.get(scope);
    const auth = cached && cached.expires > Date.now() ? `Bearer ${cached.token}` : this.basic();
    const headers = { ...init.headers, ...(auth ? { Authorization: auth } : {}) };
    let res = await fetch(`${this.base}${path}`, { method: init.method, headers });
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.body?.cancel();
    if (/^bearer/i.test(challenge)) {
      const token = await this.fetchToken(challenge, scope);
      res = await fetch(`${this.base}${path}`, { method: init.method, headers: { ...init.headers, Authorization: `Bearer ${token}` } });
    } else if (/^basic/i.test(challenge) && this.basic() && !auth) {
      res = await fetch(`${this.base}${path}`, { method: init.method, headers: { ...init.headers, Authorization: this.basic() as string } });
    }
    return res;
  }

  private async fetchToken(challenge: string, scope: string): Promise<string> {
    const params = new Map<string, string>();
    for (const m of challenge.matchAll(/(\w+)="([^"]*)"/g)) params.set((m[1] as string).toLowerCase(), m[2] as string);
    const realm = params.get('realm');
    if (!realm) throw new Error('upstream bearer challenge has no realm');
    const url = new URL(realm);
    const service = params.get('service');
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const basic = this.basic();
    const res = await fetch(url, { headers: basic ? { Authorization: basic } : {} });
    if (!res.ok) throw new Error(`upstream token endpoint answered ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error('upstream token response has no token');
    this.tokens.set(scope, { token, expires: Date.now() + Math.max(30, (body.expires_in ?? 60) - 30) * 1000 });
    return token;
  }

  /** A manifest by tag or digest, or undefined when upstream does not have it. */
  async manifest(repo: string, reference: string, accept: string): Promise<{ bytes: Buffer; mediaType: string } | undefined> {
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, { method: 'GET', headers: { Accept: accept } }, `repository:${repo}:pull`);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw new Error(`upstream manifest ${repo}:${reference} answered ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    return { bytes, mediaType: res.headers.get('content-type') ?? '' };
  }

  /** The blob's response (body unread), or undefined on 404. */
  async blob(repo: string, digest: Digest, method: 'GET' | 'HEAD'): Promise<Response | undefined> {
    const res = await this.request(`/v2/${repo}/blobs/${digest}`, { method }, `repository:${repo}:pull`);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`upstream blob ${repo}@${digest} answered ${res.status}`);
    }
    return res;
  }
}
