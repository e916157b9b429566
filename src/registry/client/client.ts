import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDigest, sha256, type Digest } from '../../util/digest.js';
import { UnauthorizedError, errorMessage } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { basicHeader, parseChallenge, TokenCache, type Challenge, type Credentials } from './auth.js';
import { endpointsFor, type Endpoint, type RegistrySettings } from './endpoints.js';
import { RegistryContentError, RegistryResponseError, RegistryUnreachableError } from './errors.js';
import { discard, readSmallBody, send, sendFollowing } from './transport.js';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export type RepositoryAction = 'pull' | 'push';

export interface FetchedManifest {
  body: Buffer;
  mediaType: string;
  digest: Digest;
}

interface PingResult {
  endpoint: Endpoint;
  /** Absent when the registry needs no authentication. */
  challenge?: Challenge;
}

/**
 * The registry side of pull, push and login: finds a working endpoint for a host (HTTPS, or
 * plain HTTP for insecure registries), learns its auth scheme from the `/v2/` challenge and
 * hands out per-repository clients. Bearer tokens are cached per scope across operations.
 */
export class RegistryClient {
  private readonly tokens = new TokenCache();
  private readonly pings = new Map<string, PingResult>();

  constructor(
    private readonly settings: RegistrySettings,
    private readonly log?: Logger,
  ) {}

  /** A client for one repository (`team/bb` on `127.0.0.1:5000`) with the given rights. */
  async repository(opts: { host: string; path: string; credentials?: Credentials; actions: RepositoryAction[] }): Promise<RepositoryClient> {
    const ping = await this.ping(opts.host, opts.actions.includes('push') ? 'push' : 'pull');
    return new RepositoryClient({
      host: opts.host,
      path: opts.path,
      endpoint: ping.endpoint,
      challenge: ping.challenge,
      credentials: opts.credentials ?? {},
      scopes: [`repository:${opts.path}:${opts.actions.join(',')}`],
      tokens: this.tokens,
      log: this.log,
    });
  }

  /**
   * Checks credentials the way `docker login` does: answer the `/v2/` challenge (Basic, or a
   * token fetched with Basic credentials). Throws UnauthorizedError when they are refused.
   */
  async login(host: string, credentials: Credentials): Promise<void> {
    const ping = await this.ping(host, 'login', true);
    if (!ping.challenge) return;
    const url = new URL('/v2/', ping.endpoint.base);
    let header: string | undefined;
    if (ping.challenge.scheme === 'basic') header = basicHeader(credentials);
    else {
      try {
        header = await this.tokens.token({ challenge: ping.challenge, scopes: [], credentials, verifyTls: !ping.endpoint.insecure, fresh: true });
      } catch (err) {
        if (err instanceof RegistryResponseError && (err.httpStatus === 401 || err.httpStatus === 403)) throw new UnauthorizedError(err.message);
        throw err;
      }
    }
    const res = await send({ method: 'GET', url, headers: header ? { Authorization: header } : {}, verifyTls: !ping.endpoint.insecure });
    discard(res);
    if (res.statusCode === 200) return;
    throw new UnauthorizedError(`login attempt to ${url.href} failed with status: ${res.statusCode} ${res.statusMessage ?? ''}`.trim());
  }

  /** Repository names from `/v2/_catalog` (registries that offer it). */
  async catalog(host: string, credentials: Credentials, limit = 1000): Promise<string[]> {
    const ping = await this.ping(host, 'pull');
    const client = new RepositoryClient({
      host,
      path: '',
      endpoint: ping.endpoint,
      challenge: ping.challenge,
      credentials,
      scopes: ['registry:catalog:*'],
      tokens: this.tokens,
      log: this.log,
    });
    const res = await client.request('GET', `/v2/_catalog?n=${limit}`);
    const body = JSON.parse((await readSmallBody(res)).toString('utf8')) as { repositories?: string[] };
    return body.repositories ?? [];
  }

  /** `GET /v2/` on each candidate endpoint until one answers; remembered per host. */
  private async ping(host: string, purpose: 'pull' | 'push' | 'login', fresh = false): Promise<PingResult> {
    const key = `${host} ${purpose}`;
    const known = this.pings.get(key);
    if (known && !fresh) return known;
    let lastError: unknown;
    for (const endpoint of endpointsFor(host, this.settings, purpose)) {
      const url = new URL('/v2/', endpoint.base);
      try {
        const res = await send({ method: 'GET', url, verifyTls: !endpoint.insecure });
        discard(res);
        const status = res.statusCode ?? 0;
        if (status === 401) {
          const challenge = parseChallenge(res.headers['www-authenticate']);
          const result = { endpoint, challenge: challenge ?? { scheme: 'basic' as const, params: {} } };
          this.pings.set(key, result);
          return result;
        }
        if (status < 500 && status !== 404) {
          const result = { endpoint };
          this.pings.set(key, result);
          return result;
        }
        lastError = new RegistryUnreachableError(`${url.href} answered ${status} ${res.statusMessage ?? ''}: not a registry v2 API`);
      } catch (err) {
        lastError = err;
        this.log?.debug('registry endpoint unreachable', { url: url.href, err: errorMessage(err) });
      }
    }
    throw lastError instanceof Error ? lastError : new RegistryUnreachableError(`no endpoint of ${host} answered`);
  }

