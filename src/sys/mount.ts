/**
 * The one adapter for mounting. Every mount berth makes goes through here, so engine code can
 * be tested without touching the kernel and this file can be tested for real.
 *
 * The common mounts (overlay rootfs, plain binds, unmounts) are system calls (see libc.ts);
 * what needs mount(8)'s knowledge (filesystems with a `mount.<type>` helper, binds with
 * extra flags, overlay data relative to a working directory) runs mount(8) and umount(8).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { SystemError } from '../util/errors.js';
import { libc, LibcError, MNT_DETACH, MS, type Libc } from './libc.js';

export interface MountCallOptions {
  /** Working directory of the mount process: overlay resolves relative lowerdir paths from it. */
  cwd?: string;
}

function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? `${cmd} is not installed` : (stderr || err.message).trim();
      reject(new SystemError(`${cmd} ${args.join(' ')}: ${why}`, { cause: err }));
    });
  });
}

/** mount(8)'s option words that are mount flags; every other option is filesystem data. */
const FLAG_WORDS: Record<string, { set?: number; clear?: number }> = {
  defaults: {},
  ro: { set: MS.RDONLY },
  rw: { clear: MS.RDONLY },
  nosuid: { set: MS.NOSUID },
  suid: { clear: MS.NOSUID },
  nodev: { set: MS.NODEV },
  dev: { clear: MS.NODEV },
  noexec: { set: MS.NOEXEC },
  exec: { clear: MS.NOEXEC },
  sync: { set: MS.SYNCHRONOUS },
  async: { clear: MS.SYNCHRONOUS },
  dirsync: { set: MS.DIRSYNC },
  noatime: { set: MS.NOATIME },
  atime: { clear: MS.NOATIME },
  nodiratime: { set: MS.NODIRATIME },
  diratime: { clear: MS.NODIRATIME },
  relatime: { set: MS.RELATIME },
  norelatime: { clear: MS.RELATIME },
  strictatime: { set: MS.STRICTATIME },
  nostrictatime: { clear: MS.STRICTATIME },
  lazytime: { set: MS.LAZYTIME },
  nolazytime: { clear: MS.LAZYTIME },
  nosymfollow: { set: MS.NOSYMFOLLOW },
  silent: { set: MS.SILENT },
  loud: { clear: MS.SILENT },
  bind: { set: MS.BIND },
  rbind: { set: MS.BIND | MS.REC },
};

/** Propagation changes are separate mount(2) calls after the mount itself. */
const PROPAGATION_WORDS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

interface ParsedOptions {
  flags: number;
  data: string[];
  propagation: number[];
}

export function parseMountOptions(options: string[]): ParsedOptions {
  const out: ParsedOptions = { flags: 0, data: [], propagation: [] };
  for (const o of options) {
    const flag = FLAG_WORDS[o];
    const propagation = PROPAGATION_WORDS[o];
    if (flag) out.flags = (out.flags | (flag.set ?? 0)) & ~(flag.clear ?? 0);
    else if (propagation !== undefined) out.propagation.push(propagation);
    else out.data.push(o);
  }
  return out;
}

/** A filesystem whose mounting takes a helper program (nfs, cifs, fuse.*) needs mount(8). */
function hasMountHelper(type: string): boolean {
  return type.includes('.') || existsSync(`/sbin/mount.${type}`) || existsSync(`/usr/sbin/mount.${type}`);
}

/** Mounts by system call; false when this mount needs mount(8) instead. */
function mountDirectly(type: string, source: string, target: string, options: string[], isBind: boolean, opts: MountCallOptions): boolean {
  const c = libc();
  if (!c || opts.cwd) return false;
  const p = parseMountOptions(options);
  // A bind ignores flags: mount(8) adds a remount for them, keeping the source's own flags.
  if (isBind && (p.data.length > 0 || (p.flags & ~(MS.BIND | MS.REC)) !== 0)) return false;
  if (!isBind && hasMountHelper(type)) return false;
  try {
    if (isBind) c.mount(source, target, null, MS.BIND | (p.flags & MS.REC), null);
    else c.mount(source, target, type, p.flags, p.data.length ? p.data.join(',') : null);
    for (const flags of p.propagation) c.mount(null, target, null, flags, null);
  } catch (err) {
    throw new SystemError(`mount${isBind ? ' --bind' : ` -t ${type}`} ${source} ${target}: ${(err as Error).message}`, { cause: err });
  }
  return true;
}

/**
 * Mounts `source` on `target`. Bind mounts are expressed as type "bind" (or options containing
 * "bind"/"rbind"); mount(8) turns "bind,ro" into a read-only bind itself.
 */
export async function mount(type: string, source: string, target: string, options: string[] = [], opts: MountCallOptions = {}): Promise<void> {
  const isBind = type === 'bind' || options.includes('bind') || options.includes('rbind');
  if (mountDirectly(type, source, target, options, isBind, opts)) return;
  const args: string[] = [];
  if (!isBind) args.push('-t', type);
  const o = isBind && !options.includes('bind') && !options.includes('rbind') ? ['bind', ...options] : options;
  if (o.length > 0) args.push('-o', o.join(','));
  args.push(source, target);
  await run('mount', args, opts.cwd);
}

/**
 * umount2(2), retried while the mount is busy: a file just read from it may still be open
 * for a moment (its close queued behind other work). umount(8) took long enough to hide
 * that; the system call does not. As containerd does, a busy mount gets a few more tries.
 */
async function umountSyscall(c: Libc, target: string, flags: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      c.umount2(target, flags);
      return;
    } catch (err) {
      if (!(err instanceof LibcError && err.code === 'EBUSY') || attempt >= BUSY_RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5 * 2 ** attempt, 100)));
    }
  }
}
const BUSY_RETRIES = 12;

export async function unmount(target: string, opts: { lazy?: boolean } = {}): Promise<void> {
  const c = libc();
  if (!c) return run('umount', opts.lazy ? ['-l', target] : [target]);
  try {
    await umountSyscall(c, target, opts.lazy ? MNT_DETACH : 0);
  } catch (err) {
    throw new SystemError((err as Error).message, { cause: err });
  }
}

/**
 * Unmounts everything stacked on `target`; nothing mounted there is not an error. `lazy`
 * detaches each mount even while it is busy (it goes once its last user lets go).
 */
export async function unmountAll(target: string, opts: { lazy?: boolean } = {}): Promise<void> {
  const c = libc();
  for (let i = 0; i < 16; i++) {
    if (c) {
      try {
        await umountSyscall(c, target, opts.lazy ? MNT_DETACH : 0);
        continue;
      } catch (err) {
        // EINVAL: not a mount point (any more); ENOENT: no such path.
        if (err instanceof LibcError && (err.code === 'EINVAL' || err.code === 'ENOENT')) return;
        throw new SystemError((err as Error).message, { cause: err });
      }
    }
    if (!(await isMountPoint(target))) return;
    await unmount(target, opts);
  }
  if (await isMountPoint(target)) throw new SystemError(`cannot unmount ${target}: still mounted`);
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Lists the mount points of this process's mount namespace, in mount order. */
export async function listMountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (fields.length > 4) out.push(unescapeMountPath(fields[4]!));
  }
  return out;
}

export async function isMountPoint(target: string): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    return false;
  }
  return (await listMountPoints()).includes(real);
}
