/**
 * The one adapter around mount(8) and umount(8). Every mount berth makes goes through here, so
 * engine code can be tested without touching the kernel and this file can be tested for real.
 */
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { SystemError } from '../util/errors.js';

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

/**
 * Mounts `source` on `target`. Bind mounts are expressed as type "bind" (or options containing
 * "bind"/"rbind"); mount(8) turns "bind,ro" into a read-only bind itself.
 */
export async function mount(type: string, source: string, target: string, options: string[] = [], opts: MountCallOptions = {}): Promise<void> {
  const args: string[] = [];
  const isBind = type === 'bind' || options.includes('bind') || options.includes('rbind');
  if (!isBind) args.push('-t', type);
  const o = isBind && !options.includes('bind') && !options.includes('rbind') ? ['bind', ...options] : options;
  if (o.length > 0) args.push('-o', o.join(','));
  args.push(source, target);
  await run('mount', args, opts.cwd);
}

export async function unmount(target: string, opts: { lazy?: boolean } = {}): Promise<void> {
  await run('umount', opts.lazy ? ['-l', target] : [target]);
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