  /** Forgets what was learnt about a host (after a connection failure). */
  forget(host: string): void {
    for (const k of [...this.pings.keys()]) if (k.startsWith(`${host} `)) this.pings.delete(k);
  }
}

interface RepositoryClientInit {
  host: string;
  path: string;
  endpoint: Endpoint;
  challenge?: Challenge;
  credentials: Credentials;
  scopes: string[];
  tokens: TokenCache;
  log?: Logger;
}

type BodySource = () => Buffer | Readable | undefined;

/** The distribution API of one repository: manifests, blobs, uploads. */
export class RepositoryClient {
  readonly host: string;
  readonly path: string;
  readonly endpoint: Endpoint;
  private challenge?: Challenge;
  private readonly credentials: Credentials;
  private readonly scopes: string[];
  private readonly tokens: TokenCache;
  private readonly log?: Logger;
  private authorization?: string;

  constructor(init: RepositoryClientInit) {
    this.host = init.host;
    this.path = init.path;
    this.endpoint = init.endpoint;
    this.challenge = init.challenge;
    this.credentials = init.credentials;
    this.scopes = [...init.scopes];
    this.tokens = init.tokens;
    this.log = init.log;
  }

  /** Asks for pull rights on another repository too (cross-repository mount). */
  addScope(scope: string): void {
    if (!this.scopes.includes(scope)) {
      this.scopes.push(scope);
      this.authorization = undefined;
    }
  }

  private get verifyTls(): boolean {
    return !this.endpoint.insecure;
  }

