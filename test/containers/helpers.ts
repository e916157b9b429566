/**
 * Helpers for the container tests: the real docker CLI against a test berthd, tmux for
 * interactive sessions, and cleanup that leaves no container, mount or tmux session behind.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually, startDaemonWithBusybox, type TestDaemon } from '../helpers/daemon.js';

const execFileP = promisify(execFile);

export { docker, dockerOk, type DockerResult } from '../helpers/docker.js';
export { eventually };

/** A daemon with busybox imported. */
export const containerDaemon = (): Promise<TestDaemon> => startDaemonWithBusybox();

/** An interactive terminal (tmux session) running a docker command. */
export class Terminal {
  private constructor(readonly name: string) {}

  static async open(d: TestDaemon, name: string, dockerArgs: string, size = { width: 100, height: 30 }): Promise<Terminal> {
    const cmd = `DOCKER_HOST=${d.host} DOCKER_CONFIG=${d.root}/docker-config docker ${dockerArgs}; echo "[exited $?]"; sleep 600`;
    await execFileP('tmux', ['new-session', '-d', '-s', name, '-x', String(size.width), '-y', String(size.height), cmd]);
    return new Terminal(name);
  }

  async type(text: string): Promise<void> {
    await execFileP('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }
  async keys(...keys: string[]): Promise<void> {
    await execFileP('tmux', ['send-keys', '-t', this.name, ...keys]);
  }
  async screen(): Promise<string> {
    return (await execFileP('tmux', ['capture-pane', '-p', '-t', this.name])).stdout;
  }
  async resize(width: number, height: number): Promise<void> {
    await execFileP('tmux', ['resize-window', '-t', this.name, '-x', String(width), '-y', String(height)]);
  }
  /** Waits until the screen matches. */
  async waitFor(pattern: RegExp): Promise<string> {
    return eventually(`${pattern} on the screen of ${this.name}`, async () => {
      const s = await this.screen();
      return pattern.test(s) ? s : undefined;
    });
  }
  async close(): Promise<void> {
    await execFileP('tmux', ['kill-session', '-t', this.name]).catch(() => undefined);
  }
}
