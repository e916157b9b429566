/**
 * Exit notification without polling: one fs.watch per exit directory. conmon writes
 * `<exit-dir>/<id>` atomically (temp file + rename) when the container's process is gone,
 * so a `rename` event for `<id>` means the file is complete.
 */
import { watch, type FSWatcher } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';

export interface ExitInfo {
  exitCode: number;
  exitedAt: Date;
  /** The cgroup's OOM killer fired while the container ran. */
  oomKilled: boolean;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** Reads an exit file; undefined while it does not exist. */
export async function readExitFile(exitFile: string, oomFiles: readonly string[] = []): Promise<ExitInfo | undefined> {
  let text: string;
  let mtime: Date;
  try {
    [text, mtime] = await Promise.all([readFile(exitFile, 'utf8'), stat(exitFile).then((s) => s.mtime)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const code = Number.parseInt(text.trim(), 10);
  const oom = (await Promise.all(oomFiles.map(exists))).some(Boolean);
  return { exitCode: Number.isNaN(code) ? -1 : code, exitedAt: mtime, oomKilled: oom };
}

export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly dir: string) {}

  private async ensure(): Promise<void> {
    if (this.watcher) return;
    await mkdir(this.dir, { recursive: true });
    if (this.watcher) return;
    this.watcher = watch(this.dir, { persistent: false }, (_event, filename) => {
      const name = filename?.toString();
      if (!name) {
        for (const set of this.waiters.values()) for (const fn of set) fn();
        return;
      }
      for (const fn of this.waiters.get(name) ?? []) fn();
    });
  }

  /**
   * Resolves when `<dir>/<name>` exists (immediately if it already does). `persistent`
   * keeps the event loop alive while waiting (a daemon's wait endpoint wants that).
   */
  async waitFor(name: string, read: () => Promise<ExitInfo | undefined>, signal?: AbortSignal): Promise<ExitInfo> {
    await this.ensure();
    return new Promise<ExitInfo>((resolve, reject) => {
      let set = this.waiters.get(name);
      if (!set) this.waiters.set(name, (set = new Set()));
      // Keeps the process alive while someone waits (the watcher itself does not).
      const keepAlive = setInterval(() => undefined, 1 << 30);
      let checking = false;
      let again = false;
      const done = () => {
        clearInterval(keepAlive);
        set.delete(check);
        if (set.size === 0) this.waiters.delete(name);
        signal?.removeEventListener('abort', onAbort);
      };
      const check = () => {
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        read().then(
          (info) => {
            checking = false;
            if (info) {
              done();
              resolve(info);
            } else if (again) {
              again = false;
              check();
            }
          },
          (err: unknown) => {
            done();
            reject(err);
          },
        );
      };
      const onAbort = () => {
        done();
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort);
      set.add(check);
      check(); // the file may predate the watch
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
