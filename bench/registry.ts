/**
 * Benchmark: `berth registry` against Debian's docker-registry (CNCF distribution), side by side
 * on loopback with filesystem storage. Measures blob GET throughput (256 MiB), monolithic
 * upload time (256 MiB) and 100 concurrent clients pulling one image, and prints medians and
 * ratios plus the peak RSS of our server. Run: node --import tsx bench/registry.ts
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, get, request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { siblingScript } from '../test/helpers/paths.js';

const MiB = 1024 * 1024;
const BLOB_SIZE = 256 * MiB;
const RUNS = 5;

interface Target {
  name: string;
  url: string;
  proc: ChildProcess;
  root: string;
}

const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

async function startBerth(): Promise<Target> {
  const root = await mkdtemp(join(tmpdir(), 'bench-berth-'));
  const [node, ...args] = siblingScript(import.meta.url, 'registry-child');
  const proc = spawn(node!, [...args, root], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
    proc.once('exit', (code) => reject(new Error(`berth registry exited ${code}`)));
  });
  await waitReady(url);
  return { name: 'berth', url, proc, root };
}

async function startDistribution(): Promise<Target> {
  const root = await mkdtemp(join(tmpdir(), 'bench-distribution-'));
  const port = await freePort();
  const config = join(root, 'config.yml');
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(root, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const proc = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url);
  return { name: 'distribution', url, proc, root };
}

async function stop(t: Target): Promise<void> {
  t.proc.kill('SIGTERM');
  await new Promise((r) => t.proc.once('exit', r));
  await rm(t.root, { recursive: true, force: true });
}

function peakRssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * A single-PUT upload: POST to open a session, then PUT ?digest= with the whole body (what
 * docker does; Debian's distribution 2.8 has no POST ?digest= single-shot). Returns ms.
 */
async function upload(url: string, repo: string, data: Buffer): Promise<number> {
  const digest = digestOf(data);
  const started = performance.now();
  const post = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await post.arrayBuffer();
  const loc = new URL(post.headers.get('location') ?? '', url);
  loc.searchParams.set('digest', digest);
  await new Promise<void>((resolve, reject) => {
    const req = request(
      { host: loc.hostname, port: loc.port, path: loc.pathname + loc.search, method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`upload: ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
  return performance.now() - started;
}

/** GETs a blob, counting bytes; returns milliseconds. */
function download(url: string, path: string, agent?: Agent): Promise<{ ms: number; bytes: number; digest: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(`${url}${path}`, { agent }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode}`));
      const hash = createHash('sha256');
      let bytes = 0;
      const verify = path.includes('/blobs/') && !path.endsWith('/');
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (verify) hash.update(c);
      });
      res.on('end', () => resolve({ ms: performance.now() - started, bytes, digest: `sha256:${hash.digest('hex')}` }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Times a GET with curl (a Node client would be the bottleneck on this machine). */
async function rawGet(url: string, path: string): Promise<{ ms: number; bytes: number }> {
  const out = await new Promise<string>((resolve, reject) => {
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', `${url}${path}`], (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  const [bytes, seconds] = out.trim().split(' ').map(Number) as [number, number];
  return { ms: seconds * 1000, bytes };
}

async function benchTarget(t: Target, blobs: Buffer[]): Promise<{ getGBs: number; uploadMs: number; concurrentMs: number; ok: number }> {
  const uploads: number[] = [];
  for (const b of blobs) uploads.push(await upload(t.url, 'bench/big', b));
  const path = `/v2/bench/big/blobs/${digestOf(blobs[0] as Buffer)}`;
  const gets: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await rawGet(t.url, path);
    if (r.bytes !== BLOB_SIZE) throw new Error(`short read ${r.bytes}`);
    gets.push(r.ms);
  }
  // A small image for the concurrent pull.
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layers = [randomBytes(4 * MiB), randomBytes(2 * MiB), randomBytes(MiB)];
  for (const b of [config, ...layers]) await upload(t.url, 'bench/img', b);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(l), size: l.length })),
    }),
  );
  const put = await fetch(`${t.url}/v2/bench/img/manifests/latest`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });
  if (put.status !== 201) throw new Error(`manifest put ${put.status}`);
  const concurrent: number[] = [];
  let ok = 0;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const m = await fetch(`${t.url}/v2/bench/img/manifests/latest`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
          const body = Buffer.from(await m.arrayBuffer());
          if (digestOf(body) !== digestOf(manifest)) return false;
          for (const b of [config, ...layers]) {
            const r = await download(t.url, `/v2/bench/img/blobs/${digestOf(b)}`, agent);
            if (r.digest !== digestOf(b)) return false;
          }
          return true;
        } finally {
          agent.destroy();
        }
      }),
    );
    concurrent.push(performance.now() - started);
    ok = results.filter(Boolean).length;
  }
  return { getGBs: BLOB_SIZE / 1e9 / (median(gets) / 1000), uploadMs: median(uploads), concurrentMs: median(concurrent), ok };
}

export async function main(): Promise<void> {
  const base = randomBytes(BLOB_SIZE);
  const blobs = Array.from({ length: 3 }, (_, i) => {
    const b = Buffer.from(base);
    b.writeUInt32LE(i + 1, 0); // distinct digests, so no run is deduplicated
    return b;
  });
  const results: Record<string, Awaited<ReturnType<typeof benchTarget>>> = {};
  let rss = NaN;
  for (const start of [startBerth, startDistribution]) {
    const t = await start();
    try {
      results[t.name] = await benchTarget(t, blobs);
      if (t.name === 'berth') rss = peakRssMiB(t.proc.pid);
    } finally {
      await stop(t);
    }
  }
  const b = results.berth as Awaited<ReturnType<typeof benchTarget>>;
  const d = results.distribution as Awaited<ReturnType<typeof benchTarget>>;
  const rows = [
    ['blob GET 256 MiB (GB/s, higher is better)', b.getGBs.toFixed(2), d.getGBs.toFixed(2), (b.getGBs / d.getGBs).toFixed(2)],
    ['monolithic upload 256 MiB (ms, lower is better)', b.uploadMs.toFixed(0), d.uploadMs.toFixed(0), (d.uploadMs / b.uploadMs).toFixed(2)],
    ['100 concurrent pulls 7 MiB image (ms)', b.concurrentMs.toFixed(0), d.concurrentMs.toFixed(0), (d.concurrentMs / b.concurrentMs).toFixed(2)],
  ];
  process.stdout.write('benchmark                                        berth   distribution  speedup\n');
  for (const r of rows) process.stdout.write(`${(r[0] as string).padEnd(48)} ${(r[1] as string).padStart(7)} ${(r[2] as string).padStart(13)} ${(r[3] as string).padStart(8)}x\n`);
  process.stdout.write(`concurrent pulls succeeded: berth ${b.ok}/100, distribution ${d.ok}/100; berth peak RSS ${rss.toFixed(0)} MiB\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
