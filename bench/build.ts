/**
 * Benchmark: Dockerfile builds with the classic builder protocol, berthd against a dockerd 20.10
 * started here on its own socket and data root. Both are driven by the same docker CLI
 * (DOCKER_BUILDKIT=0). Measures a cold build (--no-cache) of a three-stage Dockerfile with
 * three RUN steps and a COPY of 300 files, and the cached rebuild, the daemons taking turns;
 * prints medians and the median of the per-round ratios.
 * Run: node --import tsx bench/build.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBusybox, startTestDaemon } from '../test/helpers/daemon.js';

const RUNS = 7;
const DOCKER = '/usr/local/bin/docker';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const DOCKERFILE = `FROM busybox AS deps
RUN mkdir -p /out && echo dep > /out/dep
FROM busybox AS build
COPY files/ /src/
RUN cat /src/* | wc -c > /src-size
FROM busybox
COPY --from=deps /out /out
COPY --from=build /src-size /src-size
RUN cat /src-size /out/dep
`;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: NodeJS.ReadableStream): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    if (input && child.stdin) input.pipe(child.stdin);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

async function must(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(cmd, args, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.out}`);
  return r.out;
}

interface Timings {
  cold: number[];
  cached: number[];
}

async function timeBuild(env: NodeJS.ProcessEnv, ctx: string, into: Timings): Promise<void> {
  let t = performance.now();
  await must(DOCKER, ['build', '--no-cache', '-t', 'bench:cold', ctx], env);
  into.cold.push(performance.now() - t);
  t = performance.now();
  const out = await must(DOCKER, ['build', '-t', 'bench:cached', ctx], env);
  into.cached.push(performance.now() - t);
  if (/Running in/.test(out)) throw new Error(`cached rebuild ran a step:\n${out}`);
}

/**
 * The two daemons take turns, one build pair each per round: this VM's speed drifts by tens
 * of percent over a minute, and turns expose both to the same drift. The ratio printed is the
 * median of the rounds' ratios.
 */
async function timeBuildsInTurns(envs: [NodeJS.ProcessEnv, NodeJS.ProcessEnv], ctx: string): Promise<[Timings, Timings]> {
  const out: [Timings, Timings] = [{ cold: [], cached: [] }, { cold: [], cached: [] }];
  for (let i = 0; i < RUNS; i++) {
    await timeBuild(envs[0], ctx, out[0]);
    await timeBuild(envs[1], ctx, out[1]);
  }
  return out;
}

const pairedRatio = (a: number[], b: number[]): number => median(a.map((x, i) => x / b[i]!));

async function startDockerd(root: string): Promise<{ env: NodeJS.ProcessEnv; proc: ChildProcess }> {
  const sock = join(root, 'docker.sock');
  const proc = spawn('dockerd', [
    '-H', `unix://${sock}`, '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '--pidfile', join(root, 'docker.pid'),
    '--bridge', 'none', '--iptables=false', '--ip6tables=false',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(root, 'cfg') };
  for (let i = 0; i < 300; i++) {
    if ((await run(DOCKER, ['version'], env)).code === 0) return { env, proc };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`dockerd did not start:\n${log.slice(-3000)}`);
}

export async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'bench-build-'));
  const ctx = join(work, 'ctx');
  await mkdir(join(ctx, 'files'), { recursive: true });
  await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
  for (let i = 0; i < 300; i++) await writeFile(join(ctx, 'files', `f${String(i).padStart(3, '0')}.txt`), `file ${i}\n`.repeat(20));
  const berth = await startTestDaemon();
  let dockerd: { env: NodeJS.ProcessEnv; proc: ChildProcess } | undefined;
  try {
    await importBusybox(berth.client);
    const berthEnv = { ...berth.dockerEnv(), DOCKER_BUILDKIT: '0' };
    const saved = join(work, 'busybox.tar');
    await must(DOCKER, ['save', '-o', saved, 'busybox:latest'], berthEnv);
    dockerd = await startDockerd(join(work, 'dockerd'));
    await must(DOCKER, ['load', '-i', saved], dockerd.env);

    const [b, d] = await timeBuildsInTurns([berthEnv, dockerd.env], ctx);
    const fmt = (ms: number[]) => `${(median(ms) / 1000).toFixed(3)} s`;
    console.log(`build benchmark (median of ${RUNS} rounds, the daemons in turns; docker CLI, classic builder)`);
    console.log(`                 berthd      dockerd 20.10   ratio`);
    console.log(`cold (no cache)  ${fmt(b.cold).padEnd(11)} ${fmt(d.cold).padEnd(15)} ${pairedRatio(b.cold, d.cold).toFixed(2)}x   (target <= 0.5x)`);
    console.log(`cached rebuild   ${fmt(b.cached).padEnd(11)} ${fmt(d.cached).padEnd(15)} ${pairedRatio(b.cached, d.cached).toFixed(2)}x   (target <= 1x)`);
  } finally {
    if (dockerd) {
      dockerd.proc.kill('SIGTERM');
      await new Promise((r) => (dockerd!.proc.exitCode !== null ? r(undefined) : dockerd!.proc.once('exit', r)));
    }
    await berth.stop();
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
