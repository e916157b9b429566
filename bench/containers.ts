import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectRuntime } from '../src/runtime/oci-runtime.js';
import { cleanUpOnInterrupt, ensureFixtures, fmt, median, pidsOf, printTable, repoRoot, rssKb, run, startBerthd, startDockerd, timeIt, type Daemon } from './lib.js';

/**
 * Container benchmarks (issue 3 targets), berthd and Debian's dockerd 20.10 side by side:
 *  - `docker run --rm busybox true` median vs a raw `runc run` of the same rootfs
 *  - `berth run --rm busybox true`, taking turns with `docker run --rm` on the same berthd
 *  - 50 × `docker run -d` in sequence, in rounds that take turns between the daemons (median)
 *  - memory per idle container (supervisor + daemon growth)
 * berthd runs on its default runtime (crun where crun can run containers here, else runc)
 * and, where that is crun, a second time with `--default-runtime runc`. The `run --rm` samples
 * take turns between the daemons, so that a slow spell of the machine does not land on one.
 * Usage: node dist/bench/containers.js [--runs N] [--idle N] [--rounds N]
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Contender {
  name: string;
  once: () => Promise<unknown> | unknown;
  /** Untimed clean-up after each `once`. */
  after?: () => Promise<unknown>;
}

/**
 * The times of each contender's `once`, the contenders taking turns sample by sample (after
 * `warmup` untimed rounds): this VM's speed drifts by up to 2x over seconds, and one pass per
 * contender would hand a slow spell to whichever ran then.
 */
async function takingTurns(runs: number, contenders: Contender[], warmup = 2): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < runs + warmup; i++) {
    for (const c of contenders) {
      const took = await timeIt(c.once);
      await c.after?.();
      if (i >= warmup) samples.get(c.name)!.push(took);
    }
  }
  return samples;
}

function medians(samples: Map<string, number[]>): Record<string, number> {
  return Object.fromEntries([...samples].map(([name, s]) => [name, median(s)]));
}

const RAW_RUNC = 'raw runc';

/** `runc run` of the busybox rootfs with runc's own example spec, the yardstick of issue 3. */
function rawRunc(): Contender & { cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-runc-'));
  cpSync(join(repoRoot, 'fixtures/out/busybox-rootfs'), join(dir, 'rootfs'), { recursive: true });
  spawnSync('runc', ['spec'], { cwd: dir });
  const spec = JSON.parse(spawnSync('cat', [join(dir, 'config.json')]).stdout.toString());
  spec.process.terminal = false;
  spec.process.args = ['true'];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  let n = 0;
  return {
    name: RAW_RUNC,
    once: () => spawnSync('runc', ['--root', join(dir, 'state'), 'run', `bench-${process.pid}-${n++}`], { cwd: dir, stdio: 'ignore' }),
    cleanup: cleanUpOnInterrupt(() => rmSync(dir, { recursive: true, force: true })),
  };
}

async function idleMemory(d: Daemon, n: number, supervisor: string): Promise<{ perContainerKb: number; daemonKb: number }> {
  const before = rssKb(d.pid);
  const supBefore = pidsOf(supervisor).reduce((s, p) => s + rssKb(p), 0);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await run('docker', ['run', '-d', '--network', 'none', 'busybox', 'sleep', '100000'], { env: d.env })).trim());
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssKb(d.pid);
  const supAfter = pidsOf(supervisor).reduce((s, p) => s + rssKb(p), 0);
  await run('docker', ['rm', '-f', ...ids], { env: d.env });
  return { perContainerKb: (supAfter - supBefore + Math.max(0, after - before)) / n, daemonKb: after };
}

