import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import FindMyWay from 'find-my-way';
import { BerthError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { sendJSON, type Handler, type RequestContext } from './http.js';
import { API_VERSION, MIN_API_VERSION, compareApiVersions } from './version.js';

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** Called after each request, for metrics and the debug log. */
export type RequestObserver = (info: { method: string; route: string; status: number; durationMs: number }) => void;

const VERSIONED = /^\/v(\d+\.\d+)(\/.*)$/;

/**
 * The Engine API router. Routes are registered once, without a version prefix; a request
 * for `/v1.43/containers/json` is served by `/containers/json` with apiVersion 1.43.
 * Unknown paths and errors get Docker's `{"message": ...}` JSON bodies.
 */
export class ApiRouter {
  private readonly routes = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true });
  private readonly observers: RequestObserver[] = [];

  constructor(private readonly log: Logger) {}

  get(path: string, handler: Handler): void {
    this.add(['GET'], path, handler);
  }
  /** GET and HEAD with the same handler (HEAD bodies are dropped by Node). */
  getOrHead(path: string, handler: Handler): void {
    this.add(['GET', 'HEAD'], path, handler);
  }
  head(path: string, handler: Handler): void {
    this.add(['HEAD'], path, handler);
  }
  post(path: string, handler: Handler): void {
    this.add(['POST'], path, handler);
  }
  put(path: string, handler: Handler): void {
    this.add(['PUT'], path, handler);
  }
  delete(path: string, handler: Handler): void {
    this.add(['DELETE'], path, handler);
  }
  observe(observer: RequestObserver): void {
    this.observers.push(observer);
  }

  private add(methods: Method[], path: string, handler: Handler): void {
    for (const m of methods) this.routes.on(m, path, () => undefined, { handler, route: path });
  }

  /** Serves one request; `upgrade` is set for `Connection: Upgrade` requests. */
  async handle(req: IncomingMessage, res: ServerResponse, upgrade?: { socket: Duplex; head: Buffer }): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://berth');
    let path = url.pathname;
    let apiVersion = API_VERSION;
    let route = 'unknown';
    const versioned = VERSIONED.exec(path);
    try {
      if (versioned) {
        apiVersion = versioned[1]!;
        path = versioned[2]!;
        if (compareApiVersions(apiVersion, API_VERSION) > 0) {
          throw new BerthError(400, 'BERTH_API_VERSION', `client version ${apiVersion} is too new. Maximum supported API version is ${API_VERSION}`);
        }
        if (compareApiVersions(apiVersion, MIN_API_VERSION) < 0) {
          throw new BerthError(400, 'BERTH_API_VERSION', `client version ${apiVersion} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
        }
      }
      const found = this.routes.find((req.method ?? 'GET') as Method, path);
      if (!found) {
        throw new BerthError(404, 'BERTH_NO_ROUTE', `page not found`);
      }
      const store = found.store as { handler: Handler; route: string };
      route = store.route;
      const ctx: RequestContext = { req, res, params: found.params, query: url.searchParams, apiVersion, upgrade };
      await store.handler(ctx);
    } catch (err) {
      this.fail(req, res, err);
    } finally {
      const durationMs = performance.now() - started;
      for (const o of this.observers) o({ method: req.method ?? 'GET', route, status: res.statusCode, durationMs });
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const status = err instanceof BerthError ? err.status : 500;
    const message = errorMessage(err);
    if (status >= 500) this.log.error('request failed', { method: req.method, url: req.url, err: message, stack: err instanceof Error && !(err instanceof BerthError) ? err.stack : undefined });
    else this.log.debug('request refused', { method: req.method, url: req.url, status, err: message });
    if (res.headersSent) {
      // Streaming already began: all we can do is end the stream.
      res.destroy(err instanceof Error ? err : undefined);
      return;
    }
    if (status === 304) {
      res.writeHead(304);
      res.end();
      return;
    }
    sendJSON(res, status, { message });
  }
}