  private async authorize(fresh: boolean): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.authorization && !fresh) return this.authorization;
    if (this.challenge.scheme === 'basic') this.authorization = basicHeader(this.credentials);
    else this.authorization = await this.tokens.token({ challenge: this.challenge, scopes: this.scopes, credentials: this.credentials, verifyTls: this.verifyTls, fresh });
    return this.authorization;
  }

  /**
   * Sends a request with authorization; a 401 renews it once (new challenge or expired token).
   * Statuses >= 400 become RegistryResponseError unless listed in `accept`.
   */
  async request(method: string, pathOrUrl: string | URL, opts: { headers?: Record<string, string>; body?: BodySource; accept?: number[] } = {}): Promise<IncomingMessage> {
    const url = typeof pathOrUrl === 'string' ? new URL(pathOrUrl, this.endpoint.base) : pathOrUrl;
    let res: IncomingMessage | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const auth = await this.authorize(attempt > 0);
      const headers = { ...opts.headers, ...(auth ? { Authorization: auth } : {}) };
      const req = { method, url, headers, body: opts.body?.(), verifyTls: this.verifyTls };
      res = method === 'GET' || method === 'HEAD' ? (await sendFollowing(req)).res : await send(req);
      if (res.statusCode !== 401 || attempt > 0) break;
      const challenge = parseChallenge(res.headers['www-authenticate']);
      discard(res);
      if (!challenge) break;
      this.challenge = challenge;
      if (challenge.scheme === 'bearer' && challenge.params.scope) for (const s of challenge.params.scope.split(' ')) this.addScope(s);
      if (challenge.scheme === 'basic' && !basicHeader(this.credentials)) break;
    }
    const status = res!.statusCode ?? 500;
    if (status >= 400 && !(opts.accept ?? []).includes(status)) {
      const body = method === 'HEAD' ? '' : (await readSmallBody(res!).catch(() => Buffer.alloc(0))).toString('utf8');
      if (method === 'HEAD') discard(res!);
      throw RegistryResponseError.fromBody(status, res!.statusMessage ?? '', body);
    }
    return res!;
  }

  /** GET a manifest or index by tag or digest, verified against the digest when one was asked for. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const res = await this.request('GET', `/v2/${this.path}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT } });
    const body = await readSmallBody(res, 4 * 1024 * 1024);
    const digest = sha256(body);
    if (isDigest(reference) && reference !== digest) throw new RegistryContentError(`manifest verification failed for digest ${reference}: the registry sent content with digest ${digest}`);
    const header = res.headers['docker-content-digest'];
    if (typeof header === 'string' && isDigest(header) && header !== digest) {
      throw new RegistryContentError(`manifest verification failed: the registry says ${header}, the content is ${digest}`);
    }
    let mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { mediaType?: string; manifests?: unknown };
      if (parsed.mediaType) mediaType = parsed.mediaType;
      else if (!mediaType || mediaType === 'application/json') mediaType = Array.isArray(parsed.manifests) ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json';
    } catch {
      throw new RegistryContentError(`the manifest for ${this.path}:${reference} is not valid JSON`);
    }
    return { body, mediaType, digest };
  }

  /** Size of a blob when the registry has it, undefined otherwise. */
  async statBlob(digest: Digest): Promise<number | undefined> {
    const res = await this.request('HEAD', `/v2/${this.path}/blobs/${digest}`, { accept: [404] });
    discard(res);
    if (res.statusCode === 404) return undefined;
    return Number(res.headers['content-length'] ?? 0);
  }

  /** A small blob (config) read whole and verified. */
  async fetchBlob(digest: Digest, maxSize = 16 * 1024 * 1024): Promise<Buffer> {
    const res = await this.request('GET', `/v2/${this.path}/blobs/${digest}`);
    const body = await readSmallBody(res, maxSize);
    const actual = sha256(body);
    if (actual !== digest) throw new RegistryContentError(`digest mismatch for blob ${digest}: the registry sent content with digest ${actual}`);
    return body;
  }

  /**
   * The bytes of a blob as one stream. A dropped connection is resumed with a Range request
   * from where it stopped (or re-read and skipped when the server ignores ranges). The caller
   * verifies the digest while consuming.
   */
  blobStream(digest: Digest, opts: { size: number; onBytes?: (received: number) => void; retries?: number }): Readable {
    const retries = opts.retries ?? 5;
    const path = `/v2/${this.path}/blobs/${digest}`;
    const self = this;
    async function* chunks(): AsyncGenerator<Buffer> {
      let received = 0;
      let failures = 0;
      const retryOrThrow = async (err: unknown): Promise<void> => {
        if (failures++ >= retries) throw err;
        self.log?.warn('blob download interrupted; resuming', { digest, received, err: errorMessage(err) });
        await sleep(Math.min(100 * 2 ** failures, 2000));
      };
      for (;;) {
        let res: IncomingMessage;
        try {
          res = await self.request('GET', path, { headers: received > 0 ? { Range: `bytes=${received}-` } : {} });
        } catch (err) {
          if (!(err instanceof RegistryUnreachableError)) throw err;
          await retryOrThrow(err);
          continue;
        }
        let skip = received > 0 && res.statusCode !== 206 ? received : 0;
        try {
          for await (const raw of res as AsyncIterable<Buffer>) {
            let chunk = raw;
            if (skip > 0) {
              if (chunk.length <= skip) {
                skip -= chunk.length;
                continue;
              }
              chunk = chunk.subarray(skip);
              skip = 0;
            }
            received += chunk.length;
            if (received > opts.size) throw new RegistryContentError(`blob ${digest} is larger than the ${opts.size} bytes its descriptor says`);
            opts.onBytes?.(received);
            yield chunk;
          }
        } catch (err) {
          if (err instanceof RegistryContentError) throw err;
          await retryOrThrow(err);
          continue;
        }
        if (received >= opts.size) return;
        await retryOrThrow(new RegistryUnreachableError(`connection closed after ${received} of ${opts.size} bytes of ${digest}`));
      }
    }
    return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 << 20 });
  }

  /**
   * Cross-repository mount: `POST uploads/?mount=&from=`. Returns true when mounted; otherwise
   * the upload session the registry opened instead (to be used for a normal upload).
   */
  async mountBlob(digest: Digest, from: string): Promise<{ mounted: true } | { mounted: false; location: URL }> {
    this.addScope(`repository:${from}:pull`);
    const res = await this.request('POST', `/v2/${this.path}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`);
    discard(res);
    if (res.statusCode === 201) return { mounted: true };
    return { mounted: false, location: this.location(res) };
  }

  async startUpload(): Promise<URL> {
    const res = await this.request('POST', `/v2/${this.path}/blobs/uploads/`);
    discard(res);
    return this.location(res);
  }

  /** Finishes an upload session with the whole blob in one PUT (streamed). */
  async putBlob(location: URL, digest: Digest, size: number, body: () => Readable): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const res = await this.request('PUT', url, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) }, body });
    discard(res);
    const got = res.headers['docker-content-digest'];
    if (typeof got === 'string' && isDigest(got) && got !== digest) throw new RegistryContentError(`the registry stored ${digest} as ${got}`);
  }

  /** PUT a manifest under a tag (or its digest); returns the digest the registry reports. */
  async putManifest(reference: string, mediaType: string, body: Buffer): Promise<Digest> {
    const res = await this.request('PUT', `/v2/${this.path}/manifests/${reference}`, { headers: { 'Content-Type': mediaType }, body: () => body });
    discard(res);
    const got = res.headers['docker-content-digest'];
    const digest = sha256(body);
    if (typeof got === 'string' && isDigest(got) && got !== digest) throw new RegistryContentError(`the registry stored the manifest as ${got}, expected ${digest}`);
    return digest;
  }

  private location(res: IncomingMessage): URL {
    const loc = res.headers.location;
    if (!loc) throw new RegistryResponseError(res.statusCode ?? 500, [], `the registry opened an upload without a Location header (status ${res.statusCode})`);
    return new URL(loc, this.endpoint.base);
  }
}
