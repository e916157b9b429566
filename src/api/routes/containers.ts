import { z } from 'zod';
import type { ContainerCreateRequest } from '../../api/types/container.js';
import type { ContainerService } from '../../engine/containers/service.js';
import { inspectContainer, listContainers } from '../../engine/containers/views.js';
import type { ImageService } from '../../engine/images/service.js';
import { formatPlatform, parsePlatform, platformMatches } from '../../engine/images/platform.js';
import { InvalidParameterError, NotFoundError } from '../../util/errors.js';
import { queryBool, queryFilters, queryInt, readJSON, sendEmpty, sendJSON } from '../http.js';
import type { ApiRouter } from '../router.js';

/**
 * Body of `POST /containers/create`. Types are checked field by field (a string where Docker
 * wants a list is a 400 naming the field); unknown fields pass through as Docker ignores them.
 */
const strList = z.array(z.string()).nullish();
const CreateBody = z
  .object({
    Hostname: z.string().optional(),
    Domainname: z.string().optional(),
    User: z.string().optional(),
    AttachStdin: z.boolean().optional(),
    AttachStdout: z.boolean().optional(),
    AttachStderr: z.boolean().optional(),
    ExposedPorts: z.record(z.string(), z.object({}).passthrough()).nullish(),
    Tty: z.boolean().optional(),
    OpenStdin: z.boolean().optional(),
    StdinOnce: z.boolean().optional(),
    Env: strList,
    Cmd: strList,
    Entrypoint: strList,
    Image: z.string({ error: 'must be a string' }),
    Volumes: z.record(z.string(), z.object({}).passthrough()).nullish(),
    WorkingDir: z.string().optional(),
    Labels: z.record(z.string(), z.string()).nullish(),
    StopSignal: z.string().nullish(),
    StopTimeout: z.number().int().nullish(),
    Shell: strList,
    HostConfig: z
      .object({
        Binds: strList,
        Memory: z.number().int().nonnegative().optional(),
        MemorySwap: z.number().int().optional(),
        NanoCpus: z.number().int().nonnegative().optional(),
        CpuShares: z.number().int().nonnegative().optional(),
        PidsLimit: z.number().int().nullish(),
        CapAdd: strList,
        CapDrop: strList,
        SecurityOpt: strList,
        Privileged: z.boolean().optional(),
        ReadonlyRootfs: z.boolean().optional(),
        AutoRemove: z.boolean().optional(),
        NetworkMode: z.string().optional(),
        RestartPolicy: z.object({ Name: z.string().optional(), MaximumRetryCount: z.number().int().optional() }).passthrough().nullish(),
        PortBindings: z.record(z.string(), z.array(z.object({ HostIp: z.string().optional(), HostPort: z.string().optional() })).nullable()).nullish(),
        Ulimits: z.array(z.object({ Name: z.string(), Soft: z.number().int(), Hard: z.number().int() })).nullish(),
        Sysctls: z.record(z.string(), z.string()).nullish(),
        Tmpfs: z.record(z.string(), z.string()).nullish(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

export function registerContainerRoutes(router: ApiRouter, containers: ContainerService, images: ImageService): void {
  router.get('/containers/json', async ({ res, query }) => {
    sendJSON(
      res,
      200,
      await listContainers(containers, images, { all: queryBool(query, 'all'), limit: queryInt(query, 'limit'), size: queryBool(query, 'size'), filters: queryFilters(query) }),
    );
  });

  router.post('/containers/create', async ({ req, res, query }) => {
    const body = (await readJSON(req, CreateBody)) as ContainerCreateRequest;
    const name = query.get('name') || undefined;
    const platform = query.get('platform');
    if (platform && body.Image) {
      const wanted = parsePlatform(platform);
      const { config } = await images.configOf(body.Image);
      const have = { os: config.os || 'linux', architecture: config.architecture || 'amd64', ...(config.variant ? { variant: config.variant } : {}) };
      // As Docker: a 404, so the docker CLI goes to pull the image for that platform.
      if (!platformMatches(wanted, have)) {
        throw new NotFoundError(`image with reference ${body.Image} was found but its platform (${formatPlatform(have)}) does not match the specified platform (${formatPlatform(wanted)})`);
      }
    }
    sendJSON(res, 201, await containers.create(body, { name }));
  });

  router.get('/containers/:id/json', async ({ res, params, query }) => {
    const c = containers.store.mustFind(params.id!);
    sendJSON(res, 200, await inspectContainer(containers, images, c, { size: queryBool(query, 'size') }));
  });

  router.post('/containers/:id/start', async ({ res, params, query }) => {
    if (query.get('detachKeys')) validateDetachKeys(query.get('detachKeys')!);
    await containers.start(params.id!);
    sendEmpty(res);
  });

  router.post('/containers/:id/stop', async ({ res, params, query }) => {
    await containers.stop(params.id!, { timeoutSeconds: queryInt(query, 't'), signal: query.get('signal') || undefined });
    sendEmpty(res);
  });

  router.post('/containers/:id/restart', async ({ res, params, query }) => {
    await containers.restart(params.id!, { timeoutSeconds: queryInt(query, 't'), signal: query.get('signal') || undefined });
    sendEmpty(res);
  });

  router.post('/containers/:id/kill', async ({ res, params, query }) => {
    await containers.kill(params.id!, query.get('signal') || 'SIGKILL');
    sendEmpty(res);
  });

  router.post('/containers/:id/pause', async ({ res, params }) => {
    await containers.pause(params.id!);
    sendEmpty(res);
  });

  router.post('/containers/:id/unpause', async ({ res, params }) => {
    await containers.unpause(params.id!);
    sendEmpty(res);
  });

  router.post('/containers/:id/rename', ({ res, params, query }) => {
    containers.rename(params.id!, query.get('name') ?? '');
    sendEmpty(res);
  });

  router.post('/containers/:id/wait', async ({ req, res, params, query }) => {
    const condition = query.get('condition') || 'not-running';
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new InvalidParameterError(`invalid condition: "${condition}"`);
    containers.store.mustFind(params.id!);
    // Headers go out at once so the client knows the wait is registered (the docker CLI
    // waits for them before it starts the container).
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const ac = new AbortController();
    req.socket.once('close', () => ac.abort());
    try {
      const result = await containers.wait(params.id!, condition as 'not-running' | 'next-exit' | 'removed', ac.signal);
      res.end(JSON.stringify(result) + '\n');
    } catch {
      res.destroy();
    }
  });

  router.delete('/containers/:id', async ({ res, params, query }) => {
    if (queryBool(query, 'link')) throw new InvalidParameterError('legacy links are not supported');
    await containers.remove(params.id!, { force: queryBool(query, 'force'), volumes: queryBool(query, 'v') });
    sendEmpty(res);
  });
}

export function validateDetachKeys(keys: string): void {
  for (const k of keys.split(',')) {
    if (!/^(ctrl-[a-z@[\\\]^_]|[a-zA-Z0-9])$/.test(k)) throw new InvalidParameterError(`Invalid detach keys (${keys}) provided`);
  }
}
