import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import FindMyWay from 'find-my-way';
import { errorMessage } from '../../util/errors.js';
import { log as defaultLog } from '../../util/log.js';
import type { Action } from '../auth/access.js';
import { Authorizer } from '../auth/authorizer.js';
import { Htpasswd } from '../auth/htpasswd.js';
import { generateJwtKey, loadJwtKey } from '../auth/jwt.js';
import { BlobStore } from '../storage/blob-store.js';
import { GarbageCollector, type GcOptions, type GcResult } from '../storage/gc.js';
import { RegistryMetadata } from '../storage/metadata.js';
import { UploadManager } from '../storage/uploads.js';
import { openAccessLog } from './access-log.js';
import { deleteBlob, getBlob } from './blob-routes.js';
import type { RequestContext, Services } from './context.js';
import { RegistryError } from './errors.js';
import { send, sendError, sendJson } from './http.js';
import { listCatalog, listTags } from './listing-routes.js';
import { deleteManifest, getManifest, getReferrers, putManifest } from './manifest-routes.js';
import { Metrics } from './metrics.js';
import { validateName } from './names.js';
import { pemOrFile, type RegistryOptions } from './options.js';
import { Upstream } from './proxy.js';
import { cancelUpload, finishUpload, patchUpload, startUpload, uploadStatus } from './upload-routes.js';

export type { RegistryOptions } from './options.js';
export type { GcOptions, GcResult } from '../storage/gc.js';

export interface RunningRegistry {
  /** `http(s)://host:port` */
  url: string;
  port: number;
  /** Runs a garbage collection now (joins a running one). */
  gc(opts?: GcOptions): Promise<GcResult>;
  close(): Promise<void>;
}

// <name>/<what>: the name may contain slashes, so this is matched by hand, not by the router.
const REPO_ROUTE = /^\/v2\/(.+?)\/(tags\/list|manifests\/([^/]+)|blobs\/uploads\/?([^/]*)|blobs\/([^/]+)|referrers\/([^/]+))$/;

type Handler = (ctx: RequestContext) => Promise<void> | void;

const WRITE_METHODS = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

