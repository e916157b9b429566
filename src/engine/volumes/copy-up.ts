import { execFile } from 'node:child_process';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { SystemError } from '../../util/errors.js';

const MAX_SYMLINKS = 40;

/**
 * Resolves `path` inside `root` as the container will see it: symlinks are followed, but an
 * absolute link or `..` never leaves `root` (like a chroot). Returns the host path, which
 * may not exist.
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  let done: string[] = [];
  let todo = posix.normalize(path).split('/').filter(Boolean);
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = posix.join(root, ...done, part);
    const st = await lstat(host).catch(() => undefined);
    if (!st?.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINKS) throw new SystemError(`too many levels of symbolic links resolving ${path}`);
    const target = await readlink(host);
    if (target.startsWith('/')) done = [];
    todo = [...target.split('/').filter(Boolean), ...todo];
  }
  return posix.join(root, ...done);
}

/**
 * Docker's copy-up: a new, empty volume mounted over a directory that has content in the
 * image starts with a copy of that content, ownership and modes kept (the volume's root
 * takes the directory's owner and mode too). Returns true when it copied.
 */
export async function copyImageContent(o: { rootfs: string; destination: string; volumePath: string }): Promise<boolean> {
  const source = await resolveInRoot(o.rootfs, o.destination);
  const st = await lstat(source).catch(() => undefined);
  if (!st?.isDirectory()) return false;
  if ((await readdir(o.volumePath)).length > 0) return false;
  await new Promise<void>((resolve, reject) => {
    // cp -a: a plain copy that keeps owners, modes, times, symlinks and xattrs.
    execFile('cp', ['-a', '--', `${source}/.`, `${o.volumePath}/`], (err, _out, stderr) =>
      err ? reject(new SystemError(`copying image content of ${o.destination} into the volume: ${(stderr || err.message).trim()}`, { cause: err })) : resolve(),
    );
  });
  return true;
}
