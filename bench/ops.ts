/**
 * Operations benchmarks:
 *  1. `docker logs -f` of a container printing ~50,000 lines/s: the daemon's CPU use while a
 *     client follows (utime+stime from /proc/<pid>/stat over the interval), berthd vs dockerd.
 *     Target: berthd < half of dockerd.
 *  2. 100 running containers, `docker stats` streaming all of them (refreshed every second):
 *     berthd's CPU share. Target: < 10% of one core.
 * Options: --seconds N (measuring interval, default 10), --containers N (default 100).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ensureFixtures, printTable, run, startBerthd, startDockerd, type Daemon } from './lib.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const CLK_TCK = 100;

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Share of one core `pid` used while `during` ran for `seconds`. */
async function cpuShare(pid: number, seconds: number): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000);
}

/** berthd from dist when built, else from source through tsx (same code, for development runs). */
/** CPU share of the daemon while `docker logs -f` follows a container printing ~50k lines/s. */
async function logsFollow(d: Daemon, seconds: number): Promise<{ share: number; linesPerSec: number }> {
  // seq prints 5,000 lines per burst, ten bursts a second.
  const id = (await run('docker', ['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', 'while true; do seq 1 5000; usleep 100000; done'], { env: d.env })).trim();
  const follower = spawn('docker', ['logs', '-f', '--tail', '0', id], { env: d.env, stdio: ['ignore', 'pipe', 'ignore'] });
  let lines = 0;
  follower.stdout.on('data', (c: Buffer) => {
    for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) lines++;
  });
  try {
    await new Promise((r) => setTimeout(r, 2000)); // let it settle
    const l0 = lines;
    const t0 = performance.now();
    const share = await cpuShare(d.pid, seconds);
    return { share, linesPerSec: (lines - l0) / ((performance.now() - t0) / 1000) };
  } finally {
    follower.kill();
    await run('docker', ['rm', '-f', id], { env: d.env }).catch(() => undefined);
  }
}

async function statsOfMany(d: Daemon, n: number, seconds: number): Promise<number> {
  for (let i = 0; i < n; i++) await run('docker', ['run', '-d', '--network', 'none', 'busybox', 'sleep', '3600'], { env: d.env });
  const stats = spawn('docker', ['stats', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}'], { env: d.env, stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await new Promise((r) => setTimeout(r, 3000));
    return await cpuShare(d.pid, seconds);
  } finally {
    stats.kill();
    const ids = (await run('docker', ['ps', '-aq'], { env: d.env })).split('\n').filter(Boolean);
    if (ids.length) await run('docker', ['rm', '-f', ...ids], { env: d.env });
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export async function main(): Promise<void> {
  const seconds = arg('--seconds', 10);
  const count = arg('--containers', 100);
  const tar = ensureFixtures();
  const daemons: Daemon[] = [await startBerthd()];
  const dockerd = await startDockerd();
  if (dockerd) daemons.push(dockerd);
  try {
    for (const d of daemons) await run('docker', ['import', tar, 'busybox:latest'], { env: d.env });
    const logs: Record<string, { share: number; linesPerSec: number }> = {};
    for (const d of daemons) logs[d.name] = await logsFollow(d, seconds);
    const rows = [['workload', ...daemons.map((d) => d.name), 'ratio berthd/dockerd', 'target']];
    rows.push(['logs -f of ~50k lines/s: daemon CPU', ...daemons.map((d) => pct(logs[d.name]!.share)), dockerd ? (logs.berthd!.share / logs.dockerd!.share).toFixed(2) : '-', '< 0.5']);
    rows.push(['  lines/s the follower received', ...daemons.map((d) => Math.round(logs[d.name]!.linesPerSec).toString()), '-', '-']);
    const statsShare = await statsOfMany(daemons[0]!, count, seconds);
    rows.push([`docker stats of ${count} containers: berthd CPU`, pct(statsShare), ...(dockerd ? ['-'] : []), '-', '< 10%']);
    printTable(`ops (${seconds}s intervals)`, rows);
  } finally {
    for (const d of daemons) await d.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
