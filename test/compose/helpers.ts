/**
 * Helpers for the compose tests: a berthd with busybox, project directories in temp dirs, and
 * the CLI run as a child process (`berth compose …`, or `docker-compose` 1.29 for the
 * compatibility checks), both pointed at the test daemon.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { entryCommand } from '../helpers/paths.js';
import { after, before } from 'node:test';
import { startDaemonWithBusybox, type TestDaemon } from '../helpers/daemon.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}


/** argv for the berth CLI (from source or dist, as the tests run). */
function berthArgv(): string[] {
  const [node, ...rest] = entryCommand('cli');
  // `--import tsx` would resolve tsx from the project directory; use its absolute URL.
  const tsx = import.meta.resolve('tsx');
  return [node!, ...rest.map((a) => (a === 'tsx' ? tsx : a))];
}

export function run(argv: string[], o: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(o.input ?? '');
  });
}

/** `berth compose <args>` in `cwd` against the daemon. */
export function compose(daemon: TestDaemon, cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const argv = berthArgv();
  return run([...argv, 'compose', '--progress', 'plain', ...args], { cwd, env: { ...process.env, BERTH_HOST: daemon.host, NO_COLOR: '1', ...env } });
}

/** `docker-compose` 1.29 (the Python tool) against the daemon. */
export function dockerCompose(daemon: TestDaemon, cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return run(['docker-compose', '--no-ansi', ...args], { cwd, env: { ...daemon.dockerEnv(), COMPOSE_INTERACTIVE_NO_CLI: '1', ...env } });
}

export const hasDockerCompose = existsSync('/usr/bin/docker-compose');

/** A temp project directory with the given files. */
export async function projectDir(files: Record<string, string>): Promise<{ dir: string; write(name: string, text: string): Promise<void>; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-compose-'));
  const write = async (name: string, text: string) => {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  };
  for (const [name, text] of Object.entries(files)) await write(name, text);
  return { dir, write, remove: () => rm(dir, { recursive: true, force: true }) };
}

export type ProjectDir = Awaited<ReturnType<typeof projectDir>>;

/**
 * A test file's berthd (busybox imported), started before its tests and stopped after them,
 * and project dirs whose projects are taken down (`down -v -t 0`, plus `downArgs`) and removed
 * at the end.
 */
export function composeSuite(downArgs: string[] = []): { readonly daemon: TestDaemon; project(name: string, files: Record<string, string>): Promise<ProjectDir> } {
  let daemon: TestDaemon | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];
  before(async () => {
    daemon = await startDaemonWithBusybox();
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await daemon?.stop();
  });
  return {
    get daemon() {
      if (!daemon) throw new Error('the suite daemon is not started yet');
      return daemon;
    },
    async project(name, files) {
      const p = await projectDir(files);
      cleanups.push(async () => {
        if (daemon) await compose(daemon, p.dir, ['-p', name, 'down', '-v', '-t', '0', ...downArgs]);
        await p.remove();
      });
      return p;
    },
  };
}

/** Fails with the command's output when it did not exit 0. */
export function ok(r: Run, what = 'command'): Run {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

interface Labelled {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

/** Containers (all states) carrying `com.docker.compose.project=<project>`. */
export function projectContainers(daemon: TestDaemon, project: string): Promise<Labelled[]> {
  return daemon.client.get<Labelled[]>('/containers/json', { all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) });
}

export async function projectNetworks(daemon: TestDaemon, project: string): Promise<Array<{ Name: string }>> {
  return daemon.client.get('/networks', { filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) });
}

export async function projectVolumes(daemon: TestDaemon, project: string): Promise<Array<{ Name: string }>> {
  const r = await daemon.client.get<{ Volumes: Array<{ Name: string }> | null }>('/volumes', { filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) });
  return r.Volumes ?? [];
}

/** Service name → container IDs, sorted by container number. */
export async function idsByService(daemon: TestDaemon, project: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const list = (await projectContainers(daemon, project)).filter((c) => c.Labels['com.docker.compose.oneoff'] === 'False');
  list.sort((a, b) => Number(a.Labels['com.docker.compose.container-number']) - Number(b.Labels['com.docker.compose.container-number']));
  for (const c of list) (out[c.Labels['com.docker.compose.service']!] ??= []).push(c.Id);
  return out;
}
