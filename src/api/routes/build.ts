/**
 * `POST /build` (the classic builder protocol the docker CLI speaks with DOCKER_BUILDKIT=0) and
 * `POST /build/prune`.
 *
 * The body is the context tar; the answer a JSON message stream: `{"stream": "Step 1/5 : ..."}`
 * lines, `{"aux": {"ID": ...}}` for the result, `errorDetail` for a failure once output has
 * begun (before that, a plain HTTP error as Docker sends). Secrets (berth's extension): ids in
 * the `secrets` query parameter (JSON list), files in the context tar under
 * `.berth-build-secrets/<id>` (see engine/build/context/extract.ts).
 */
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Engine } from '../../daemon/engine.js';
import { cgroupParent } from '../../daemon/instance.js';
import { BuildCacheStore } from '../../engine/build/cache/store.js';
import { CacheMountManager } from '../../engine/build/cache/mounts.js';
import { prepareContext } from '../../engine/build/context/extract.js';
import { BuildStepFailedError } from '../../engine/build/executor/errors.js';
import { Builder, type BuildRequest } from '../../engine/build/executor/executor.js';
import { BridgeBuildNetwork, defaultBuildNetworks, type BuildNetworkMode } from '../../engine/build/executor/network.js';
import { pruneBuildCache } from '../../engine/build/cache/prune.js';
import { familiarName, formatReference, parseTaggedReference } from '../../engine/images/reference.js';
import { InvalidParameterError, errorMessage } from '../../util/errors.js';
import { queryBool, queryFilters, queryInt, sendJSON } from '../http.js';
import { JSONMessageStream } from '../json-stream.js';
import type { ApiRouter } from '../router.js';

function jsonQuery<T>(query: URLSearchParams, name: string, check: (v: unknown) => v is T, fallback: T): T {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidParameterError(`invalid ${name}: not JSON: ${raw}`);
  }
  if (value === null) return fallback;
  if (!check(value)) throw new InvalidParameterError(`invalid ${name}: ${raw}`);
  return value;
}

const isStringMap = (v: unknown): v is Record<string, string | null> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x === 'string');
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function checkPlatform(value: string | null): void {
  if (!value) return;
  const [os, arch, variant] = value.toLowerCase().split('/');
  if (os === 'linux' && (arch === 'amd64' || arch === 'x86_64') && (variant === undefined || variant === 'v1')) return;
  throw new InvalidParameterError(`platform "${value}" is not supported: this builder builds linux/amd64 only`);
}

function networkMode(value: string | null): BuildNetworkMode {
  if (!value || value === 'default' || value === 'bridge') return 'default';
  if (value === 'host' || value === 'none') return value;
  throw new InvalidParameterError(`network mode "${value}" is not supported by the builder (use default, host or none)`);
}

/**
 * Registers POST /build and /build/prune. `ready` resolves once what a killed berthd's builds
 * left is released; `close` releases what builds keep between them.
 */
