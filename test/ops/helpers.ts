/**
 * Helpers for the ops tests: the real docker CLI against a test berthd, polling for state
 * that changes in the background (health, shipped lines), cleanup of every container.
 */
import { spawn } from 'node:child_process';
import { eventually, startDaemonWithBusybox, type TestDaemon } from '../helpers/daemon.js';

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function docker(d: TestDaemon, args: string[]): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env: d.dockerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export async function dockerOk(d: TestDaemon, args: string[]): Promise<string> {
  const r = await docker(d, args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export { eventually };

export const opsDaemon = (extraArgs: string[] = []): Promise<TestDaemon> => startDaemonWithBusybox({ extraArgs });

/** Force-removes every container, then stops the daemon. */
export async function cleanup(d: TestDaemon | undefined): Promise<void> {
  if (!d) return;
  try {
    const ids = (await docker(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(d, ['rm', '-f', ...ids]);
  } finally {
    await d.stop();
  }
}
