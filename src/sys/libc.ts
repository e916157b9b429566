/**
 * The few libc calls berth makes directly, through koffi (FFI):
 * - mount(2) and umount2(2) instead of spawning a program for them. Starting `mount` from
 *   berthd forks a ~100 MB process (2–3 ms of the event loop) and takes ~5 ms in all; the
 *   system call takes ~0.1 ms.
 * - posix_spawn(3), socketpair(2) and waitpid(2), for sys/spawn.ts: glibc's posix_spawn
 *   starts the child with CLONE_VM|CLONE_VFORK, so unlike the fork(2) behind Node's
 *   child_process it copies none of berthd's page tables (0.2 ms instead of 3–5 ms).
 * - memfd_create(2) and fcntl(2)'s seals, for runtime/sealed-binary.ts.
 * - ioctl(2)'s FS_IOC_GETFLAGS and FS_IOC_SETFLAGS (chattr's flags), for sys/dir-placement.ts.
 *
 * Loaded on first use. Where koffi has no build for the platform, `libc()` is undefined and
 * callers use the programs instead.
 */
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

export interface Libc {
  /** Returns 0, or throws a LibcError carrying errno. */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  /** Starts `path`; returns its pid, or throws a LibcError (ENOENT, EACCES, ...). */
  posixSpawn(path: string, argv: string[], env: string[], opts: PosixSpawnOptions): number;
  /** A connected pair of close-on-exec AF_UNIX stream sockets. */
  socketpair(): [number, number];
  close(fd: number): void;
  /** waitpid(pid, WNOHANG): the raw wait status once the child has exited, else undefined. */
  reap(pid: number): number | undefined;
  /** A close-on-exec memfd holding `content`, sealed against writing, resizing and further seals. */
  sealedMemfd(name: string, content: Buffer): number;
  /** The inode flags of open file `fd` (FS_IOC_GETFLAGS); ENOTTY where its filesystem has none. */
  inodeFlags(fd: number): number;
  setInodeFlags(fd: number, flags: number): void;
}

/** Done in the child, in order, before it execs. */
export type FileAction = { dup2: number; to: number } | { open: string; fd: number } | { close: number };

export interface PosixSpawnOptions {
  fileActions: FileAction[];
  cwd?: string;
  /** A new session (setsid), as Node's `detached`. */
  setsid?: boolean;
  /**
   * Close every fd from this one up in the child, after `fileActions`: also those a native
   * addon opened without close-on-exec. Needs glibc 2.34; older ones skip it.
   */
  closeFrom?: number;
}

function errnoName(errno: number): string {
  return Object.entries(constants.errno).find(([, n]) => n === errno)?.[0] ?? `E${errno}`;
}

export class LibcError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    // libuv's map lacks a few (ENOEXEC among them); os.constants still names them.
    const [code, message] = getSystemErrorMap().get(-errno) ?? [errnoName(errno), 'unknown error'];
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
    const check: Check = (call, rc) => {
      if (rc !== 0) throw new LibcError(call, koffi.errno());
    };
    const spawnCalls = loadSpawn(lib, koffi, check);
    return {
      mount: (source, target, fstype, flags, data) => check(`mount ${target}`, mount(source, target, fstype, flags, data) as number),
      umount2: (target, flags) => check(`umount ${target}`, umount2(target, flags) as number),
      ...spawnCalls,
      sealedMemfd: loadSealedMemfd(lib, koffi, check, spawnCalls.close),
      ...loadInodeFlags(lib, check),
    };
  } catch {
    return null;
  }
}

// <spawn.h>, <fcntl.h>, <sys/socket.h>, <sys/wait.h> on Linux.
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const O_RDWR = 0o2;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const WNOHANG = 1;
// glibc's posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336, sigset_t 128.
const FILE_ACTIONS_SIZE = 256;
const ATTR_SIZE = 512;
const SIGSET_SIZE = 128;

type Koffi = typeof import('koffi');
/** Throws a LibcError for `call` unless `rc` is 0, the success of most calls. */
type Check = (call: string, rc: number) => void;

/** A function the running glibc may be too old to have. */
function optionalFunc(lib: ReturnType<Koffi['load']>, signature: string): ReturnType<ReturnType<Koffi['load']>['func']> | undefined {
  try {
    return lib.func(signature);
  } catch {
    return undefined;
  }
}

type SpawnCalls = Pick<Libc, 'posixSpawn' | 'socketpair' | 'close' | 'reap'>;

