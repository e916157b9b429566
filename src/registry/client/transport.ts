import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { errorMessage } from '../../util/errors.js';
import { RegistryUnreachableError } from './errors.js';

/**
 * Plain node:http(s) with keep-alive agents: streams both ways without buffering, and is
 * faster than fetch for large bodies (no web-stream conversion per chunk).
 */
export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** A small body, or a stream (then `Content-Length` should be set by the caller). */
  body?: Buffer | Readable;
  /** false for insecure registries: HTTPS without certificate verification. */
  verifyTls?: boolean;
}

const AGENT_OPTIONS = { keepAlive: true, maxSockets: 32, keepAliveMsecs: 10_000 };
const httpAgent = new http.Agent(AGENT_OPTIONS);
const httpsAgent = new https.Agent(AGENT_OPTIONS);
const unverifiedHttpsAgent = new https.Agent({ ...AGENT_OPTIONS, rejectUnauthorized: false });

const USER_AGENT = 'berth/0.1 (distribution client)';
const MAX_REDIRECTS = 5;

/** Sends one request; resolves with the response head (any status). */
export function send(req: HttpRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const isHttps = req.url.protocol === 'https:';
    const mod = isHttps ? https : http;
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...req.headers };
    if (Buffer.isBuffer(req.body)) headers['Content-Length'] = String(req.body.length);
    else if (req.body === undefined && req.method !== 'GET' && req.method !== 'HEAD') headers['Content-Length'] ??= '0';
    const r = mod.request(req.url, { method: req.method, headers, agent: isHttps ? (req.verifyTls === false ? unverifiedHttpsAgent : httpsAgent) : httpAgent }, resolve);
    r.on('error', (err) => reject(new RegistryUnreachableError(`${req.method} "${req.url.href}": ${errorMessage(err)}`, { cause: err })));
    const body = req.body;
    if (body === undefined || Buffer.isBuffer(body)) r.end(body);
    else {
      body.on('error', (err) => r.destroy(err));
      body.pipe(r);
    }
  });
}

/**
 * GET/HEAD following redirects (blob storage may live elsewhere). Credentials go only to the
 * origin they were meant for.
 */
export async function sendFollowing(req: HttpRequest): Promise<{ res: IncomingMessage; url: URL }> {
  let current = req;
  for (let i = 0; i <= MAX_REDIRECTS; i++) {
    const res = await send(current);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status < 300 || status >= 400 || !location || (current.method !== 'GET' && current.method !== 'HEAD')) return { res, url: current.url };
    res.resume();
    const next = new URL(location, current.url);
    const headers = { ...current.headers };
    if (next.origin !== current.url.origin) delete headers.Authorization;
    current = { ...current, url: next, headers };
  }
  throw new RegistryUnreachableError(`too many redirects from ${req.url.href}`);
}

/** Reads a small body (manifests, errors, tokens) with a size limit. */
export async function readSmallBody(res: IncomingMessage, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      throw new RegistryUnreachableError(`response from registry is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Drains and discards a body so the socket returns to the pool. */
export function discard(res: IncomingMessage): void {
  res.resume();
}
