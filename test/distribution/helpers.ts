import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/ports.js';
import { makeTar } from '../store/helpers.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (test registries live in this process: never block it). */
export function runCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

/** Runs and requires exit 0. */
export async function mustRun(cmd: string, args: string[], env?: NodeJS.ProcessEnv, input?: string): Promise<string> {
  const r = await runCommand(cmd, args, env, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}


export interface ExternalRegistry {
  host: string;
  url: string;
  stop(): Promise<void>;
}

/** Debian's distribution registry (`/usr/bin/docker-registry`) on a random loopback port. */
export async function startDistributionRegistry(): Promise<ExternalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-dist-registry-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    ['version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true', 'http:', `  addr: 127.0.0.1:${port}`, ''].join('\n'),
  );
  const proc = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let logs = '';
  proc.stderr.on('data', (d: Buffer) => (logs += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await new Promise<void>((r) => proc.once('exit', () => r()));
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200) return { host: `127.0.0.1:${port}`, url, stop };
    } catch {
      /* not yet */
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`docker-registry did not start:\n${logs}`);
}

/**
 * A TCP proxy in front of a registry that cuts the first response carrying a large body
 * after `cutAfter` bytes (the connection is destroyed mid-transfer). Later connections pass.
 */
export async function startCuttingProxy(target: { host: string; port: number }, cutAfter: number): Promise<{ host: string; cuts: () => number; close(): Promise<void> }> {
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    let forwarded = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (cuts === 0 && forwarded + chunk.length > cutAfter) {
        const keep = Math.max(0, cutAfter - forwarded);
        cuts++;
        client.write(chunk.subarray(0, keep), () => {
          client.destroy();
          upstream.destroy();
        });
        forwarded += keep;
        return;
      }
      forwarded += chunk.length;
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => client.end());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    cuts: () => cuts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A registry that serves one image whose layer bytes do not match the layer digest its
 * manifest promises (a malicious or broken registry).
 */
export async function startLyingRegistry(): Promise<{ host: string; layerDigest: string; close(): Promise<void> }> {
  // A valid tar: an unpacker reads it to the end, so only the digest check can refuse it.
  const layer = await makeTar([{ name: 'evil.txt', content: 'not the promised content\n' }]);
  const claimed = `sha256:${sha256Hex(randomBytes(32))}`;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [claimed] } }));
  const configDigest = `sha256:${sha256Hex(config)}`;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: claimed, size: layer.length }],
    }),
  );
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    const send = (status: number, body: Buffer, type = 'application/octet-stream') => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (url === '/v2/') return send(200, Buffer.from('{}'), 'application/json');
    if (url.endsWith('/manifests/latest')) return send(200, manifest, 'application/vnd.oci.image.manifest.v1+json');
    if (url.endsWith(`/blobs/${configDigest}`)) return send(200, config);
    if (url.endsWith(`/blobs/${claimed}`)) return send(200, layer);
    send(404, Buffer.from(JSON.stringify({ errors: [{ code: 'NOT_FOUND', message: 'not found' }] })), 'application/json');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    layerDigest: claimed,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** `docker run --rm IMAGE CMD...` output; falls back to run -d + wait + logs when attach is unavailable. */
export async function runInContainer(env: NodeJS.ProcessEnv, image: string, cmd: string[]): Promise<string> {
  const direct = await runCommand('docker', ['run', '--rm', image, ...cmd], env);
  if (direct.code === 0) return direct.stdout;
  const id = (await mustRun('docker', ['run', '-d', image, ...cmd], env)).trim();
  try {
    await mustRun('docker', ['wait', id], env);
    return await mustRun('docker', ['logs', id], env);
  } finally {
    await runCommand('docker', ['rm', '-f', id], env);
  }
}
