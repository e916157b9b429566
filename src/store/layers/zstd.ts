/**
 * Adapter for the `zstd` binary: Node 20 has no zstd in node:zlib, so zstd layers are
 * decompressed by `zstd -dc` in a child process, streaming through its stdin and stdout.
 */
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { InvalidParameterError, SystemError } from '../../util/errors.js';

export function zstdDecompress(input: Readable): Readable {
  const out = new PassThrough();
  const child = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  child.on('error', (err: NodeJS.ErrnoException) => {
    out.destroy(
      err.code === 'ENOENT'
        ? new SystemError('cannot decompress a zstd layer: the zstd binary is not installed (apt-get install zstd)', { cause: err })
        : new SystemError(`zstd: ${err.message}`, { cause: err }),
    );
  });
  // zstd exiting early closes its stdin; the exit code carries the real error.
  child.stdin.on('error', () => {});
  input.on('error', (err) => {
    child.kill();
    out.destroy(err);
  });
  input.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  child.on('close', (code, signal) => {
    if (code === 0) out.end();
    else if (!out.destroyed) out.destroy(new InvalidParameterError(`invalid zstd layer: ${stderr.trim() || `zstd exited with ${code ?? signal}`}`));
  });
  // A consumer that stops early must not leave zstd running.
  out.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return out;
}