export async function main(): Promise<void> {
  const runs = arg('--runs', 15);
  const idle = arg('--idle', 20);
  const rounds = arg('--rounds', 3);
  const tar = ensureFixtures();
  const rawContender = rawRunc();
  const best = await selectRuntime(undefined, { quiet: true });
  const daemons: Daemon[] = [{ ...(await startBerthd()), name: `berthd (${best.name})` }];
  if (best.name === 'crun') daemons.push({ ...(await startBerthd(['--default-runtime', 'runc'])), name: 'berthd (runc)' });
  const berths = daemons.map((d) => d.name);
  const dockerd = await startDockerd();
  if (dockerd) daemons.push(dockerd);
  try {
    for (const d of daemons) await run('docker', ['import', tar, 'busybox:latest'], { env: d.env });
    const header = ['workload', ...daemons.map((d) => d.name), ...berths.map((b) => `${b} / dockerd`), ...berths.map((b) => `${b} / raw runc`)];
    const rows = [header];
    // Each row also goes to stderr once measured: a peer that hangs later (dockerd 20.10 once
    // wedged removing 200 containers) must not take the figures already measured with it.
    const addRow = (row: string[]) => {
      rows.push(row);
      console.error(row.map((cell, i) => (i ? `${header[i]}: ${cell}` : cell)).join('; '));
    };
    const dockerRunRm = (d: Daemon): Contender => ({ name: d.name, once: () => run('docker', ['run', '--rm', '--network', 'none', 'busybox', 'true'], { env: d.env }) });
    // `berth run --rm` takes turns with `docker run --rm` against the same daemons, so that
    // the two CLIs are compared within the same spells of this VM.
    const berthCli = join(repoRoot, 'bin/berth');
    const berthRuns = existsSync(join(repoRoot, 'dist/cli/berth.cjs')) ? daemons.filter((d) => berths.includes(d.name)) : [];
    const viaBerth = (name: string) => `${name} via berth`;
    const berthRunRm = (d: Daemon): Contender => ({ name: viaBerth(d.name), once: () => run(berthCli, ['run', '--rm', '--network', 'none', 'busybox', 'true'], { env: d.env }) });
    const runRm = medians(await takingTurns(runs, [...daemons.map(dockerRunRm), ...berthRuns.map(berthRunRm), rawContender]));
    const raw = runRm[RAW_RUNC]!;
    // The ratio columns of a row: each berthd against dockerd, then against raw runc ('-' where it means nothing).
    const ratios = (v: Record<string, number>, vsRaw: boolean) => [
      ...berths.map((b) => (dockerd ? (v[b]! / v.dockerd!).toFixed(2) : '-')),
      ...berths.map((b) => (vsRaw ? (v[b]! / raw).toFixed(2) : '-')),
    ];
    addRow(['docker run --rm busybox true (median)', ...daemons.map((d) => fmt(runRm[d.name]!)), ...ratios(runRm, true)]);
    if (berthRuns.length) {
      addRow(['berth run --rm busybox true (median)', ...berths.map((n) => fmt(runRm[viaBerth(n)]!)), ...(dockerd ? ['-'] : []), ...berths.map(() => '-'), ...berths.map((n) => (runRm[viaBerth(n)]! / raw).toFixed(2))]);
      addRow(['berth run --rm / docker run --rm, same berthd', ...berths.map((n) => (runRm[viaBerth(n)]! / runRm[n]!).toFixed(2)), ...(dockerd ? ['-'] : []), ...berths.map(() => '-'), ...berths.map(() => '-')]);
    }
    addRow(['raw runc run (median)', fmt(raw), ...daemons.slice(1).map(() => '-'), ...berths.map(() => '-'), ...berths.map(() => '1.00')]);
    const fiftyRunD = (d: Daemon): Contender => ({
      name: d.name,
      once: async () => {
        for (let i = 0; i < 50; i++) await run('docker', ['run', '-d', '--network', 'none', 'busybox', 'sleep', '1000'], { env: d.env });
      },
      after: async () => {
        const ids = (await run('docker', ['ps', '-aq'], { env: d.env })).split('\n').filter(Boolean);
        await run('docker', ['rm', '-f', ...ids], { env: d.env });
      },
    });
    const fiftyTimes = await takingTurns(rounds, daemons.map(fiftyRunD), 0);
    const fifty = medians(fiftyTimes);
    const spread = (t: number[]) => (t.length > 1 ? ` (${fmt(Math.min(...t))}-${fmt(Math.max(...t))})` : '');
    addRow([`50 x docker run -d (total, median of ${rounds})`, ...daemons.map((d) => fmt(fifty[d.name]!) + spread(fiftyTimes.get(d.name)!)), ...ratios(fifty, false)]);
    const mem: Record<string, { perContainerKb: number; daemonKb: number }> = {};
    for (const d of daemons) mem[d.name] = await idleMemory(d, idle, berths.includes(d.name) ? 'conmon' : 'containerd-shim');
    const perContainer = Object.fromEntries(Object.entries(mem).map(([n, m]) => [n, m.perContainerKb]));
    addRow([`memory per idle container (${idle} running)`, ...daemons.map((d) => `${(mem[d.name]!.perContainerKb / 1024).toFixed(2)} MB`), ...ratios(perContainer, false)]);
    addRow(['daemon RSS with them running', ...daemons.map((d) => `${(mem[d.name]!.daemonKb / 1024).toFixed(1)} MB`), ...berths.flatMap(() => ['-', '-'])]);
    printTable(`containers (${runs} runs each; raw runc median ${fmt(raw)}${best.fallbackReason ? `; no crun column: ${best.fallbackReason}` : ''})`, rows);
  } finally {
    for (const d of daemons) await d.stop();
    await rawContender.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
