/**
 * Shared setup for the volume tests: one berthd per file with busybox imported, the docker
 * CLI pointed at it, and cleanup that removes every container and volume and then checks
 * that nothing is left mounted under the daemon's roots.
 */
import { readFile } from 'node:fs/promises';
import { startDaemonWithBusybox, type TestDaemon } from '../helpers/daemon.js';
import { docker, dockerOk as dockerOkRaw } from '../helpers/docker.js';

export { docker, type DockerResult } from '../helpers/docker.js';

/** docker that must succeed; its stdout trimmed (these tests compare single values). */
export async function dockerOk(d: TestDaemon, args: string[]): Promise<string> {
  return (await dockerOkRaw(d, args)).trim();
}

/** `docker run -d`, wait for the exit, and return the exit code and combined logs. */
export async function runToEnd(d: TestDaemon, args: string[]): Promise<{ id: string; code: number; logs: string }> {
  const id = await dockerOk(d, ['run', '-d', ...args]);
  const code = Number(await dockerOk(d, ['wait', id]));
  const logs = await docker(d, ['logs', id]);
  return { id, code, logs: logs.stdout + logs.stderr };
}

export const startVolumeDaemon = (): Promise<TestDaemon> => startDaemonWithBusybox();

/** Mount points under the daemon's data and exec roots, from /proc/self/mountinfo. */
export async function mountsUnder(d: TestDaemon): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(d.dataRoot + '/') || p.startsWith(d.execRoot + '/'));
}

/** Removes every container (with -v) and volume; returns what is still mounted after that. */
export async function removeEverything(d: TestDaemon): Promise<string[]> {
  const ids = (await docker(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await docker(d, ['rm', '-fv', ...ids]);
  const vols = (await docker(d, ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
  if (vols.length) await docker(d, ['volume', 'rm', '-f', ...vols]);
  return mountsUnder(d);
}
