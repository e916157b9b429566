/**
 * The few libc calls berth makes directly, through koffi (FFI), instead of spawning a
 * program for them: mount(2) and umount2(2). Starting `mount` from berthd forks a ~100 MB
 * process (2–3 ms of the event loop) and takes ~5 ms in all; the system call takes ~0.1 ms.
 *
 * Loaded on first use. Where koffi has no build for the platform, `libc()` is undefined and
 * callers use the programs instead.
 */
import { createRequire } from 'node:module';
import { getSystemErrorMap } from 'node:util';

export interface Libc {
  /** Returns 0, or throws a LibcError carrying errno. */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
}

export class LibcError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    const [code, message] = getSystemErrorMap().get(-errno) ?? [`E${errno}`, 'unknown error'];
    super(`${call}: ${message} (${code})`);
    this.code = code;
  }

  readonly code: string;
}

/** mount(2) flags (linux/mount.h). */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

export const MNT_DETACH = 0x2;

let loaded: Libc | null | undefined;

export function libc(): Libc | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

function load(): Libc | null {
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const lib = koffi.load('libc.so.6');
    const mount = lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)');
    const umount2 = lib.func('int umount2(const char *target, int flags)');
    const check = (call: string, rc: number) => {
      if (rc !== 0) throw new LibcError(call, koffi.errno());
    };
    return {
      mount: (source, target, fstype, flags, data) => check(`mount ${target}`, mount(source, target, fstype, flags, data) as number),
      umount2: (target, flags) => check(`umount ${target}`, umount2(target, flags) as number),
    };
  } catch {
    return null;
  }
}
