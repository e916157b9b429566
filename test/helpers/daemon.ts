import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthClient } from '../../src/client/client.js';
import { teardownInstanceNetworking } from '../../src/engine/networks/teardown.js';
import { ensureBusyboxFixture } from './fixtures.js';
import { entryCommand } from './paths.js';

export interface TestDaemon {
  /** unix socket path of the API */
  socket: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  root: string;
  client: BerthClient;
  process: ChildProcess;
  /** Everything berthd wrote to stderr so far. */
  logs(): string;
  /** What berthd's open fds point at now: paths, `socket:[inode]`, `pipe:[inode]`... */
  openFiles(): Promise<string[]>;
  /** The files berthd holds open below `dir`, once it has had up to 5 s to close them. */
  filesHeldUnder(dir: string): Promise<string[]>;
  /** Environment for the docker CLI: DOCKER_HOST pointing at this daemon. */
  dockerEnv(): NodeJS.ProcessEnv;
  /** SIGKILL the daemon (its containers keep running) and wait for it to be gone. */
  kill9(): Promise<void>;
  /** Start berthd again on the same roots. */
  restart(): Promise<void>;
  /** SIGTERM, wait, remove the temp dirs. Safe to call twice. */
  stop(): Promise<void>;
}

export interface TestDaemonOptions {
  extraArgs?: string[];
  /** Keep the temp dirs (for debugging). */
  keep?: boolean;
}

async function waitForPing(client: BerthClient, proc: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`berthd exited with ${proc.exitCode}:\n${logs()}`);
    try {
      const res = await client.request('GET', '/_ping');
      res.resume();
      if (res.statusCode === 200) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`berthd did not answer /_ping within 30s:\n${logs()}`);
}

/** Starts a berthd with its own data root, exec root and socket in a temp dir. */
export async function startTestDaemon(opts: TestDaemonOptions = {}): Promise<TestDaemon> {
  const root = await mkdtemp(join(tmpdir(), 'berth-test-'));
  const socket = join(root, 'berth.sock');
  const dataRoot = join(root, 'data');
  const execRoot = join(root, 'exec');
  const host = `unix://${socket}`;
  let output = '';
  let proc!: ChildProcess;
  /** How berthd ended when nobody asked it to (a crash), for the failure message. */
  let died: string | undefined;
  let killing = false;
  const launch = async () => {
    const [cmd, ...args] = entryCommand('daemon');
    killing = false;
    proc = spawn(cmd!, [...args, '-H', host, '--data-root', dataRoot, '--exec-root', execRoot, '--config-file', join(root, 'daemon.json'), ...(opts.extraArgs ?? [])], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    proc.once('exit', (code, signal) => {
      if (!killing && (signal !== null || code !== 0)) died ??= `berthd died on its own (${signal ?? `exit code ${code}`}); the last of its output:\n${output.split('\n').slice(-40).join('\n')}`;
    });
    await waitForPing(client, proc, () => output);
  };
  await import('node:fs/promises').then((fs) => fs.writeFile(join(root, 'daemon.json'), '{}'));
  const client = new BerthClient({ host });
  await launch();
  const openFiles = async () => {
    const fdDir = `/proc/${proc.pid}/fd`;
    return Promise.all((await readdir(fdDir)).map((fd) => readlink(join(fdDir, fd)).catch(() => '')));
  };
  let stopped = false;
  const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));
  return {
    socket,
    host,
    dataRoot,
    execRoot,
    root,
    client,
    get process() {
      return proc;
    },
    logs: () => output,
    openFiles,
    filesHeldUnder: async (dir: string) => {
      const held = async () => (await openFiles()).filter((t) => t.startsWith(`${dir}/`));
      return eventually(`berthd to close its files under ${dir}`, async () => ((await held()).length === 0 ? [] : undefined), 5000).catch(held);
    },
    dockerEnv: () => ({ ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(root, 'docker-config'), DOCKER_CLI_HINTS: 'false' }),
    kill9: async () => {
      killing = true;
      proc.kill('SIGKILL');
      await exited(proc);
    },
    restart: launch,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (proc.exitCode === null && proc.signalCode === null) {
        // Containers outlive berthd by design (live restore): remove them so no mount,
        // process or cgroup of this test survives it.
        const all = await client.get<{ Id: string }[]>('/containers/json', { all: true }).catch(() => []);
        await Promise.all(all.map((ct) => client.call('DELETE', `/containers/${ct.Id}`, { query: { force: true, v: true } }).then((r) => r.resume(), () => undefined)));
      }
      client.close();
      if (proc.exitCode === null && proc.signalCode === null) {
        killing = true;
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited(proc);
        clearTimeout(timer);
      }
      // berthd keeps its bridge and iptables chains when it stops (running containers need
      // them across restarts); a test instance is gone for good, so take them down too.
      await teardownInstanceNetworking({ dataRoot, execRoot }).catch(() => undefined);
      if (!opts.keep) {
        await rm(root, { recursive: true, force: true }).catch((err: unknown) => {
          // Something of this daemon outlived it (a mount, most likely): say what it logged.
          const warnings = output.split('\n').filter((l) => /level=(warn|error)/.test(l) && !l.includes('msg="request failed"'));
          throw new Error(`${(err as Error).message}\nberthd's warnings and errors:\n${warnings.join('\n') || '(none)'}${died ? `\n${died}` : ''}`, { cause: err });
        });
      }
      if (died) throw new Error(died);
      // berthd lives on after a promise nobody awaited failed; a test must not.
      const escaped = output.split('\n').filter((l) => l.includes('msg="unhandled rejection"'));
      if (escaped.length > 0) throw new Error(`berthd logged failures nobody handled:\n${escaped.join('\n')}`);
    },
  };
}

/** Imports the busybox fixture as `busybox:latest` (or `name`) and returns its image ID. */
export async function importBusybox(client: BerthClient, name = 'busybox:latest', changes: string[] = []): Promise<string> {
  const tar = ensureBusyboxFixture();
  const [repo, tag] = name.split(':');
  const res = await client.call('POST', '/images/create', { query: { fromSrc: '-', repo, tag, changes }, body: createReadStream(tar) });
  let id = '';
  for await (const m of client.messages(res)) if (m.status) id = m.status;
  return id;
}


/** A test daemon with the busybox fixture imported as busybox:latest. */
export async function startDaemonWithBusybox(opts: TestDaemonOptions = {}): Promise<TestDaemon> {
  const d = await startTestDaemon(opts);
  try {
    await importBusybox(d.client);
  } catch (err) {
    await d.stop();
    throw err;
  }
  return d;
}

/**
 * Polls `check` until it returns a value, for what gives no other signal (an interactive
 * session's screen, a health status). The failure says what never happened.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
