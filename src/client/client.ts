import { readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import type https from 'node:https';
import { join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { API_VERSION } from '../api/version.js';

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

/** An error the daemon answered with: its status and Docker's `message`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The daemon could not be reached at all. */
export class ConnectionError extends Error {
  readonly code = 'BERTH_CONNECT';
  constructor(host: string, cause: Error) {
    super(`cannot connect to the berth daemon at ${host}: ${cause.message}. Is berthd running?`, { cause });
    this.name = 'ConnectionError';
  }
}

export interface ClientTls {
  /** The only CA the daemon's certificate may be signed by. */
  ca?: string;
  /**
   * Without `ca`: certificates trusted besides Node's own roots, as NODE_EXTRA_CA_CERTS would
   * add them had Node read it at startup (bin/berth defers it; see there).
   */
  extraCa?: string;
  cert?: string;
  key?: string;
  verify: boolean;
}

export interface ClientOptions {
  host?: string;
  tls?: ClientTls;
  apiVersion?: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | string[] | undefined>;
  /** A JSON value, or a stream sent as-is (tar bodies). */
  body?: unknown;
  headers?: Record<string, string>;
}

export type JSONMessage = {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { message: string; code?: number };
};

function isReadable(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function';
}

/** Reads BERTH_HOST / BERTH_TLS_VERIFY / BERTH_CERT_PATH like the docker CLI reads DOCKER_*. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): ClientOptions {
  const host = env.BERTH_HOST || DEFAULT_HOST;
  const certPath = env.BERTH_CERT_PATH;
  const verify = env.BERTH_TLS_VERIFY !== undefined && env.BERTH_TLS_VERIFY !== '' && env.BERTH_TLS_VERIFY !== '0';
  const tls = certPath || verify ? { verify, ca: certPath && join(certPath, 'ca.pem'), extraCa: env.BERTH_EXTRA_CA_CERTS, cert: certPath && join(certPath, 'cert.pem'), key: certPath && join(certPath, 'key.pem') } : undefined;
  return { host, tls };
}

/**
 * TLS, and the crypto under it, are loaded only for a TLS daemon: ~7 ms of every CLI start on a
 * unix socket otherwise.
 */
function tlsModules(): { https: typeof https; tls: typeof import('node:tls') } {
  return { https: process.getBuiltinModule('node:https'), tls: process.getBuiltinModule('node:tls') };
}

/** Node's roots plus the certificates in `file`; the roots alone when it cannot be read (Node only warns then). */
function rootsWith(file: string): string[] | undefined {
  try {
    return [...tlsModules().tls.rootCertificates, readFileSync(file, 'utf8')];
  } catch {
    return undefined;
  }
}

/**
 * A typed client for the Engine API over a unix socket or TCP (+TLS). The berth CLI and the
 * tests use it; it shares nothing with the daemon but the wire format.
 */
export class BerthClient {
  readonly host: string;
  private readonly apiVersion: string;
  private readonly agent: http.Agent;
  private readonly base: { socketPath?: string; hostname?: string; port?: number };
  private readonly transport: typeof http | typeof https;

  constructor(opts: ClientOptions = {}) {
    this.host = opts.host ?? DEFAULT_HOST;
    this.apiVersion = opts.apiVersion ?? API_VERSION;
    if (this.host.startsWith('unix://') || this.host.startsWith('/')) {
      this.base = { socketPath: this.host.replace(/^unix:\/\//, '') };
      this.transport = http;
      this.agent = new http.Agent({ keepAlive: true });
    } else {
      const url = new URL(this.host.replace(/^tcp:/, 'http:'));
      const useTls = !!opts.tls;
      this.base = { hostname: url.hostname, port: Number(url.port || (useTls ? 2376 : 2375)) };
      const secure = useTls ? tlsModules().https : undefined;
      this.transport = secure ?? http;
      this.agent = secure
        ? new secure.Agent({
            keepAlive: true,
            ca: opts.tls?.ca ? readFileSync(opts.tls.ca) : opts.tls?.extraCa ? rootsWith(opts.tls.extraCa) : undefined,
            cert: opts.tls?.cert ? readFileSync(opts.tls.cert) : undefined,
            key: opts.tls?.key ? readFileSync(opts.tls.key) : undefined,
            rejectUnauthorized: opts.tls?.verify ?? true,
          })
        : new http.Agent({ keepAlive: true });
    }
  }

  private path(path: string, query?: RequestOptions['query']): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) qs.append(k, item);
      else qs.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    }
    const s = qs.toString();
    return `/v${this.apiVersion}${path}${s ? `?${s}` : ''}`;
  }

  private requestOptions(method: string, path: string, opts: RequestOptions): https.RequestOptions {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined && !isReadable(opts.body)) headers['Content-Type'] ??= 'application/json';
    if (isReadable(opts.body)) headers['Content-Type'] ??= 'application/x-tar';
    return {
      method,
      path: this.path(path, opts.query),
      headers,
      agent: this.agent,
      socketPath: this.base.socketPath,
      hostname: this.base.hostname,
      port: this.base.port,
      // A server name matters only to TLS (SNI). Left unset, Node's agent works one out for
      // every request, and its first IPv6 check compiles a regular expression: ~7 ms of a CLI run.
      servername: this.transport === http ? '' : undefined,
    };
  }

  /** Sends a request and returns the raw response (any status). */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.transport.request(this.requestOptions(method, path, opts), resolve);
      req.on('error', (err) => reject(new ConnectionError(this.host, err)));
      if (isReadable(opts.body)) {
        opts.body.on('error', (err) => req.destroy(err));
        opts.body.pipe(req);
      } else req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
    });
  }

  /** Like request, but a status >= 400 becomes an ApiError carrying Docker's message. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const res = await this.request(method, path, opts);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    return res;
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.call(method, path, opts);
    const text = await readAll(res);
    return (text.length ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  /** A JSON message stream (pull, push, build, load); throws on the first in-band error. */
  async *messages(res: IncomingMessage): AsyncGenerator<JSONMessage> {
    let buf = '';
    for await (const chunk of res as AsyncIterable<Buffer>) {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as JSONMessage;
        if (msg.errorDetail || msg.error) throw new ApiError(500, msg.errorDetail?.message ?? msg.error ?? 'unknown error');
        yield msg;
      }
    }
    if (buf.trim()) {
      const msg = JSON.parse(buf) as JSONMessage;
      if (msg.errorDetail || msg.error) throw new ApiError(500, msg.errorDetail?.message ?? msg.error ?? 'unknown error');
      yield msg;
    }
  }

  /**
   * Upgrades the connection for attach/exec (`Connection: Upgrade, Upgrade: tcp`) and returns
   * the raw socket.
   */
  hijack(method: string, path: string, opts: RequestOptions = {}): Promise<{ socket: Duplex; head: Buffer }> {
    return new Promise((resolve, reject) => {
      const o = this.requestOptions(method, path, { ...opts, headers: { ...opts.headers, Connection: 'Upgrade', Upgrade: 'tcp' } });
      o.agent = false;
      const req = this.transport.request(o);
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('response', (res) => void errorFrom(res).then(reject));
      req.on('error', (err) => reject(new ConnectionError(this.host, err)));
      req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

async function errorFrom(res: IncomingMessage): Promise<ApiError> {
  const text = await readAll(res);
  let message = text.trim() || `HTTP ${res.statusCode}`;
  try {
    const body = JSON.parse(text) as { message?: string };
    if (body.message) message = body.message;
  } catch {
    /* not JSON: keep the text */
  }
  return new ApiError(res.statusCode ?? 500, message);
}
