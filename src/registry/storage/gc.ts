import type { Digest } from '../../util/digest.js';
import type { BlobStore } from './blob-store.js';
import type { ManifestRecord, RegistryMetadata } from './metadata.js';

export interface GcOptions {
  /** Blobs written, and untagged manifests pushed, less than this long ago are kept (ms). Default 10 min. */
  gracePeriodMs?: number;
  /** Also delete manifests that no tag (directly or through an index or subject) reaches. */
  deleteUntagged?: boolean;
  dryRun?: boolean;
}

export interface GcResult {
  deletedBlobs: Array<{ digest: Digest; size: number }>;
  deletedManifests: Array<{ repo: string; digest: Digest }>;
  bytesFreed: number;
  durationMs: number;
}

/**
 * Online mark and sweep. The mark reads the metadata DB in one synchronous pass; the sweep
 * walks the blob files. Work that races with a run is protected three ways:
 *  - anything written less than the grace period ago is never swept (uploads and pushes that
 *    are about to reference fresh blobs);
 *  - `protect()` is called by manifest PUTs and blob commits; while a run is active it records
 *    those digests and the sweep skips them (the "generation" of this run cannot touch them);
 *  - right before a blob is hidden and unlinked the sweep re-checks, in the same tick, that no
 *    manifest row references it now.
 */
export class GarbageCollector {
  private protectedDigests: Set<Digest> | undefined;
  /** Digests held by work in progress (a manifest PUT between its checks and its DB insert). */
  private readonly pins = new Map<Digest, number>();
  private current: Promise<GcResult> | undefined;
  runs = 0;
  totalBytesFreed = 0;

  constructor(
    private readonly blobs: BlobStore,
    private readonly meta: RegistryMetadata,
  ) {}

  /** Marks digests as in use by work that began now (a manifest PUT, a finished upload). */
  protect(digests: Iterable<Digest>): void {
    if (!this.protectedDigests) return;
    for (const d of digests) this.protectedDigests.add(d);
  }

  /**
   * Holds digests for the duration of some work; the sweep never deletes a pinned digest.
   * Returns the release function. Pins also count as protected for the current run.
   */
  pin(digests: Iterable<Digest>): () => void {
    const list = [...digests];
    for (const d of list) this.pins.set(d, (this.pins.get(d) ?? 0) + 1);
    this.protect(list);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const d of list) {
        const n = (this.pins.get(d) ?? 1) - 1;
        if (n <= 0) this.pins.delete(d);
        else this.pins.set(d, n);
      }
    };
  }

  /** Resolves when no run is active. */
  async idle(): Promise<void> {
    await this.current?.catch(() => undefined);
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  /** Runs a collection; a call during a run joins the running one. */
  run(opts: GcOptions = {}): Promise<GcResult> {
    if (!this.current) {
      this.protectedDigests = new Set();
      this.current = this.collect(opts).finally(() => {
        this.current = undefined;
        this.protectedDigests = undefined;
      });
    }
    return this.current;
  }

  private async collect(opts: GcOptions): Promise<GcResult> {
    const started = Date.now();
    const grace = opts.gracePeriodMs ?? 10 * 60_000;
    const cutoff = started - grace;
    const deletedManifests = this.markManifests(opts.deleteUntagged ?? false, cutoff, opts.dryRun ?? false);
    const marked = this.markBlobs();
    const deletedBlobs: GcResult['deletedBlobs'] = [];
    let bytesFreed = 0;
    for await (const blob of this.blobs.list()) {
      if (marked.has(blob.digest) || blob.mtimeMs > cutoff) continue;
      const mayDelete = (): boolean => !this.pins.has(blob.digest) && !this.protectedDigests?.has(blob.digest) && !this.meta.isReferenced(blob.digest);
      if (opts.dryRun) {
        if (mayDelete()) deletedBlobs.push({ digest: blob.digest, size: blob.size });
        continue;
      }
      const deleted = await this.blobs.delete(blob.digest, () => {
        if (!mayDelete()) return false;
        this.meta.dropBlob(blob.digest);
        return true;
      });
      if (deleted) {
        deletedBlobs.push({ digest: blob.digest, size: blob.size });
        bytesFreed += blob.size;
      }
    }
    if (opts.dryRun) bytesFreed = deletedBlobs.reduce((n, b) => n + b.size, 0);
    this.runs++;
    if (!opts.dryRun) this.totalBytesFreed += bytesFreed;
    return { deletedBlobs, deletedManifests, bytesFreed, durationMs: Date.now() - started };
  }

  /** Deletes untagged manifest rows when asked; returns what was (or would be) deleted. */
  private markManifests(deleteUntagged: boolean, cutoff: number, dryRun: boolean): GcResult['deletedManifests'] {
    if (!deleteUntagged) return [];
    const manifests = this.meta.allManifests();
    const key = (repo: string, d: string): string => `${repo}@${d}`;
    const byKey = new Map<string, ManifestRecord>(manifests.map((m) => [key(m.repo, m.digest), m]));
    const children = new Map<string, string[]>();
    for (const r of this.meta.allRefs()) {
      if (r.kind !== 'manifest') continue;
      const k = key(r.repo, r.digest);
      const list = children.get(k) ?? [];
      list.push(key(r.repo, r.child));
      children.set(k, list);
    }
    const referrersOf = new Map<string, string[]>();
    for (const m of manifests) {
      if (!m.subject) continue;
      const k = key(m.repo, m.subject);
      const list = referrersOf.get(k) ?? [];
      list.push(key(m.repo, m.digest));
      referrersOf.set(k, list);
    }
    const keep = new Set<string>();
    const stack: string[] = this.meta.allTags().map((t) => key(t.repo, t.digest));
    for (const m of manifests) if (m.createdAt > cutoff || this.protectedDigests?.has(m.digest)) stack.push(key(m.repo, m.digest));
    while (stack.length > 0) {
      const k = stack.pop() as string;
      if (keep.has(k)) continue;
      keep.add(k);
      for (const c of children.get(k) ?? []) stack.push(c);
      for (const r of referrersOf.get(k) ?? []) stack.push(r);
    }
    const doomed: GcResult['deletedManifests'] = [];
    for (const [k, m] of byKey) {
      if (keep.has(k)) continue;
      if (!dryRun) {
        // A tag may have been pushed since we read them: re-check in the same tick as the delete.
        if (this.protectedDigests?.has(m.digest) || this.pins.has(m.digest)) continue;
        const tagged = this.meta.db.prepare('SELECT 1 FROM tags WHERE repo = ? AND digest = ?').get(m.repo, m.digest);
        if (tagged) continue;
        this.meta.deleteManifest(m.repo, m.digest);
      }
      doomed.push({ repo: m.repo, digest: m.digest });
    }
    return doomed;
  }

  /** Every digest that a remaining manifest is, or references. */
  private markBlobs(): Set<Digest> {
    const marked = new Set<Digest>();
    for (const m of this.meta.allManifests()) marked.add(m.digest);
    for (const r of this.meta.allRefs()) marked.add(r.child);
    return marked;
  }
}
