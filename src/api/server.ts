import { chmodSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import http, { ServerResponse, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { InvalidParameterError, SystemError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { ApiRouter } from './router.js';

export interface TlsOptions {
  /** Require and verify client certificates against `ca` (dockerd's --tlsverify). */
  verify: boolean;
  ca?: string;
  cert: string;
  key: string;
}

export interface ListenOptions {
  /** `unix:///path` or `tcp://host:port`, as dockerd's -H. */
  hosts: string[];
  tls?: TlsOptions;
  /** Serve plain TCP without TLS: only with the loudly-named opt-in flag. */
  allowInsecureTcp: boolean;
  socketMode?: number;
  socketGroup?: number;
}

export interface Listener {
  address: string;
  close(): Promise<void>;
}

export type ParsedHost = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseHost(spec: string): ParsedHost {
  if (spec.startsWith('unix://')) {
    const path = spec.slice('unix://'.length);
    if (!path.startsWith('/')) throw new InvalidParameterError(`invalid host "${spec}": unix socket path must be absolute`);
    return { kind: 'unix', path };
  }
  if (spec.startsWith('tcp://')) {
    const url = new URL(spec.replace(/^tcp:/, 'http:'));
    const port = url.port ? Number(url.port) : 2376;
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port };
  }
  if (spec.startsWith('/')) return { kind: 'unix', path: spec };
  throw new InvalidParameterError(`invalid host "${spec}": expected unix:///path or tcp://host:port`);
}

/**
 * Checks the -H addresses and their TLS settings without opening anything, so a daemon with a
 * bad listen configuration fails before it touches the host.
 */
export function checkListenOptions(options: ListenOptions): void {
  for (const spec of options.hosts) {
    const host = parseHost(spec);
    if (host.kind !== 'tcp') continue;
    if (options.tls) {
      if (options.tls.verify && !options.tls.ca) throw new InvalidParameterError('--tlsverify needs --tlscacert to verify client certificates');
    } else if (!options.allowInsecureTcp) {
      throw new InvalidParameterError(
        `refusing to listen on ${spec} without TLS: give --tlsverify --tlscacert --tlscert --tlskey, or --allow-insecure-tcp-without-tls if you really mean it`,
      );
    }
  }
}

/**
 * Starts one HTTP server per -H address, all dispatching to the same router. Upgrade
 * requests (attach, exec) are routed too, with a ServerResponse bound to the raw socket so
 * handlers can answer errors normally before they hijack the connection.
 */
export async function listen(router: ApiRouter, options: ListenOptions, log: Logger): Promise<Listener[]> {
  checkListenOptions(options);
  const listeners: Listener[] = [];
  try {
    for (const spec of options.hosts) listeners.push(await listenOne(router, spec, options, log));
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
  return listeners;
}

function attachHandlers(server: http.Server, router: ApiRouter): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => void router.handle(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    socket.on('error', () => socket.destroy());
    void router.handle(req, res, { socket, head });
  });
  // Long-lived streams (logs -f, events, attach) must not be cut by Node's default timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
}

async function listenOne(router: ApiRouter, spec: string, options: ListenOptions, log: Logger): Promise<Listener> {
  const host = parseHost(spec);
  let server: http.Server;
  if (host.kind === 'tcp') {
    if (options.tls) {
      const tls = options.tls;
      server = https.createServer({
        cert: readFileSync(tls.cert),
        key: readFileSync(tls.key),
        ca: tls.ca ? readFileSync(tls.ca) : undefined,
        requestCert: tls.verify,
        rejectUnauthorized: tls.verify,
        minVersion: 'TLSv1.2',
      });
    } else {
      log.warn('serving the Engine API on plain TCP WITHOUT TLS: anyone who can reach this port has root on this host', { host: spec });
      server = http.createServer();
    }
  } else {
    server = http.createServer();
  }
  attachHandlers(server, router);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (host.kind === 'unix') {
      mkdirSync(dirname(host.path), { recursive: true });
      if (existsSync(host.path)) rmSync(host.path); // a stale socket from a crash; the data-root lock proves nobody serves it
      server.listen(host.path, () => resolve());
    } else {
      server.listen(host.port, host.host, () => resolve());
    }
  }).catch((err: Error) => {
    throw new SystemError(`cannot listen on ${spec}: ${err.message}`, { cause: err });
  });
  if (host.kind === 'unix') {
    chmodSync(host.path, options.socketMode ?? 0o660);
  }
  const address = host.kind === 'unix' ? `unix://${host.path}` : `tcp://${host.host}:${(server.address() as { port: number }).port}`;
  log.info('API listen on', { address });
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        if (host.kind === 'unix') rmSync(host.path, { force: true });
      }),
  };
}
