import { RegistryClient, registryHost, type Credentials, type RegistrySettings } from '../../registry/client/index.js';
import type { DB } from '../../store/db.js';
import { InvalidParameterError, errorMessage } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { ImageConfig, Index, Manifest, Platform } from '../images/oci.js';
import { parseReference } from '../images/reference.js';
import type { ImageService } from '../images/service.js';
import type { ProgressSink } from './progress.js';
import { pullImage, pullReference, translatePullError, type PullResult } from './pull.js';
import { pushImage, type PushedTag } from './push.js';
import { BlobSources } from './sources.js';
import type { WantedPlatform } from './platform.js';

export interface DistributionServiceDeps {
  images: ImageService;
  db: DB;
  settings: RegistrySettings;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  log: Logger;
}

/** The docker CLI's auth config, as sent base64url-encoded in X-Registry-Auth. */
interface AuthConfigJSON {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export function credentialsFromAuthConfig(cfg: AuthConfigJSON): Credentials {
  let { username, password } = cfg;
  if (!username && cfg.auth) {
    const decoded = Buffer.from(cfg.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  }
  return { username: username || undefined, password: password || undefined, identityToken: cfg.identitytoken || undefined, registryToken: cfg.registrytoken || undefined };
}

/** Decodes X-Registry-Auth (base64url or base64 JSON); absent or `{}` means anonymous. */
export function credentialsFromHeader(header: string | string[] | undefined): Credentials | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  let cfg: AuthConfigJSON;
  try {
    cfg = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as AuthConfigJSON;
  } catch {
    throw new InvalidParameterError('invalid X-Registry-Auth header: expected base64url-encoded JSON');
  }
  return credentialsFromAuthConfig(cfg ?? {});
}

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: Platform[];
}

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

/**
 * The engine's registry side: pull and push into the image store, login checks, remote
 * inspect and catalog search. Progress goes to a sink; the API layer adapts it to responses.
 */
export class DistributionService {
  readonly registry: RegistryClient;
  private readonly sources: BlobSources;

  constructor(private readonly deps: DistributionServiceDeps) {
    this.registry = new RegistryClient(deps.settings, deps.log);
    this.sources = new BlobSources(deps.db);
  }

  pull(opts: { image: string; tag?: string; platform?: WantedPlatform; credentials?: Credentials; progress: ProgressSink }): Promise<PullResult> {
    const { images, maxConcurrentDownloads, log } = this.deps;
    return pullImage({ images, registry: this.registry, sources: this.sources, maxConcurrentDownloads, log }, opts);
  }

  push(opts: { image: string; tag?: string; credentials?: Credentials; progress: ProgressSink }): Promise<PushedTag[]> {
    const { images, maxConcurrentUploads, log } = this.deps;
    return pushImage({ images, registry: this.registry, sources: this.sources, maxConcurrentUploads, log }, opts);
  }

  /** `POST /auth`: checks the credentials against the registry's `/v2/` challenge. */
  async login(cfg: AuthConfigJSON): Promise<{ Status: string; IdentityToken: string }> {
    const host = registryHost(cfg.serveraddress ?? '');
    await this.registry.login(host, credentialsFromAuthConfig(cfg));
    return { Status: 'Login Succeeded', IdentityToken: '' };
  }

  /** `GET /distribution/{name}/json`: the descriptor and platforms, without pulling. */
  async inspect(name: string, credentials: Credentials | undefined): Promise<DistributionInspect> {
    const ref = pullReference(name);
    try {
      const repo = await this.registry.repository({ host: ref.domain, path: ref.path, credentials, actions: ['pull'] });
      const m = await repo.getManifest(ref.digest ?? ref.tag!);
      const doc = JSON.parse(m.body.toString('utf8')) as Manifest & Index;
      let platforms: Platform[];
      if (Array.isArray(doc.manifests)) platforms = doc.manifests.flatMap((d) => (d.platform && d.platform.os !== 'unknown' ? [d.platform] : []));
      else {
        const config = JSON.parse((await repo.fetchBlob(doc.config.digest)).toString('utf8')) as ImageConfig;
        platforms = [{ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }];
      }
      return { Descriptor: { mediaType: m.mediaType, digest: m.digest, size: m.body.length }, Platforms: platforms };
    } catch (err) {
      throw translatePullError(err, ref);
    }
  }

  /**
   * `GET /images/search`: a `REGISTRY/TERM` searches that registry's v2 catalog by substring.
   * Docker Hub's search API is not available to berthd.
   */
  async search(term: string, limit: number, credentials: Credentials | undefined): Promise<SearchResult[]> {
    const slash = term.indexOf('/');
    const first = slash > 0 ? term.slice(0, slash) : '';
    const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
    if (!isHost) {
      throw new InvalidParameterError(`searching Docker Hub is not supported by berthd: search a registry's catalog with REGISTRY/TERM (e.g. 127.0.0.1:5000/${term})`);
    }
    const host = first;
    const needle = term.slice(slash + 1).toLowerCase();
    parseReference(`${host}/x`);
    const names = await this.registry.catalog(host, credentials ?? {});
    return names
      .filter((n) => n.toLowerCase().includes(needle))
      .slice(0, limit)
      .map((n) => ({ name: `${host}/${n}`, description: '', star_count: 0, is_official: false, is_automated: false }));
  }

  /** Removes whatever a failed pull stored (nothing references it). */
  async sweep(): Promise<void> {
    try {
      await this.deps.images.gc();
    } catch (err) {
      this.deps.log.warn('gc after failed pull failed', { err: errorMessage(err) });
    }
  }
}