function loadSpawn(lib: ReturnType<Koffi['load']>, koffi: Koffi, check: Check): SpawnCalls {
  const spawn = lib.func('int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attr, const char **argv, const char **envp)');
  const actionsInit = lib.func('int posix_spawn_file_actions_init(void *actions)');
  const actionsDestroy = lib.func('int posix_spawn_file_actions_destroy(void *actions)');
  const addDup2 = lib.func('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)');
  const addOpen = lib.func('int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int oflag, int mode)');
  const addClose = lib.func('int posix_spawn_file_actions_addclose(void *actions, int fd)');
  const addChdir = lib.func('int posix_spawn_file_actions_addchdir_np(void *actions, const char *path)');
  const attrInit = lib.func('int posix_spawnattr_init(void *attr)');
  const attrDestroy = lib.func('int posix_spawnattr_destroy(void *attr)');
  const setFlags = lib.func('int posix_spawnattr_setflags(void *attr, short flags)');
  const setSigDefault = lib.func('int posix_spawnattr_setsigdefault(void *attr, const void *set)');
  const setSigMask = lib.func('int posix_spawnattr_setsigmask(void *attr, const void *set)');
  const sigfillset = lib.func('int sigfillset(void *set)');
  const sigemptyset = lib.func('int sigemptyset(void *set)');
  const socketpair = lib.func('int socketpair(int domain, int type, int protocol, int *fds)');
  const close = lib.func('int close(int fd)');
  const waitpid = lib.func('int waitpid(int pid, _Out_ int *status, int options)');
  const addCloseFrom = optionalFunc(lib, 'int posix_spawn_file_actions_addclosefrom_np(void *actions, int from)');

  // The child starts with every signal at its default and none blocked, as after Node's
  // spawn: berthd ignores SIGPIPE, and ignored signals would otherwise stay ignored.
  const allSignals = Buffer.alloc(SIGSET_SIZE);
  const noSignals = Buffer.alloc(SIGSET_SIZE);
  sigfillset(allSignals);
  sigemptyset(noSignals);
  // posix_spawn's own calls return the error number instead of setting errno.
  const must = (call: string, rc: number) => {
    if (rc !== 0) throw new LibcError(call, rc);
  };

  return {
    posixSpawn(path, argv, env, opts) {
      const actions = Buffer.alloc(FILE_ACTIONS_SIZE);
      const attr = Buffer.alloc(ATTR_SIZE);
      must('posix_spawn_file_actions_init', actionsInit(actions) as number);
      must('posix_spawnattr_init', attrInit(attr) as number);
      try {
        for (const a of opts.fileActions) {
          if ('dup2' in a) must('posix_spawn_file_actions_adddup2', addDup2(actions, a.dup2, a.to) as number);
          else if ('open' in a) must('posix_spawn_file_actions_addopen', addOpen(actions, a.fd, a.open, O_RDWR, 0) as number);
          else must('posix_spawn_file_actions_addclose', addClose(actions, a.close) as number);
        }
        if (opts.closeFrom !== undefined && addCloseFrom) must('posix_spawn_file_actions_addclosefrom_np', addCloseFrom(actions, opts.closeFrom) as number);
        if (opts.cwd) must('posix_spawn_file_actions_addchdir_np', addChdir(actions, opts.cwd) as number);
        must('posix_spawnattr_setsigdefault', setSigDefault(attr, allSignals) as number);
        must('posix_spawnattr_setsigmask', setSigMask(attr, noSignals) as number);
        must('posix_spawnattr_setflags', setFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (opts.setsid ? POSIX_SPAWN_SETSID : 0)) as number);
        const pid = [0];
        must(`spawn ${path}`, spawn(pid, path, actions, attr, [...argv, null], [...env, null]) as number);
        return pid[0]!;
      } finally {
        actionsDestroy(actions);
        attrDestroy(attr);
      }
    },
    socketpair() {
      const fds = new Int32Array(2);
      check('socketpair', socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) as number);
      return [fds[0]!, fds[1]!];
    },
    close(fd) {
      check('close', close(fd) as number);
    },
    reap(pid) {
      const status = [0];
      const rc = waitpid(pid, status, WNOHANG) as number;
      if (rc === 0) return undefined;
      if (rc < 0) throw new LibcError(`waitpid ${pid}`, koffi.errno());
      return status[0]!;
    },
  };
}

// <sys/mman.h>, <fcntl.h> on Linux.
const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const F_ADD_SEALS = 1033;
const F_SEAL_SEAL = 0x1;
const F_SEAL_SHRINK = 0x2;
const F_SEAL_GROW = 0x4;
const F_SEAL_WRITE = 0x8;

function loadSealedMemfd(lib: ReturnType<Koffi['load']>, koffi: Koffi, check: Check, close: Libc['close']): Libc['sealedMemfd'] {
  const memfdCreate = lib.func('int memfd_create(const char *name, unsigned int flags)');
  const fcntl = lib.func('int fcntl(int fd, int cmd, ...)');
  return (name, content) => {
    const fd = memfdCreate(name, MFD_CLOEXEC | MFD_ALLOW_SEALING) as number;
    if (fd < 0) throw new LibcError('memfd_create', koffi.errno());
    try {
      for (let done = 0; done < content.length; ) done += writeSync(fd, content, done);
      check('seal memfd', fcntl(fd, F_ADD_SEALS, 'int', F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) as number);
      return fd;
    } catch (err) {
      close(fd);
      throw err;
    }
  };
}

// <linux/fs.h>: _IOR('f', 1, long) and _IOW('f', 2, long) on 64-bit Linux; the kernel reads
// and writes an int through the pointer.
const FS_IOC_GETFLAGS = 0x80086601;
const FS_IOC_SETFLAGS = 0x40086602;

function loadInodeFlags(lib: ReturnType<Koffi['load']>, check: Check): Pick<Libc, 'inodeFlags' | 'setInodeFlags'> {
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, ...)');
  const flags = Buffer.alloc(8);
  return {
    inodeFlags: (fd) => {
      check('get inode flags', ioctl(fd, FS_IOC_GETFLAGS, 'void *', flags) as number);
      return flags.readInt32LE(0);
    },
    setInodeFlags: (fd, value) => {
      flags.writeInt32LE(value, 0);
      check('set inode flags', ioctl(fd, FS_IOC_SETFLAGS, 'void *', flags) as number);
    },
  };
}
