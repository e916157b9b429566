import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Digest, hexOf, isDigest } from '../../util/digest.js';
import { HashingFileWriter } from './hashing-writer.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
  /** When the blob was last written or re-committed; GC's grace period counts from here. */
  mtimeMs: number;
}

export class DigestMismatchError extends Error {
  constructor(
    readonly expected: Digest,
    readonly actual: Digest,
  ) {
    super(`content digest ${actual} does not match ${expected}`);
  }
}

export class SizeMismatchError extends Error {
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`content size ${actual} does not match the declared ${expected}`);
  }
}

/**
 * The content-addressed blob store: `root/blobs/sha256/<first 2 hex>/<hex>`. A file under a
 * digest name is always whole and correct, because every write goes to `root/tmp`, is hashed
 * while streaming, fsynced, verified and only then renamed into place. Two writers of the same
 * digest both rename identical bytes onto the same name, so the blob is stored once.
 */
export class BlobStore {
  readonly blobsDir: string;
  readonly tmpDir: string;
  /** Digests that GC is deleting right now: they read as absent so no one starts using them. */
  private readonly deleting = new Map<Digest, Promise<unknown>>();

  /** Told about each blob that did not exist before (for metrics). */
  onCreated?: (digest: Digest) => void;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.tmpDir = join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  pathOf(digest: Digest): string {
    const hex = hexOf(digest);
    return join(this.blobsDir, hex.slice(0, 2), hex);
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    if (this.deleting.has(digest)) return undefined;
    try {
      const st = await stat(this.pathOf(digest));
      if (this.deleting.has(digest)) return undefined;
      return { digest, size: st.size, mtimeMs: st.mtimeMs };
    } catch {
      return undefined;
    }
  }

  openRead(digest: Digest, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.pathOf(digest), { highWaterMark: 2 * 1024 * 1024, ...range });
  }

  /** Reads a small blob (a manifest) fully. */
  async readSmall(digest: Digest): Promise<Buffer | undefined> {
    try {
      const fh = await open(this.pathOf(digest), 'r');
      try {
        return await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch {
      return undefined;
    }
  }

  /** A fresh temporary path on the same filesystem as the blobs (so rename is atomic). */
  tempPath(): string {
    return join(this.tmpDir, randomUUID());
  }

  /**
   * Streams `source` into the store. When `expected` is given the content must hash to it;
   * when `expectedSize` is given the size must match. Returns the digest and size.
   */
  async ingest(source: Readable, opts: { expected?: Digest; expectedSize?: number } = {}): Promise<{ digest: Digest; size: number }> {
    const tmp = this.tempPath();
    const fh = await open(tmp, 'w');
    const hash = createHash('sha256');
    const writer = new HashingFileWriter(fh, hash);
    let committed = false;
    try {
      await pipeline(source, writer);
      await fh.sync();
      const digest: Digest = `sha256:${hash.digest('hex')}`;
      if (opts.expected && opts.expected !== digest) throw new DigestMismatchError(opts.expected, digest);
      if (opts.expectedSize !== undefined && opts.expectedSize !== writer.bytes) throw new SizeMismatchError(opts.expectedSize, writer.bytes);
      await fh.close().catch(() => undefined);
      await this.adopt(tmp, digest);
      committed = true;
      return { digest, size: writer.bytes };
    } finally {
      await fh.close().catch(() => undefined);
      if (!committed) await unlink(tmp).catch(() => undefined);
    }
  }

  /** Writes a small in-memory blob (a manifest) through the same crash-safe path. */
  async putSmall(data: Buffer, digest: Digest): Promise<void> {
    const tmp = this.tempPath();
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.adopt(tmp, digest);
  }

  /**
   * Moves a verified, fsynced file into place under its digest. If the blob already exists the
   * temp file is dropped and the blob's mtime refreshed, so GC's grace period starts again.
   */
  async adopt(tmpFile: string, digest: Digest): Promise<boolean> {
    const target = this.pathOf(digest);
    // If GC is unlinking this digest right now, let it finish before we put the blob back.
    await this.deleting.get(digest);
    const existing = await this.stat(digest);
    if (existing) {
      await unlink(tmpFile).catch(() => undefined);
      const now = new Date();
      await utimes(target, now, now).catch(() => undefined);
      return false;
    }
    const dir = join(target, '..');
    await mkdir(dir, { recursive: true });
    const now = new Date();
    await utimes(tmpFile, now, now); // an upload session's file may be old; GC's grace period counts from here
    await rename(tmpFile, target);
    // The file was fsynced by the caller; this makes the rename itself durable. One of each, at the end.
    await syncDir(dir);
    this.onCreated?.(digest);
    return true;
  }

  async *list(): AsyncGenerator<BlobInfo> {
    let prefixes: string[];
    try {
      prefixes = await readdir(this.blobsDir);
    } catch {
      return;
    }
    for (const prefix of prefixes) {
      let names: string[];
      try {
        names = await readdir(join(this.blobsDir, prefix));
      } catch {
        continue;
      }
      for (const hex of names) {
        const digest = `sha256:${hex}`;
        if (!isDigest(digest)) continue;
        try {
          const st = await stat(join(this.blobsDir, prefix, hex));
          yield { digest, size: st.size, mtimeMs: st.mtimeMs };
        } catch {
          // deleted meanwhile
        }
      }
    }
  }

  /**
   * Deletes a blob. `mayDelete` runs synchronously right before the digest is hidden, so a
   * caller (GC) can make its last check and hide the blob in the same tick.
   */
  async delete(digest: Digest, mayDelete: () => boolean = () => true): Promise<boolean> {
    if (this.deleting.has(digest) || !mayDelete()) return false;
    const unlinking = unlink(this.pathOf(digest)).then(
      () => true,
      () => false,
    );
    this.deleting.set(digest, unlinking);
    try {
      return await unlinking;
    } finally {
      this.deleting.delete(digest);
    }
  }
}

/** fsyncs a directory, so that a rename into it survives a crash. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
