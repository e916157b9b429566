/**
 * The OCI runtime, run from a sealed in-memory copy of its binary.
 *
 * runc and crun guard against CVE-2019-5736 (a container process rewriting the host's runtime
 * binary through /proc/<pid>/exe) by executing a clone of their binary that cannot be written:
 * a read-only bind mount of it on a temporary file, else a copy in a sealed memfd. crun does it
 * at every start (~1.8 ms here: a mount, an umount and a second exec and dynamic link), runc at
 * every `runc init`. Both skip it when /proc/self/exe already is a memfd with all four seals
 * (write, grow, shrink, seal): nobody can write to it, so sharing one is safe, as their
 * cloned_binary.c notes. berthd makes that copy once per binary, and runs the runtime, itself
 * and through conmon, as /proc/<berthd's pid>/fd/<n>.
 *
 * A binary that changes on disk (an upgrade) is copied again; the old copy is closed a minute
 * later, once no conmon about to run it can still be starting. Where no sealed copy can be made
 * or run (no koffi build; a kernel whose vm.memfd_noexec refuses to run a memfd), the runtime
 * runs from disk and copies itself as before.
 */
import { readFileSync, statSync } from 'node:fs';
import { libc } from '../sys/libc.js';
import { runCaptured } from '../sys/spawn.js';
import { errorMessage } from '../util/errors.js';
import { log } from '../util/log.js';

/** How long a replaced copy stays open: longer than any conmon takes to exec it. */
const RETIRE_AFTER_MS = 60_000;

interface Copy {
  fd: number;
  /** The disk binary it was copied from: device, inode, size, mtime. */
  identity: string;
}

function identityOf(path: string): string {
  const st = statSync(path);
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

function copyOf(path: string): Copy {
  const identity = identityOf(path);
  const fd = libc()!.sealedMemfd(`berth:${path}`, readFileSync(path));
  return { fd, identity };
}

const procPath = (fd: number) => `/proc/${process.pid}/fd/${fd}`;

export class SealedBinary {
  private constructor(
    /** The binary on disk. */
    readonly diskPath: string,
    private copy: Copy,
  ) {}

  /** A sealed copy of `diskPath` that runs, or undefined where there cannot be one. */
  static async open(diskPath: string): Promise<SealedBinary | undefined> {
    const calls = libc();
    if (!calls) return undefined;
    let copy: Copy | undefined;
    try {
      copy = copyOf(diskPath);
      const probe = await runCaptured(procPath(copy.fd), ['--version']);
      if (probe.code !== 0) throw new Error(`exit ${probe.code ?? probe.signal}: ${probe.stderr.trim()}`);
      return new SealedBinary(diskPath, copy);
    } catch (err) {
      if (copy) calls.close(copy.fd);
      log.info('running the OCI runtime from disk: no sealed copy of it runs here', { path: diskPath, err: errorMessage(err) });
      return undefined;
    }
  }

  /** The path to exec: the copy, made again first if the binary on disk has changed. */
  get execPath(): string {
    let identity: string | undefined;
    try {
      identity = identityOf(this.diskPath);
    } catch {
      // Gone from disk (mid-upgrade, say): the copy still runs.
    }
    if (identity !== undefined && identity !== this.copy.identity) this.replace();
    return procPath(this.copy.fd);
  }

  private replace(): void {
    const old = this.copy;
    try {
      this.copy = copyOf(this.diskPath);
    } catch (err) {
      log.warn('cannot copy the changed OCI runtime binary; running the copy made before', { path: this.diskPath, err: errorMessage(err) });
      return;
    }
    setTimeout(() => libc()!.close(old.fd), RETIRE_AFTER_MS).unref();
  }
}

const opened = new Map<string, Promise<SealedBinary | undefined>>();

/** One sealed copy per binary in this process, however many runtimes use it. */
export function sealedBinary(diskPath: string): Promise<SealedBinary | undefined> {
  let copy = opened.get(diskPath);
  if (!copy) {
    copy = SealedBinary.open(diskPath);
    opened.set(diskPath, copy);
  }
  return copy;
}
