import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../util/digest.js';
import { DigestMismatchError, SizeMismatchError, type BlobStore } from './blob-store.js';
import { HashingFileWriter } from './hashing-writer.js';

/**
 * Upload sessions: `root/uploads/<uuid>/data` holds the bytes received so far and `info.json`
 * the repository and start time. The running sha256 state lives in memory; Node cannot
 * serialize a hash, so after a restart the state is rebuilt by re-hashing `data` on first use.
 * The file size is the authoritative offset (GET status reports it).
 */
export interface UploadSession {
  readonly id: string;
  readonly repo: string;
  readonly startedAt: number;
  offset: number;
  /** Undefined until (re)built; dropped when a write failed in an unknown state. */
  hash?: Hash;
  /** Serialises operations on one session. */
  queue: Promise<unknown>;
}

export class RangeError416 extends Error {
  constructor(readonly offset: number) {
    super(`chunk does not start at the current upload offset ${offset}`);
  }
}

export class UploadManager {
  readonly dir: string;
  private readonly sessions = new Map<string, UploadSession>();

  constructor(
    root: string,
    private readonly blobs: BlobStore,
  ) {
    this.dir = join(root, 'uploads');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  get activeCount(): number {
    return this.sessions.size;
  }

  private dataPath(id: string): string {
    return join(this.dir, id, 'data');
  }

  async create(repo: string): Promise<UploadSession> {
    const id = randomUUID();
    await mkdir(join(this.dir, id));
    const startedAt = Date.now();
    await writeFile(join(this.dir, id, 'info.json'), JSON.stringify({ repo, startedAt }));
    await writeFile(this.dataPath(id), '');
    const session: UploadSession = { id, repo, startedAt, offset: 0, hash: createHash('sha256'), queue: Promise.resolve() };
    this.sessions.set(id, session);
    return session;
  }

  /** Finds a session of `repo`, loading it from disk after a restart. */
  async get(id: string, repo: string): Promise<UploadSession | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    let session = this.sessions.get(id);
    if (!session) {
      try {
        const info = JSON.parse(await readFile(join(this.dir, id, 'info.json'), 'utf8')) as { repo: string; startedAt: number };
        const st = await stat(this.dataPath(id));
        session = this.sessions.get(id) ?? { id, repo: info.repo, startedAt: info.startedAt, offset: st.size, queue: Promise.resolve() };
        this.sessions.set(id, session);
      } catch {
        return undefined;
      }
    }
    return session.repo === repo ? session : undefined;
  }

  /** Runs `fn` after every earlier operation on the session finished. */
  private serial<T>(session: UploadSession, fn: () => Promise<T>): Promise<T> {
    const run = session.queue.then(fn, fn);
    session.queue = run.catch(() => undefined);
    return run;
  }

  /** Rebuilds the hash state from the bytes on disk (after a restart or a failed write). */
  private async ensureHash(session: UploadSession): Promise<Hash> {
    if (session.hash) return session.hash;
    const hash = createHash('sha256');
    const path = this.dataPath(session.id);
    const st = await stat(path);
    await pipeline(createReadStream(path, { highWaterMark: 4 * 1024 * 1024 }), async function* (src: AsyncIterable<Buffer>) {
      for await (const chunk of src) hash.update(chunk);
    });
    session.offset = st.size;
    session.hash = hash;
    return hash;
  }

  /**
   * Appends `body` to the session. `start`, when given (Content-Range), must equal the current
   * offset. Whatever arrived before a client disconnect stays, so the client can resume.
   */
  append(session: UploadSession, body: Readable, opts: { start?: number } = {}): Promise<number> {
    return this.serial(session, async () => {
      const hash = await this.ensureHash(session);
      if (opts.start !== undefined && opts.start !== session.offset) {
        body.resume();
        throw new RangeError416(session.offset);
      }
      const fh = await open(this.dataPath(session.id), 'r+');
      const writer = new HashingFileWriter(fh, hash, session.offset);
      try {
        await pipeline(body, writer);
      } catch (err) {
        // Keep what was written: offset and hash both cover exactly `writer.bytes` more bytes.
        await writer.settled();
        session.offset += writer.bytes;
        await fh.truncate(session.offset).catch(() => {
          session.hash = undefined;
        });
        throw err;
      } finally {
        await fh.close().catch(() => undefined);
      }
      session.offset += writer.bytes;
      return session.offset;
    });
  }

  /**
   * Verifies the upload against `expected` and moves it into the blob store. On a mismatch the
   * session stays as it was, so the client may still fix it up or cancel it.
   */
  finish(session: UploadSession, expected: Digest, beforeCommit: (digest: Digest) => void = () => undefined): Promise<{ digest: Digest; size: number }> {
    return this.serial(session, async () => {
      const hash = await this.ensureHash(session);
      const actual: Digest = `sha256:${hash.copy().digest('hex')}`;
      if (actual !== expected) throw new DigestMismatchError(expected, actual);
      const path = this.dataPath(session.id);
      const fh = await open(path, 'r+');
      try {
        const st = await fh.stat();
        if (st.size !== session.offset) throw new SizeMismatchError(session.offset, st.size);
        await fh.sync();
      } finally {
        await fh.close();
      }
      beforeCommit(actual);
      await this.blobs.adopt(path, actual);
      await this.remove(session);
      return { digest: actual, size: session.offset };
    });
  }

  cancel(session: UploadSession): Promise<void> {
    return this.serial(session, () => this.remove(session));
  }

  private async remove(session: UploadSession): Promise<void> {
    this.sessions.delete(session.id);
    await rm(join(this.dir, session.id), { recursive: true, force: true });
  }

  /** Removes sessions untouched for longer than `maxAgeMs` (abandoned pushes). */
  async purgeStale(maxAgeMs: number): Promise<number> {
    let removed = 0;
    let ids: string[];
    try {
      ids = await readdir(this.dir);
    } catch {
      return 0;
    }
    for (const id of ids) {
      try {
        const st = await stat(this.dataPath(id));
        if (Date.now() - st.mtimeMs > maxAgeMs) {
          this.sessions.delete(id);
          await rm(join(this.dir, id), { recursive: true, force: true });
          removed++;
        }
      } catch {
        // half-created session
      }
    }
    return removed;
  }
}
