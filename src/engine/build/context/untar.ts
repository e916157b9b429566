/**
 * Fast, safe extraction of a build context tar (plain or gzip) into a fresh directory.
 *
 * Contexts are many small files, so this skips what layer unpacking needs (ownership, xattrs,
 * whiteouts, device nodes) and keeps what safety needs: names are cleaned and must stay inside
 * the target; no entry may pass through a symlink the archive created earlier; files are
 * created with O_EXCL|O_NOFOLLOW so nothing is written through a link.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants as fsc, fchmodSync, futimesSync, openSync, rmSync, writeSync } from 'node:fs';
import { chmod, link, mkdir, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { InvalidParameterError } from '../../../util/errors.js';
import { cleanPath } from './dockerignore.js';

/** Peeks at the first bytes and inserts a gunzip stage when the stream is gzip. */
async function maybeGunzip(input: Readable): Promise<Readable> {
  const out = new PassThrough();
  const first = await new Promise<Buffer | null>((resolve, reject) => {
    const onReadable = () => {
      const chunk = input.read() as Buffer | null;
      if (chunk === null && !input.readableEnded) return;
      cleanup();
      resolve(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      input.off('readable', onReadable);
      input.off('end', onEnd);
      input.off('error', onError);
    };
    input.on('readable', onReadable);
    input.on('end', onEnd);
    input.on('error', onError);
  });
  if (first) out.write(first);
  input.pipe(out);
  if (first && first[0] === 0x1f && first[1] === 0x8b) return out.pipe(createGunzip());
  return out;
}

/**
 * Extracts the context and returns the sha256 (hex) of every regular file by its path: the
 * bytes pass through here anyway, and COPY's cache key needs exactly these digests.
 */
export async function extractContext(input: Readable, target: string): Promise<Map<string, string>> {
  const fileHashes = new Map<string, string>();
  const links = new Set<string>();
  const dirs: { path: string; mtime?: Date }[] = [];
  const made = new Set<string>(['']);
  const ensureParent = async (rel: string): Promise<void> => {
    const parts = rel.split('/').slice(0, -1);
    let cur = '';
    for (const p of parts) {
      cur = cur ? `${cur}/${p}` : p;
      if (links.has(cur)) throw new InvalidParameterError(`context entry ${rel} goes through a symlink`);
      if (!made.has(cur)) {
        await mkdir(join(target, cur), { recursive: false, mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        made.add(cur);
      }
    }
  };
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const rel = cleanPath('/' + h.name).slice(1);
      if (rel === '' || h.name.split('/').includes('..')) {
        entry.resume();
        if (rel === '') continue;
        throw new InvalidParameterError(`invalid context entry name ${JSON.stringify(h.name)}`);
      }
      await ensureParent(rel);
      const abs = join(target, rel);
      const mode = (h.mode ?? 0o644) & 0o7777;
      switch (h.type) {
        case 'directory':
          if (links.has(rel)) throw new InvalidParameterError(`context entry ${rel} goes through a symlink`);
          if (!made.has(rel)) {
            await mkdir(abs, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
              if (err.code !== 'EEXIST') throw err;
            });
            made.add(rel);
          }
          dirs.push({ path: abs, mtime: h.mtime });
          await chmod(abs, mode || 0o755);
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file': {
          // Synchronous calls: a context is mostly small files, and thread-pool round trips
          // per syscall would dominate. Bodies still stream chunk by chunk.
          const flags = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;
          let fd: number;
          try {
            fd = openSync(abs, flags, mode);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
            rmSync(abs, { force: true, recursive: true });
            fd = openSync(abs, flags, mode);
          }
          links.delete(rel);
          const hash = createHash('sha256');
          try {
            for await (const chunk of entry as AsyncIterable<Buffer>) {
              writeSync(fd, chunk);
              hash.update(chunk);
            }
            fileHashes.set(rel, hash.digest('hex'));
            fchmodSync(fd, mode);
            if (h.mtime) futimesSync(fd, h.mtime, h.mtime);
          } finally {
            closeSync(fd);
          }
          break;
        }
        case 'symlink':
          fileHashes.delete(rel);
          await rm(abs, { force: true });
          await symlink(h.linkname ?? '', abs);
          links.add(rel);
          entry.resume();
          break;
        case 'link': {
          const src = cleanPath('/' + (h.linkname ?? '')).slice(1);
          if (links.has(src) || src === '') throw new InvalidParameterError(`invalid hard link ${h.name} -> ${h.linkname}`);
          await rm(abs, { force: true });
          await link(join(target, src), abs);
          const same = fileHashes.get(src);
          if (same) fileHashes.set(rel, same);
          else fileHashes.delete(rel);
          entry.resume();
          break;
        }
        default:
          entry.resume(); // devices, fifos: not part of a build context
      }
    }
  })();
  const source = await maybeGunzip(input);
  await Promise.all([pipeline(source, extract), done]);
  for (const d of dirs.reverse()) if (d.mtime) await utimes(d.path, d.mtime, d.mtime).catch(() => undefined);
  return fileHashes;
}
