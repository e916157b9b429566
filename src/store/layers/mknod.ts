/**
 * Adapter for the `mknod` binary: Node has no mknod(2). Device nodes and fifos are rare in
 * layers, but every overlay whiteout is a 0/0 character device, so one process per node is
 * the price (a few ms); regular files never come here.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SystemError } from '../../util/errors.js';

export type NodeKind = 'char' | 'block' | 'fifo';

export class MknodPermissionError extends SystemError {}

export function mknod(path: string, kind: NodeKind, major = 0, minor = 0): Promise<void> {
  const args = ['-m', '0600', '--', path, kind === 'char' ? 'c' : kind === 'block' ? 'b' : 'p'];
  if (kind !== 'fifo') args.push(String(major), String(minor));
  return new Promise((resolve, reject) => {
    execFile('mknod', args, { encoding: 'utf8' }, (err, _out, stderr) => {
      if (!err) return resolve();
      const msg = (stderr || err.message).trim();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new SystemError('mknod is not installed (coreutils)', { cause: err }));
      if (/Operation not permitted/i.test(msg)) return reject(new MknodPermissionError(`mknod ${path}: ${msg}`, { cause: err }));
      reject(new SystemError(`mknod ${path}: ${msg}`, { cause: err }));
    });
  });
}

let userNamespace: boolean | undefined;
/** True when this process runs in a user namespace, where the kernel refuses device nodes. */
export function inUserNamespace(): boolean {
  if (userNamespace === undefined) {
    try {
      const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
      userNamespace = !(map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
    } catch {
      userNamespace = false;
    }
  }
  return userNamespace;
}
