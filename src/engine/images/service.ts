import type { Readable } from 'node:stream';
import type { ContentStore } from '../../store/content.js';
import type { Digest } from '../../util/digest.js';
import { ConflictError, InvalidParameterError, NotFoundError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { RWLock } from '../../util/rwlock.js';
import type { ImageRecord, ImageStore } from './image-store.js';
import { chainIds, type LayerUnpacker } from './layers.js';
import type { ImageConfig, Manifest } from './oci.js';
import { familiarName, formatReference, parseReference, parseTaggedReference, repositoryName, validateTag } from './reference.js';

/** Who uses an image: answered by the container service. */
export type ImageUsers = (imageId: string) => { id: string; running: boolean }[];

export interface ImageEvent {
  action: 'import' | 'load' | 'tag' | 'untag' | 'delete' | 'save' | 'pull' | 'push';
  id: string;
  name?: string;
}

export interface ImageServiceDeps {
  images: ImageStore;
  content: ContentStore;
  layers: LayerUnpacker;
  log: Logger;
  /** Set once the container service exists. */
  imageUsers?: ImageUsers;
  onEvent?: (e: ImageEvent) => void;
}

export interface ResolvedImage {
  record: ImageRecord;
  manifest: Manifest;
  config: ImageConfig;
}

/**
 * Local images: the metadata rows (ImageStore), the blobs (ContentStore) and the unpacked
 * layers (LayerUnpacker) kept consistent. Operations that store blobs run under the shared
 * side of `gcLock`; garbage collection runs under the exclusive side.
 */
export class ImageService {
  readonly gcLock = new RWLock();

  constructor(readonly deps: ImageServiceDeps) {}

  get images(): ImageStore {
    return this.deps.images;
  }
  get content(): ContentStore {
    return this.deps.content;
  }

  emit(e: ImageEvent): void {
    this.deps.onEvent?.(e);
  }

  async load(nameOrId: string): Promise<ResolvedImage> {
    const record = this.images.mustResolve(nameOrId);
    return this.loadRecord(record);
  }

  async loadRecord(record: ImageRecord): Promise<ResolvedImage> {
    const manifest = await this.content.readJSON<Manifest>(record.manifestDigest);
    const config = await this.content.readJSON<ImageConfig>(record.id);
    return { record, manifest, config };
  }

  /** Chain IDs of an image's layers, bottom first. */
  static chainIdsOf(config: ImageConfig): Digest[] {
    return chainIds(config.rootfs.diff_ids);
  }

  /**
   * Stores a complete image whose blobs are already in the content store and whose layers are
   * unpacked: writes the rows and tags in one transaction.
   */
  register(opts: { config: ImageConfig; configDigest: Digest; manifestDigest: Digest; tags: string[]; parent?: Digest; repoDigests?: { name: string; digest: string }[] }): ImageRecord {
    const ids = chainIds(opts.config.rootfs.diff_ids);
    for (const c of ids) if (!this.deps.layers.hasChain(c)) throw new InvalidParameterError(`layer ${c} is not unpacked`);
    const size = ids.reduce((sum, c) => sum + this.deps.layers.layerSize(c), 0);
    const rec: ImageRecord = {
      id: opts.configDigest,
      manifestDigest: opts.manifestDigest,
      created: opts.config.created ?? new Date(0).toISOString(),
      size,
      labels: opts.config.config?.Labels ?? {},
      parent: opts.parent,
      addedAt: Date.now(),
    };
    const normalizedTags = opts.tags.map((t) => formatReference(parseTaggedReference(t)));
    const replaced: string[] = [];
    for (const t of normalizedTags) {
      const prev = this.images.resolve(t);
      if (prev && prev.id !== rec.id) replaced.push(prev.id);
    }
    this.images.add(rec, normalizedTags, opts.repoDigests);
    for (const t of normalizedTags) this.emit({ action: 'tag', id: rec.id, name: familiarName(t) });
    return this.images.get(rec.id)!;
  }

  /** `docker tag SOURCE TARGET`. */
  tag(source: string, repo: string, tag?: string): void {
    const img = this.images.mustResolve(source);
    if (repo === '') throw new InvalidParameterError('repository name must have at least one component');
    const ref = parseReference(repo);
    if (ref.digest) throw new InvalidParameterError('refusing to create a tag with a digest reference');
    if (tag) {
      validateTag(tag);
      if (ref.tag) throw new InvalidParameterError(`invalid reference format: "${repo}:${tag}"`);
      ref.tag = tag;
    }
    ref.tag ??= 'latest';
    const name = formatReference(ref);
    this.images.setTag(name, img.id);
    this.emit({ action: 'tag', id: img.id, name: familiarName(name) });
  }

  /**
   * `docker rmi`, with Docker's untag-versus-delete rules:
   * - by name: remove that tag; delete the image only when no other name points at it;
   * - by ID: needs -f when several repositories name it; never while a running container uses it;
   * - a stopped container's image needs -f (its tags go; the image stays for the container).
   */
  async remove(nameOrId: string, opts: { force: boolean; prune: boolean; deferGc?: boolean }): Promise<Record<string, string>[]> {
    const img = this.images.resolve(nameOrId);
    if (!img) throw new NotFoundError(`No such image: ${nameOrId}`);
    const records: Record<string, string>[] = [];
    const users = this.deps.imageUsers?.(img.id) ?? [];
    const running = users.find((u) => u.running);
    const stopped = users.find((u) => !u.running);
    const short = img.id.slice(7, 19);
    const byId = isIdReference(nameOrId, img.id);

    if (!byId) {
      const ref = parseReference(nameOrId);
      const tags = this.images.tagsOf(img.id);
      const digests = this.images.repoDigestsOf(img.id);
      let removed: string;
      if (ref.digest) {
        removed = `${repositoryName(ref)}@${ref.digest}`;
      } else {
        removed = formatReference(parseTaggedReference(nameOrId));
      }
      // Docker: removing the last tag of a repository also drops that repository's digest
      // references, so `rmi busybox` of a pulled image does not leave it behind as <none>.
      const repo = repositoryName(ref);
      const otherTagsInRepo = tags.filter((t) => t !== removed && repositoryName(parseReference(t)) === repo);
      const sameRepoDigests = ref.digest || otherTagsInRepo.length > 0 ? [] : digests.filter((d) => d.startsWith(`${repo}@`));
      const remaining = [...tags, ...digests].filter((r) => r !== removed && !sameRepoDigests.includes(r));
      if (remaining.length === 0 && users.length > 0 && !opts.force) {
        const u = running ?? stopped!;
        throw new ConflictError(`conflict: unable to remove repository reference "${nameOrId}" (must force) - container ${u.id.slice(0, 12)} is using its referenced image ${short}`);
      }
      for (const r of [removed, ...sameRepoDigests]) {
        this.untagOne(r, r.includes('@'));
        records.push({ Untagged: familiarName(r) });
        this.emit({ action: 'untag', id: img.id, name: familiarName(r) });
      }
      if (remaining.length > 0 || users.length > 0) return records;
    } else {
      if (running) throw new ConflictError(`conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`);
      const tags = this.images.tagsOf(img.id);
      const repos = new Set(tags.map((t) => repositoryName(parseReference(t))));
      if (repos.size > 1 && !opts.force) throw new ConflictError(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
      if (stopped && !opts.force) throw new ConflictError(`conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${stopped.id.slice(0, 12)}`);
      for (const t of tags) {
        this.images.removeTag(t);
        records.push({ Untagged: familiarName(t) });
        this.emit({ action: 'untag', id: img.id, name: familiarName(t) });
      }
      for (const d of this.images.repoDigestsOf(img.id)) {
        const at = d.lastIndexOf('@');
        this.images.removeRepoDigest(d.slice(0, at), d.slice(at + 1));
        records.push({ Untagged: familiarName(d) });
      }
      if (stopped) return records;
    }
    if (this.images.childrenOf(img.id).length > 0) {
      if (byId && !opts.force) throw new ConflictError(`conflict: unable to delete ${short} (cannot be forced) - image has dependent child images`);
      return records;
    }
    this.deleteWithParents(img, opts.prune, records);
    if (!opts.deferGc) await this.gc();
    return records;
  }

  private untagOne(name: string, isDigest: boolean): void {
    if (isDigest) {
      const at = name.lastIndexOf('@');
      this.images.removeRepoDigest(name.slice(0, at), name.slice(at + 1));
    } else {
      this.images.removeTag(name);
    }
  }

  private deleteWithParents(img: ImageRecord, prune: boolean, records: Record<string, string>[]): void {
    let current: ImageRecord | undefined = img;
    while (current) {
      const parentId: Digest | undefined = current.parent;
      this.images.remove(current.id);
      records.push({ Deleted: current.id });
      this.emit({ action: 'delete', id: current.id });
      if (!prune || !parentId) break;
      const parent = this.images.get(parentId);
      if (!parent || this.images.tagsOf(parent.id).length > 0 || this.images.childrenOf(parent.id).length > 0) break;
      if ((this.deps.imageUsers?.(parent.id) ?? []).length > 0) break;
      current = parent;
    }
  }

  /** Set by the daemon: removes blobs and snapshots nothing references; returns bytes freed. */
  gcHook?: () => Promise<number>;

  async gc(): Promise<number> {
    return this.gcHook ? this.gcHook() : 0;
  }

  /** Shared-side wrapper for operations that add blobs. */
  async writing<T>(fn: () => Promise<T>): Promise<T> {
    return this.gcLock.shared(fn);
  }

  /** Reads the config blob of an image for the container service and builder. */
  async configOf(nameOrId: string): Promise<{ record: ImageRecord; config: ImageConfig }> {
    const record = this.images.mustResolve(nameOrId);
    return { record, config: await this.content.readJSON<ImageConfig>(record.id) };
  }

  /** The layer blobs' stream, for save and push. */
  async blob(digest: Digest): Promise<Readable> {
    return this.content.read(digest);
  }
}

/** Whether the user named the image by (a prefix of) its ID rather than by a reference. */
export function isIdReference(input: string, id: string): boolean {
  const hex = input.replace(/^sha256:/, '');
  return /^[a-f0-9]+$/.test(hex) && hex.length >= 4 && id.slice(7).startsWith(hex) && !input.includes('/');
}
