/**
 * Helpers for the ops tests: the real docker CLI against a test berthd, polling for state
 * that changes in the background (health, shipped lines), cleanup of every container.
 */
import { eventually, startDaemonWithBusybox, type TestDaemon } from '../helpers/daemon.js';
import { docker } from '../helpers/docker.js';

export { docker, dockerOk, type DockerResult } from '../helpers/docker.js';
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
