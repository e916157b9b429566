/**
 * `docker push` and `docker pull` of a 256 MiB single-layer image (random data) through berthd
 * and through dockerd 20.10, each to a fresh `berth registry` per round (so every push really
 * uploads and every pull really downloads). Prints medians and ratios.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, printTable, run, startBerthd, startDockerd, timeIt, type Daemon } from './lib.js';
import { entryCommand } from '../test/helpers/paths.js';

const SIZE_MIB = Number(process.env.BENCH_DIST_MIB ?? 256);
const ROUNDS = Number(process.env.BENCH_DIST_ROUNDS ?? 3);
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitFor(check: () => Promise<boolean>, proc: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited early`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up`);
}

/** `berth registry serve` on a fresh root. */
async function startRegistry(): Promise<{ host: string; stop(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'bench-dist-registry-'));
  const port = await freePort();
  const [cmd, ...args] = entryCommand('cli');
  const p = spawn(cmd!, [...args, 'registry', 'serve', '--addr', `127.0.0.1:${port}`, '--root', root], { stdio: 'ignore' });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/v2/`)).ok, p, 'berth registry');
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A tarball with one file of random data: the rootfs of the benchmark image. */
async function makeTarball(dir: string): Promise<string> {
  const content = join(dir, 'rootfs');
  await run('sh', ['-c', `mkdir -p ${content} && head -c ${SIZE_MIB * 1024 * 1024} /dev/urandom > ${content}/random.bin && tar -C ${content} -cf ${dir}/rootfs.tar .`]);
  return join(dir, 'rootfs.tar');
}

interface Figures {
  push: number[];
  pull: number[];
}

async function measure(daemon: Daemon, tarball: string): Promise<Figures> {
  const env = daemon.env;
  await run('sh', ['-c', `docker import ${tarball} bench/big:1 >/dev/null`], { env });
  const figures: Figures = { push: [], pull: [] };
  let current = 'bench/big:1';
  for (let round = 0; round < ROUNDS; round++) {
    const registry = await startRegistry();
    try {
      const name = `${registry.host}/bench/big:1`;
      await run('docker', ['tag', current, name], { env });
      figures.push.push(await timeIt(() => run('docker', ['push', name], { env })));
      const id = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', name], { env })).trim();
      await run('docker', ['rmi', '-f', id], { env });
      figures.pull.push(await timeIt(() => run('docker', ['pull', name], { env })));
      current = 'bench/big:1';
      await run('docker', ['tag', name, current], { env });
      await run('docker', ['rmi', name], { env });
    } finally {
      await registry.stop();
    }
  }
  return figures;
}

export async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'bench-dist-'));
  try {
    const tarball = await makeTarball(work);
    const berthd = await startBerthd();
    let berth: Figures;
    try {
      berth = await measure(berthd, tarball);
    } finally {
      await berthd.stop();
    }
    const dockerd = existsSync('/usr/sbin/dockerd') ? await startDockerd() : undefined;
    let docker: Figures | undefined;
    if (dockerd) {
      try {
        docker = await measure(dockerd, tarball);
      } finally {
        await dockerd.stop();
      }
    }
    const rows = [['operation', 'berthd (median)', 'dockerd 20.10 (median)', 'speed-up']];
    for (const op of ['push', 'pull'] as const) {
      const b = median(berth[op]);
      const d = docker ? median(docker[op]) : NaN;
      rows.push([`docker ${op} ${SIZE_MIB} MiB`, fmt(b), docker ? fmt(d) : 'n/a', docker ? `${(d / b).toFixed(2)}x` : 'n/a']);
    }
    printTable(`distribution: ${ROUNDS} rounds, fresh registry each round`, rows);
    console.log(`berthd push ${berth.push.map(fmt).join(', ')}; pull ${berth.pull.map(fmt).join(', ')}`);
    if (docker) console.log(`dockerd push ${docker.push.map(fmt).join(', ')}; pull ${docker.pull.map(fmt).join(', ')}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