export function registerBuildRoutes(router: ApiRouter, engine: Engine): { ready: Promise<void>; close(): Promise<void> } {
  const cache = new BuildCacheStore(engine.db);
  const bridge = new BridgeBuildNetwork(engine.networks);
  const leftovers = bridge.releaseLeftovers().catch((err: unknown) => {
    engine.log.warn('build sandboxes of an earlier run not released', { err: errorMessage(err) });
  });
  const cacheMounts = new CacheMountManager(join(engine.config.dataRoot, 'build', 'cache-mounts'));
  let builder: Builder | undefined;
  const getBuilder = () =>
    (builder ??= new Builder({
      images: engine.images,
      snapshots: engine.snapshots,
      runtime: engine.runtime,
      cache,
      cacheMounts,
      networks: defaultBuildNetworks(bridge),
      pull: engine.distributionService
        ? async (ref: string) => {
            await engine.distributionService!.pull({ image: ref, progress: { write: () => undefined } });
          }
        : undefined,
      scratchDir: engine.scratchDir,
      cgroupParent: cgroupParent(engine.instance),
      log: engine.log.child({ component: 'build' }),
    }));

  router.post('/build', async (ctx) => {
    const { query, req, res } = ctx;
    if (query.get('version') === '2') throw new InvalidParameterError('BuildKit (version=2) is not supported: use the classic builder (DOCKER_BUILDKIT=0)');
    if (query.get('remote')) throw new InvalidParameterError('remote build contexts are not supported: send the context as the request body');
    checkPlatform(query.get('platform'));
    const tags = query.getAll('t').filter((t) => t !== '');
    for (const t of tags) {
      try {
        parseTaggedReference(t);
      } catch (err) {
        throw new InvalidParameterError(`invalid tag "${t}": ${errorMessage(err)}`);
      }
    }
    const buildArgs: Record<string, string> = {};
    for (const [k, v] of Object.entries(jsonQuery(query, 'buildargs', isStringMap, {}))) if (v !== null) buildArgs[k] = v;
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(jsonQuery(query, 'labels', isStringMap, {}))) labels[k] = v ?? '';
    jsonQuery(query, 'cachefrom', isStringList, []);
    const secretIds = jsonQuery(query, 'secrets', isStringList, []);
    const extraHosts = query.getAll('extrahosts').flatMap((h) => h.split(',')).filter((h) => h !== '');
    const quiet = queryBool(query, 'q');
    const mode = networkMode(query.get('networkmode'));
    const registryConfig = req.headers['x-registry-config'];
    if (typeof registryConfig === 'string' && registryConfig !== '') {
      try {
        JSON.parse(Buffer.from(registryConfig, 'base64').toString('utf8'));
      } catch {
        throw new InvalidParameterError('invalid X-Registry-Config header: not base64-encoded JSON');
      }
    }

    const controller = new AbortController();
    let finished = false;
    res.on('close', () => {
      if (!finished) controller.abort();
    });
    const t0 = performance.now();
    const context = await prepareContext({ body: req, scratchDir: engine.scratchDir, dockerfile: query.get('dockerfile') ?? undefined, secretIds });
    const t1 = performance.now();
    let stream: JSONMessageStream | undefined;
    const out = () => (stream ??= new JSONMessageStream(res));
    try {
      const request: BuildRequest = {
        contextDir: context.contextDir,
        contextFileHashes: context.fileHashes,
        dockerfile: context.dockerfile,
        dockerfileName: context.dockerfileName,
        tags: tags.map((t) => formatReference(parseTaggedReference(t))),
        buildArgs,
        labels,
        target: query.get('target') || undefined,
        noCache: queryBool(query, 'nocache'),
        pull: queryBool(query, 'pull'),
        networkMode: mode,
        extraHosts,
        secrets: context.secrets,
        resources: { shmSize: queryInt(query, 'shmsize') || undefined, memory: queryInt(query, 'memory') || undefined, cpusetCpus: query.get('cpusetcpus') || undefined },
        signal: controller.signal,
      };
      const result = await getBuilder().build(request, {
        stream: (text) => {
          if (!quiet) out().stream(text);
        },
        aux: (value) => out().write({ aux: value }),
      });
      engine.log.debug('build finished', { contextMs: Math.round(t1 - t0), buildMs: Math.round(performance.now() - t1), steps: result.stepsRun, cached: result.cacheHits });
      out().write({ aux: { ID: result.imageId } });
      if (!quiet) {
        out().stream(`Successfully built ${result.imageId.slice(7, 19)}\n`);
        for (const t of tags) out().stream(`Successfully tagged ${familiarName(formatReference(parseTaggedReference(t)))}\n`);
      }
    } catch (err) {
      if (!stream) throw err;
      const message = errorMessage(err);
      const code = err instanceof BuildStepFailedError ? err.exitCode : undefined;
      stream.write({ errorDetail: { message, ...(code !== undefined ? { code } : {}) }, error: message });
    } finally {
      finished = true;
      await rm(context.root, { recursive: true, force: true }).catch(() => undefined);
      stream?.end();
    }
  });

  router.post('/build/prune', async ({ res, query }) => {
    const result = await pruneBuildCache({ cache, cacheMounts, images: engine.images, all: queryBool(query, 'all'), filters: queryFilters(query) });
    engine.events.publish('builder', 'prune', '', { reclaimed: String(result.SpaceReclaimed) });
    sendJSON(res, 200, result);
  });

  return {
    ready: leftovers,
    close: async () => {
      await leftovers;
      await bridge.close();
    },
  };
}
