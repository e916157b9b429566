/**
 * Benchmark: `up -d` of the voting app (examples/voting-app) with its images already built,
 * until every service is running and healthy — berth compose → berthd against docker-compose
 * 1.29 → Debian's dockerd 20.10.
 *
 * Setup: the five images are built once in berthd (apt needs berthd's NAT), saved with
 * `docker save` and loaded into the dockerd, which runs on its own socket and roots with
 * `--bridge=none --iptables=false` so it never touches the host's rules; the stack's own
 * `front`/`back` user networks work there (published ports go through docker-proxy).
 * berth: `berth compose up -d --wait`. docker-compose 1.29 has no --wait, so its time is
 * `up -d` plus polling `docker inspect` every 50 ms until all five are running and healthy.
 * `down -v` between runs is not timed. Prints medians and the ratio.
 * Run: npm run build && node dist/bench/compose.js   (needs the Debian base: scripts/make-debian-base.sh)
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, median, printTable, repoRoot, run, startBerthd, startDockerd, type Daemon } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const APP = join(repoRoot, 'examples', 'voting-app');
const SERVICES = ['vote', 'redis', 'worker', 'db', 'result'];
const FILE = join(APP, 'compose.yaml');
const berthCli = () => [process.execPath, join(repoRoot, 'dist/src/cli/run.js')];

async function allHealthy(d: Daemon, project: string): Promise<boolean> {
  const ids = (await run('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], { env: d.env })).split('\n').filter(Boolean);
  if (ids.length < SERVICES.length) return false;
  const states = (await run('docker', ['inspect', '-f', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', ...ids], { env: d.env })).trim().split('\n');
  return states.every((s) => s === 'running ' || s === 'running healthy' || s === 'running');
}

async function timeBerth(d: Daemon): Promise<number[]> {
  const [node, cli] = berthCli();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run(node!, [cli!, 'compose', '-f', FILE, '-p', 'bench', '--progress', 'quiet', 'up', '-d', '--wait', '--no-build'], { env: { ...d.env, VOTE_PORT: '25000', RESULT_PORT: '25001' } });
    times.push(performance.now() - t);
    await run(node!, [cli!, 'compose', '-f', FILE, '-p', 'bench', '--progress', 'quiet', 'down', '-v', '-t', '1'], { env: d.env });
  }
  return times;
}

async function timeDockerCompose(d: Daemon): Promise<number[]> {
  const times: number[] = [];
  const env = { ...d.env, VOTE_PORT: '25010', RESULT_PORT: '25011' };
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run('docker-compose', ['--no-ansi', '-f', FILE, '-p', 'bench', 'up', '-d', '--no-build'], { env });
    while (!(await allHealthy(d, 'bench'))) await new Promise((r) => setTimeout(r, 50));
    times.push(performance.now() - t);
    await run('docker-compose', ['--no-ansi', '-f', FILE, '-p', 'bench', 'down', '-v', '-t', '1'], { env });
  }
  return times;
}

export async function main(): Promise<void> {
  const base = join(repoRoot, 'fixtures/out/debian-rootfs.tar');
  if (!existsSync(base)) {
    console.log('compose bench skipped: no Debian base (run scripts/make-debian-base.sh)');
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'bench-compose-'));
  const berth = await startBerthd();
  let dockerd: Daemon | undefined;
  try {
    await run('docker', ['import', base, 'debian-base:bookworm'], { env: berth.env });
    const [node, cli] = berthCli();
    await run(node!, [cli!, 'compose', '-f', FILE, '-p', 'bench', '--progress', 'quiet', 'build'], { env: berth.env });
    const images = SERVICES.map((s) => `bench-${s}`);
    const saved = join(work, 'images.tar');
    await run('docker', ['save', '-o', saved, ...images], { env: berth.env });
    const berthTimes = await timeBerth(berth);
    dockerd = await startDockerd();
    const rows = [['up -d until healthy (median)', 'berth compose → berthd', 'docker-compose 1.29 → dockerd 20.10', 'ratio']];
    if (dockerd) {
      await run('docker', ['load', '-i', saved], { env: dockerd.env });
      // docker-compose 1.29 names built images PROJECT_SERVICE.
      for (const s of SERVICES) await run('docker', ['tag', `bench-${s}`, `bench_${s}`], { env: dockerd.env });
      const dcTimes = await timeDockerCompose(dockerd);
      rows.push(['voting app, 5 services', fmt(median(berthTimes)), fmt(median(dcTimes)), (median(berthTimes) / median(dcTimes)).toFixed(2)]);
    } else rows.push(['voting app, 5 services', fmt(median(berthTimes)), '-', '-']);
    printTable(`compose up (${RUNS} runs)`, rows);
  } finally {
    await dockerd?.stop();
    await berth.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
