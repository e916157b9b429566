import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { teardownInstanceNetworking } from '../src/engine/networks/teardown.js';

/** Shared helpers for the benchmarks: peers side by side, medians and ratios. */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), existsSync(fileURLToPath(new URL('../package.json', import.meta.url))) ? '..' : '../..');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function timeIt(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function sample(n: number, fn: () => Promise<unknown> | unknown, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await timeIt(fn));
  return out;
}

/** Workload commands still running, and whether an interrupt stopped new ones (cleanUpOnInterrupt). */
const inFlight = new Set<Promise<string>>();
let interrupted = false;

/** Runs a command to completion; throws with its stderr on failure. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  if (interrupted) return Promise.reject(new Error(`interrupted: ${cmd} not run`));
  const done = runProgram(cmd, args, opts);
  inFlight.add(done);
  const settled = () => inFlight.delete(done);
  done.then(settled, settled);
  return done;
}

function runProgram(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string }): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
    p.stdin.end(opts.input ?? '');
  });
}

export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function pidsOf(name: string): number[] {
  const r = spawnSync('pgrep', ['-x', name]);
  return r.stdout.toString().split('\n').filter(Boolean).map(Number);
}

async function waitForSocket(sock: string, proc: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited early`);
    const r = spawnSync('curl', ['-sf', '--unix-socket', sock, 'http://x/_ping']);
    if (r.status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up`);
}

export interface Daemon {
  name: string;
  host: string;
  env: NodeJS.ProcessEnv;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Clean-ups still to do (daemons started and not stopped, temp dirs). On SIGINT or SIGTERM the
 * benchmark starts no more commands, lets those under way end (a container being created must
 * be there to remove), runs these, and exits.
 */
const pending = new Set<() => Promise<void>>();
let listening = false;

/** `cleanUp`, to call when done; an interrupt calls it first. It runs once either way. */
export function cleanUpOnInterrupt(cleanUp: () => Promise<void> | void): () => Promise<void> {
  if (!listening) {
    listening = true;
    // Kept, not once: npm passes the terminal's ctrl-C on, so it arrives twice.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (interrupted) return;
        interrupted = true;
        console.error(`\n${signal}: removing what the benchmark started`);
        void Promise.allSettled([...inFlight])
          .then(() => Promise.allSettled([...pending].map((c) => c())))
          .then(() => process.exit(130));
      });
    }
  }
  let done: Promise<void> | undefined;
  const once = () => (done ??= Promise.resolve().then(cleanUp).finally(() => pending.delete(once)));
  pending.add(once);
  return once;
}

/**
 * A fresh root for a benchmarked daemon, under /var/lib where daemons keep their state (the
 * defaults are /var/lib/berth and /var/lib/docker). Both peers get theirs here: on a long-used
 * host, /tmp's directories can be several times slower to create files in (ext4's allocator
 * steps over recently freed inodes; see src/sys/dir-placement.ts).
 */
async function daemonRoot(prefix: string): Promise<string> {
  await mkdir(BENCH_ROOTS, { recursive: true });
  return mkdtemp(join(BENCH_ROOTS, prefix));
}

const BENCH_ROOTS = '/var/lib/berth-bench';

/** A berthd from this tree (dist), on its own roots. */
export async function startBerthd(extraArgs: string[] = []): Promise<Daemon> {
  const root = await daemonRoot('berthd-');
  const sock = join(root, 'berth.sock');
  await writeFile(join(root, 'daemon.json'), '{}');
  // bin/berthd, as users start it (with its Node flags).
  // A process group of its own: a ctrl-C in the terminal is for the benchmark, which then removes
  // the daemon's containers before it stops it (cleanUpOnInterrupt).
  const p = spawn(join(repoRoot, 'bin/berthd'), ['-H', `unix://${sock}`, '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '--config-file', join(root, 'daemon.json'), ...extraArgs], { stdio: 'ignore', detached: true });
  await waitForSocket(sock, p, 'berthd');
  return {
    name: 'berthd',
    host: `unix://${sock}`,
    env: { ...process.env, DOCKER_HOST: `unix://${sock}`, BERTH_HOST: `unix://${sock}`, DOCKER_CONFIG: join(root, 'docker-config') },
    pid: p.pid!,
    stop: cleanUpOnInterrupt(async () => {
      const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(root, 'docker-config') };
      const ids = (await runProgram('docker', ['ps', '-aq'], { env }).catch(() => '')).split('\n').filter(Boolean);
      if (ids.length) await runProgram('docker', ['rm', '-f', ...ids], { env }).catch(() => undefined);
      await stopProcess(p);
      await teardownInstanceNetworking({ dataRoot: join(root, 'data'), execRoot: join(root, 'exec') }).catch(() => undefined);
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
      await rmdir(BENCH_ROOTS).catch(() => undefined); // when the other peer is done too
    }),
  };
}

/** SIGTERM, and its exit; one that has exited already (it crashed) is not waited for. */
async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

/** Debian's dockerd 20.10 on its own socket and roots (no iptables, no bridge: it must not touch the host). */
export async function startDockerd(): Promise<Daemon | undefined> {
  if (!existsSync('/usr/sbin/dockerd')) return undefined;
  const root = await daemonRoot('dockerd-');
  const sock = join(root, 'docker.sock');
  // A cgroup parent of its own (dockerd's default, `docker`, outlives it in every hierarchy).
  const cgroupParent = `bench-${basename(root)}`;
  const p = spawn('dockerd', ['-H', `unix://${sock}`, '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '--pidfile', join(root, 'docker.pid'), '--bridge', 'none', '--iptables=false', '--ip-masq=false', '--cgroup-parent', cgroupParent], { stdio: 'ignore', detached: true });
  await waitForSocket(sock, p, 'dockerd');
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(root, 'docker-config') };
  return {
    name: 'dockerd',
    host: `unix://${sock}`,
    env,
    pid: p.pid!,
    stop: cleanUpOnInterrupt(async () => {
      const ids = (await runProgram('docker', ['ps', '-aq'], { env }).catch(() => '')).split('\n').filter(Boolean);
      if (ids.length) await runProgram('docker', ['rm', '-f', ...ids], { env }).catch(() => undefined);
      await stopProcess(p);
      spawnSync('sh', ['-c', `grep ' ${root}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r umount -l`]);
      for (const hierarchy of readdirSync('/sys/fs/cgroup')) await rmdir(join('/sys/fs/cgroup', hierarchy, cgroupParent)).catch(() => undefined);
      await rmdir(join('/sys/fs/cgroup', cgroupParent)).catch(() => undefined);
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
      await rmdir(BENCH_ROOTS).catch(() => undefined); // when the other peer is done too
    }),
  };
}

export function ensureFixtures(): string {
  const tar = join(repoRoot, 'fixtures/out/busybox-rootfs.tar');
  if (!existsSync(tar)) spawnSync('bash', [join(repoRoot, 'scripts/make-fixtures.sh')], { stdio: 'inherit' });
  return tar;
}

export function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

export function printTable(title: string, rows: string[][]): void {
  console.log(`\n## ${title}`);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('   '));
}
