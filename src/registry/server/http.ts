import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError } from './errors.js';

export type Headers = Record<string, string | number>;

export function send(res: ServerResponse, status: number, headers: Headers = {}, body?: string | Buffer): void {
  const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'Content-Length': payload ? payload.length : 0 });
  res.end(payload);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Headers = {}): void {
  send(res, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
}

export function sendError(res: ServerResponse, err: RegistryError, head = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = err.body();
  res.writeHead(err.status, { ...err.headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

/** Reads a small body (a manifest) into memory, refusing anything larger than `limit`. */
export async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    throw new RegistryError('MANIFEST_INVALID', `manifest exceeds the ${limit} byte limit`, { limit }, 413);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new RegistryError('MANIFEST_INVALID', `manifest exceeds the ${limit} byte limit`, { limit }, 413);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Parses a `Range: bytes=a-b` header against a size; undefined = whole, null = unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined | null {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return null;
  return { start, end };
}

/** Parses the upload `Content-Range: <start>-<end>` (no unit, per the distribution spec). */
export function parseContentRange(header: string | undefined): { start: number; end: number } | undefined | null {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(\d+|\*))?$/.exec(header.trim());
  if (!m) return null;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) return null;
  return { start, end };
}

export function uploadRange(offset: number): string {
  return `0-${Math.max(0, offset - 1)}`;
}
