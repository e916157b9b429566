import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hexOf, isDigest, type Digest } from '../util/digest.js';
import { InvalidParameterError, NotFoundError } from '../util/errors.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/**
 * The content store: every blob (layer, config, manifest, index) stored once under its
 * sha256 digest in `root/blobs/sha256/<hex>`.
 *
 * Writes stream into `root/ingest/` while being hashed, are fsynced, checked against the
 * expected digest and only then renamed into place, so a file under a digest name is always
 * whole and correct: a crash mid-write leaves only an ingest file, which `cleanupIngest`
 * removes on the next start.
 */
export class ContentStore {
  private readonly blobsDir: string;
  private readonly ingestDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
    await this.cleanupIngest();
  }

  path(digest: Digest): string {
    return join(this.blobsDir, hexOf(digest));
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  /** A stream of the blob's bytes; throws NotFoundError if it is absent. */
  async read(digest: Digest, range?: { start: number; end?: number }): Promise<ReadStream> {
    if (!(await this.has(digest))) throw new NotFoundError(`blob ${digest} not found`);
    return createReadStream(this.path(digest), { ...range, highWaterMark: 1 << 20 });
  }

  async readBuffer(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`blob ${digest} not found`);
      throw err;
    }
  }

  async readJSON<T>(digest: Digest): Promise<T> {
    return JSON.parse((await this.readBuffer(digest)).toString('utf8')) as T;
  }

  /**
   * Streams `source` into the store. If `expected` is given, a mismatch is an error and
   * nothing becomes visible. Returns the digest and size actually written.
   */
  async ingest(source: Readable, expected?: { digest?: Digest; size?: number }): Promise<BlobInfo> {
    const tmp = join(this.ingestDir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(source, tap, createWriteStream(tmp, { highWaterMark: 1 << 20 }));
      const digest = `sha256:${hash.digest('hex')}` as Digest;
      if (expected?.digest && expected.digest !== digest) {
        throw new InvalidParameterError(`digest mismatch: expected ${expected.digest}, got ${digest}`);
      }
      if (expected?.size !== undefined && expected.size !== size) {
        throw new InvalidParameterError(`size mismatch for ${digest}: expected ${expected.size} bytes, got ${size}`);
      }
      await this.commit(tmp, digest);
      return { digest, size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async writeBuffer(data: Buffer | string, expected?: Digest): Promise<BlobInfo> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = `sha256:${createHash('sha256').update(buf).digest('hex')}` as Digest;
    if (expected && expected !== digest) throw new InvalidParameterError(`digest mismatch: expected ${expected}, got ${digest}`);
    if (await this.has(digest)) return { digest, size: buf.length };
    const tmp = join(this.ingestDir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(buf);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.commit(tmp, digest);
    return { digest, size: buf.length };
  }

  private async commit(tmp: string, digest: Digest): Promise<void> {
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    // rename is atomic: a concurrent writer of the same digest just replaces identical bytes.
    await rename(tmp, this.path(digest));
    const dir = await open(this.blobsDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async delete(digest: Digest): Promise<boolean> {
    try {
      await unlink(this.path(digest));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for (const name of await readdir(this.blobsDir)) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue;
      const st = await stat(join(this.blobsDir, name));
      out.push({ digest, size: st.size });
    }
    return out;
  }

  /** Removes leftovers of writes interrupted by a crash. Call only when no ingest runs. */
  async cleanupIngest(): Promise<number> {
    const names = await readdir(this.ingestDir);
    await Promise.all(names.map((n) => rm(join(this.ingestDir, n), { force: true, recursive: true })));
    return names.length;
  }
}