/** Starts an OCI distribution-spec v1.1 registry. */
export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const log = options.logger ?? defaultLog.child({ component: 'registry' });
  const blobs = new BlobStore(options.root);
  await blobs.init();
  const uploads = new UploadManager(options.root, blobs);
  await uploads.init();
  const meta = new RegistryMetadata(options.root);
  const gc = new GarbageCollector(blobs, meta);
  const metrics = new Metrics({ uploadsActive: () => uploads.activeCount, gcRuns: () => gc.runs, gcBytesFreed: () => gc.totalBytesFreed });
  blobs.onCreated = () => metrics.blobsStored++;

  let selfUrl = '';
  const tokenOpts = options.token;
  const auth = new Authorizer(
    {
      htpasswd: options.htpasswd ? Htpasswd.load(options.htpasswd) : undefined,
      rules: options.rules ?? tokenOpts?.rules,
      token: tokenOpts
        ? {
            realm: tokenOpts.realm,
            issuer: tokenOpts.issuer ?? 'berth-registry',
            service: tokenOpts.service ?? 'berth-registry',
            key: tokenOpts.key ? loadJwtKey(pemOrFile(tokenOpts.key)) : generateJwtKey(),
            expiresIn: tokenOpts.expiresIn,
          }
        : undefined,
    },
    () => selfUrl,
  );
  const services: Services = {
    blobs,
    uploads,
    meta,
    gc,
    auth,
    metrics,
    upstream: options.proxy ? new Upstream(options.proxy) : undefined,
    readOnly: Boolean(options.readOnly || options.proxy),
    log,
  };
  const accessLog = openAccessLog(options.accessLog);
  const gcDefaults: GcOptions = { gracePeriodMs: options.gc?.gracePeriodMs, deleteUntagged: options.gc?.deleteUntagged };

  const router = FindMyWay({ ignoreTrailingSlash: false });
  const routes = new Map<string, Handler>();
  const on = (method: 'GET' | 'HEAD' | 'POST', path: string, handler: Handler): void => {
    routes.set(`${method} ${path}`, handler);
    router.on(method, path, () => undefined);
  };
  const base: Handler = async (ctx) => {
    ctx.user = await auth.check(ctx.req, { actions: [] });
    sendJson(ctx.res, 200, {});
  };
  on('GET', '/v2/', base);
  on('HEAD', '/v2/', base);
  on('GET', '/v2', base);
  on('GET', '/v2/_catalog', async (ctx) => {
    const access = await auth.catalogAccess(ctx.req);
    ctx.user = access.user;
    listCatalog(ctx, access.visible);
  });
  on('GET', '/token', async (ctx) => sendJson(ctx.res, 200, await auth.issueToken(ctx.req, ctx.query)));
  on('GET', '/metrics', (ctx) => send(ctx.res, 200, { 'Content-Type': 'text/plain; version=0.0.4' }, metrics.render()));
  // Admin: run GC now. Only from the loopback interface.
  on('POST', '/_berth/gc', async (ctx) => {
    const remote = ctx.req.socket.remoteAddress ?? '';
    if (!/^(127\.|::1$|::ffff:127\.)/.test(remote)) throw new RegistryError('DENIED', 'GC can only be triggered from loopback');
    const grace = ctx.query.get('gracePeriodMs');
    const result = await gc.run({
      gracePeriodMs: grace !== null ? Number(grace) : gcDefaults.gracePeriodMs,
      deleteUntagged: ctx.query.get('deleteUntagged') === 'true' || gcDefaults.deleteUntagged,
      dryRun: ctx.query.get('dryRun') === 'true',
    });
    sendJson(ctx.res, 200, result);
  });

  async function dispatchRepo(ctx: RequestContext, path: string): Promise<void> {
    const m = REPO_ROUTE.exec(path);
    if (!m) throw new RegistryError('UNSUPPORTED', `no route for ${ctx.req.method} ${path}`, undefined, 404);
    const repo = m[1] as string;
    validateName(repo);
    const method = ctx.req.method ?? 'GET';
    const what = m[2] as string;
    const need = (actions: Action[]): Promise<void> =>
      auth.check(ctx.req, { repo, actions }).then((u) => {
        ctx.user = u;
      });
    if (WRITE_METHODS.has(method) && services.readOnly) {
      ctx.req.resume();
      throw new RegistryError('UNSUPPORTED', 'this registry is read-only');
    }
    if (what === 'tags/list') {
      if (method !== 'GET') throw unsupported(method, path);
      await need(['pull']);
      return listTags(ctx, repo);
    }
    if (m[3] !== undefined) {
      const reference = m[3];
      if (method === 'GET' || method === 'HEAD') return need(['pull']).then(() => getManifest(ctx, repo, reference));
      if (method === 'PUT') return need(['pull', 'push']).then(() => putManifest(ctx, repo, reference));
      if (method === 'DELETE') return need(['delete']).then(() => deleteManifest(ctx, repo, reference));
      throw unsupported(method, path);
    }
    if (what.startsWith('blobs/uploads')) {
      const id = m[4] ?? '';
      await need(['pull', 'push']);
      if (id === '') {
        if (method !== 'POST') throw unsupported(method, path);
        return startUpload(ctx, repo, async (from) => {
          try {
            await auth.check(ctx.req, { repo: from, actions: ['pull'] });
            return true;
          } catch {
            return false;
          }
        });
      }
      if (method === 'PATCH') return patchUpload(ctx, repo, id);
      if (method === 'PUT') return finishUpload(ctx, repo, id);
      if (method === 'GET') return uploadStatus(ctx, repo, id);
      if (method === 'DELETE') return cancelUpload(ctx, repo, id);
      throw unsupported(method, path);
    }
    if (m[5] !== undefined) {
      const digest = m[5];
      if (method === 'GET' || method === 'HEAD') return need(['pull']).then(() => getBlob(ctx, repo, digest));
      if (method === 'DELETE') return need(['delete']).then(() => deleteBlob(ctx, repo, digest));
      throw unsupported(method, path);
    }
    if (m[6] !== undefined) {
      if (method !== 'GET') throw unsupported(method, path);
      await need(['pull']);
      return getReferrers(ctx, repo, m[6]);
    }
    throw unsupported(method, path);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const ctx: RequestContext = { req, res, query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)), services, bytesIn: 0 };
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    res.once('close', () => {
      const bytes = req.method === 'HEAD' ? 0 : Number(res.getHeader('content-length') ?? 0);
      metrics.request(req.method ?? '', res.statusCode, ctx.bytesIn, bytes);
      accessLog?.({
        time: new Date().toISOString(),
        method: req.method ?? '',
        path,
        status: res.statusCode,
        bytes,
        bytesIn: ctx.bytesIn,
        duration: Math.round((performance.now() - started) * 1000) / 1000,
        user: ctx.user,
        remote: req.socket.remoteAddress,
      });
    });
    try {
      const method = req.method === 'HEAD' || req.method === 'GET' || req.method === 'POST' ? req.method : undefined;
      const found = method ? router.find(method, path) : null;
      const fixed = found ? routes.get(`${method} ${path}`) : undefined;
      if (fixed) await fixed(ctx);
      else if (path.startsWith('/v2/')) await dispatchRepo(ctx, path);
      else throw new RegistryError('UNSUPPORTED', `no route for ${req.method} ${path}`, undefined, 404);
    } catch (err) {
      if (err instanceof RegistryError) {
        sendError(res, err, req.method === 'HEAD');
      } else if (isAbort(err)) {
        res.destroy();
      } else {
        log.error('request failed', { method: req.method, path, error: errorMessage(err) });
        sendError(res, new RegistryError('UNKNOWN', errorMessage(err)), req.method === 'HEAD');
      }
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res);
  };
  const tls = options.tls;
  const server: Server = tls ? createHttpsServer({ cert: pemOrFile(tls.cert), key: pemOrFile(tls.key) }, listener) : createHttpServer(listener);
  server.keepAliveTimeout = 30_000;
  server.requestTimeout = 0; // large uploads may take long
  const { host, port } = splitAddr(options.addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  selfUrl = `${tls ? 'https' : 'http'}://${urlHost}:${actualPort}`;
  log.info('registry listening', { url: selfUrl, root: options.root, readOnly: services.readOnly, proxy: options.proxy?.url });

  let timer: NodeJS.Timeout | undefined;
  if (options.gcInterval && options.gcInterval > 0) {
    timer = setInterval(() => {
      gc.run(gcDefaults).then(
        (r) => log.info('gc finished', { blobs: r.deletedBlobs.length, manifests: r.deletedManifests.length, bytesFreed: r.bytesFreed }),
        (err: unknown) => log.error('gc failed', { error: errorMessage(err) }),
      );
      void uploads.purgeStale(7 * 24 * 3_600_000);
    }, options.gcInterval);
    timer.unref();
  }

  return {
    url: selfUrl,
    port: actualPort,
    gc: (opts) => gc.run({ ...gcDefaults, ...opts }),
    close: async () => {
      if (timer) clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gc.idle();
      meta.close();
    },
  };
}

function unsupported(method: string, path: string): RegistryError {
  return new RegistryError('UNSUPPORTED', `${method} is not supported on ${path}`);
}

function isAbort(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ERR_STREAM_DESTROYED' || code === 'EPIPE';
}

export function splitAddr(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid address "${addr}": expected HOST:PORT`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}
