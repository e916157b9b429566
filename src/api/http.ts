import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { InvalidParameterError } from '../util/errors.js';

/** What every route handler receives. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  /** The API version the client asked for (path prefix), or the current one. */
  apiVersion: string;
  /** Present when the client asked to upgrade the connection (attach, exec start). */
  upgrade?: { socket: Duplex; head: Buffer };
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export function sendJSON(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body) + '\n');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
  res.end(data);
}

export function sendEmpty(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

const MAX_JSON_BODY = 16 * 1024 * 1024;

/** Reads a whole (small) request body; JSON bodies only, never layers. */
export async function readBody(req: IncomingMessage, limit = MAX_JSON_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new InvalidParameterError(`request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and validates a JSON body. An empty body is `{}`. Malformed JSON and type mismatches
 * become 400s that say which field is wrong.
 */
export async function readJSON<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  return parseJSONBody(await readBody(req), schema);
}

/** Validates an already-read JSON body (also used for hijacked requests, whose body Node leaves unread). */
export function parseJSONBody<T>(raw: Buffer, schema: z.ZodType<T>): T {
  let value: unknown = {};
  if (raw.length > 0 && raw.toString('utf8').trim() !== '') {
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new InvalidParameterError(`malformed JSON in request body: ${(err as Error).message}`);
    }
  }
  if (value === null) value = {};
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidParameterError(`invalid request body: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const at = issue.path.length ? issue.path.join('.') : 'body';
      return `${at}: ${issue.message}`;
    })
    .join('; ');
}

/** Docker's boolean query parameters accept 1/true/True (and 0/false). */
export function queryBool(query: URLSearchParams, name: string, fallback = false): boolean {
  const v = query.get(name);
  if (v === null || v === '') return fallback;
  const lower = v.toLowerCase();
  if (lower === '1' || lower === 'true' || lower === 'yes') return true;
  if (lower === '0' || lower === 'false' || lower === 'no') return false;
  throw new InvalidParameterError(`invalid boolean value for ${name}: "${v}"`);
}

export function queryInt(query: URLSearchParams, name: string, fallback?: number): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidParameterError(`invalid integer value for ${name}: "${v}"`);
  return n;
}

/**
 * Docker's `filters` query parameter: JSON `{"key": ["v1", "v2"]}` or the legacy
 * `{"key": {"v1": true}}` form. Returns key → values.
 */
export function queryFilters(query: URLSearchParams): Map<string, string[]> {
  const raw = query.get('filters');
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidParameterError(`invalid filters: ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidParameterError('invalid filters: expected a JSON object');
  }
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(value)) out.set(key, value.map(String));
    else if (typeof value === 'object' && value !== null) {
      out.set(key, Object.entries(value as Record<string, unknown>).filter(([, on]) => on).map(([k]) => k));
    } else throw new InvalidParameterError(`invalid filters: value of "${key}" must be a list`);
  }
  return out;
}
