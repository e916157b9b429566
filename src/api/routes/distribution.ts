import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Distribution, Engine } from '../../daemon/engine.js';
import type { ProgressMessage, ProgressSink } from '../../engine/distribution/progress.js';
import { credentialsFromHeader, type DistributionService } from '../../engine/distribution/service.js';
import { InvalidParameterError, NotFoundError, NotImplementedError, errorMessage } from '../../util/errors.js';
import { queryInt, readJSON, sendJSON, type RequestContext } from '../http.js';
import { JSONMessageStream } from '../json-stream.js';
import type { ApiRouter } from '../router.js';

/** A progress sink that opens the JSON message stream (200) on the first message. */
class ResponseSink implements ProgressSink {
  private stream?: JSONMessageStream;
  constructor(private readonly res: ServerResponse) {}
  get started(): boolean {
    return this.stream !== undefined;
  }
  write(message: ProgressMessage): void {
    (this.stream ??= new JSONMessageStream(this.res)).write(message as Record<string, unknown>);
  }
  fail(err: unknown): void {
    this.stream?.error(err);
  }
  end(): void {
    this.stream?.end();
  }
}

/**
 * Runs a pull or push for a request. Errors before the first progress message become a normal
 * HTTP error (404 pull access denied, 401, ...); later ones go in-band as errorDetail, as
 * dockerd does.
 */
async function streamed(ctx: RequestContext, onError: () => Promise<void>, fn: (sink: ResponseSink) => Promise<unknown>): Promise<void> {
  const sink = new ResponseSink(ctx.res);
  try {
    await fn(sink);
  } catch (err) {
    await onError();
    if (!sink.started) throw err;
    sink.fail(err);
  } finally {
    sink.end();
  }
}

/** The Distribution the image routes call (`POST /images/create?fromImage=`, `POST /images/{name}/push`). */
export function httpDistribution(service: DistributionService): Distribution {
  return {
    pull: (ctx, image, tag, platform) =>
      streamed(
        ctx,
        () => service.sweep(),
        (progress) => service.pull({ image, tag, platform, credentials: credentialsFromHeader(ctx.req.headers['x-registry-auth']), progress }),
      ),
    push: (ctx, image, tag) =>
      streamed(
        ctx,
        async () => undefined,
        (progress) => service.push({ image, tag, credentials: credentialsFromHeader(ctx.req.headers['x-registry-auth']), progress }),
      ),
  };
}

const AuthBody = z.object({
  username: z.string().optional(),
  password: z.string().optional(),
  auth: z.string().optional(),
  email: z.string().optional(),
  serveraddress: z.string().optional(),
  identitytoken: z.string().optional(),
  registrytoken: z.string().optional(),
});

function serviceOf(engine: Engine): DistributionService {
  if (!engine.distributionService) throw new NotImplementedError('this berthd has no registry client');
  return engine.distributionService;
}

export function registerDistributionRoutes(router: ApiRouter, engine: Engine): void {
  router.post('/auth', async ({ req, res }) => {
    const body = await readJSON(req, AuthBody);
    sendJSON(res, 200, await serviceOf(engine).login(body));
  });

  router.get('/distribution/*', async ({ params, req, res }) => {
    const rest = decodeURIComponent(params['*'] ?? '');
    if (!rest.endsWith('/json')) throw new NotFoundError('page not found');
    const name = rest.slice(0, -'/json'.length);
    if (!name) throw new InvalidParameterError('image name is required');
    sendJSON(res, 200, await serviceOf(engine).inspect(name, credentialsFromHeader(req.headers['x-registry-auth'])));
  });

  router.get('/images/search', async ({ query, req, res }) => {
    const term = query.get('term');
    if (!term) throw new InvalidParameterError('term is required');
    const limit = queryInt(query, 'limit', 25)!;
    try {
      sendJSON(res, 200, await serviceOf(engine).search(term, limit, credentialsFromHeader(req.headers['x-registry-auth'])));
    } catch (err) {
      engine.log.debug('search failed', { term, err: errorMessage(err) });
      throw err;
    }
  });
}
