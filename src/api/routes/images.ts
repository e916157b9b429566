import { Readable } from 'node:stream';
import type { Engine } from '../../daemon/engine.js';
import { importRootfs } from '../../engine/images/import.js';
import { loadImages } from '../../engine/images/load.js';
import { resolveSaveNames, saveImages } from '../../engine/images/save.js';
import { parsePlatform, type Platform } from '../../engine/images/platform.js';
import { imageHistory, inspectImage, listImages } from '../../engine/images/views.js';
import { InvalidParameterError, NotFoundError, errorMessage } from '../../util/errors.js';
import { queryBool, queryFilters, sendJSON, type RequestContext } from '../http.js';
import { JSONMessageStream } from '../json-stream.js';
import type { ApiRouter } from '../router.js';
import { pipeline } from 'node:stream/promises';

/** Image names contain slashes: `/images/{name}/json` is routed as a wildcard and split here. */
function nameAndAction(ctx: RequestContext, actions: readonly string[]): { name: string; action: string } {
  const rest = decodeURIComponent(ctx.params['*'] ?? '');
  const slash = rest.lastIndexOf('/');
  const action = slash >= 0 ? rest.slice(slash + 1) : '';
  if (slash < 0 || !actions.includes(action)) throw new NotFoundError('page not found');
  return { name: rest.slice(0, slash), action };
}

/** The `platform` of a pull or import: a Linux one (berth runs Linux images only). */
function linuxPlatform(value: string | null): Platform | undefined {
  if (!value) return undefined;
  const platform = parsePlatform(value);
  if (platform.os !== 'linux') throw new InvalidParameterError(`"${value}": operating system is not supported`);
  return platform;
}

export function registerImageRoutes(router: ApiRouter, engine: Engine): void {
  const images = engine.images;

  router.get('/images/json', ({ res, query }) => {
    const filters = queryFilters(query);
    const list = listImages(images, {
      all: queryBool(query, 'all'),
      filters,
      digests: queryBool(query, 'digests'),
      containerCounts: engine.containerCountsByImage(),
    });
    sendJSON(res, 200, list);
  });

  router.post('/images/create', async (ctx) => {
    const { query, req, res } = ctx;
    const fromSrc = query.get('fromSrc');
    const fromImage = query.get('fromImage');
    if (fromSrc === null && fromImage === null) throw new InvalidParameterError('either fromSrc or fromImage must be given');
    if (fromImage !== null) {
      await engine.pullImage(ctx, fromImage, query.get('tag') ?? undefined, linuxPlatform(query.get('platform')));
      return;
    }
    let source: Readable;
    if (fromSrc === '-') source = req;
    else if (/^https?:\/\//.test(fromSrc!)) {
      const r = await fetch(fromSrc!).catch((err: Error) => {
        throw new InvalidParameterError(`cannot download ${fromSrc}: ${err.message}`);
      });
      if (!r.ok || !r.body) throw new InvalidParameterError(`cannot download ${fromSrc}: HTTP ${r.status}`);
      source = Readable.fromWeb(r.body as import('node:stream/web').ReadableStream<Uint8Array>);
    } else throw new InvalidParameterError(`fromSrc must be "-" or an http(s) URL, not "${fromSrc}"`);
    const platform = linuxPlatform(query.get('platform'));
    // Validate everything we can before reading the body, so bad input changes nothing.
    const record = await importRootfs(images, {
      source,
      repo: query.get('repo') || undefined,
      tag: query.get('tag') || undefined,
      changes: query.getAll('changes'),
      message: query.get('message') || undefined,
      platform,
    });
    const stream = new JSONMessageStream(res);
    stream.status(record.id);
    stream.end();
  });

  router.post('/images/load', async ({ req, res, query }) => {
    const quiet = queryBool(query, 'quiet');
    const loaded = await loadImages(images, req, engine.scratchDir);
    const stream = new JSONMessageStream(res);
    for (const img of loaded) {
      if (img.tags.length === 0) stream.stream(`Loaded image ID: ${img.id}\n`);
      for (const t of img.tags) stream.stream(`Loaded image: ${t}\n`);
    }
    void quiet;
    stream.end();
  });

  router.get('/images/get', async ({ res, query }) => {
    await sendSave(res, engine, query.getAll('names'));
  });

  router.post('/images/prune', async ({ res, query }) => {
    sendJSON(res, 200, await engine.pruneImages(queryFilters(query)));
  });

  router.get('/images/*', async (ctx) => {
    const { name, action } = nameAndAction(ctx, ['json', 'history', 'get']);
    if (action === 'json') sendJSON(ctx.res, 200, await inspectImage(images, name, { graphDriverData: await engine.graphDriverData(name) }));
    else if (action === 'history') sendJSON(ctx.res, 200, await imageHistory(images, name));
    else await sendSave(ctx.res, engine, [name]);
  });

  router.post('/images/*', async (ctx) => {
    const { name, action } = nameAndAction(ctx, ['tag', 'push']);
    if (action === 'tag') {
      const repo = ctx.query.get('repo');
      if (!repo) throw new InvalidParameterError('repository name must have at least one component');
      images.tag(name, repo, ctx.query.get('tag') || undefined);
      ctx.res.writeHead(201);
      ctx.res.end();
    } else {
      await engine.pushImage(ctx, name, ctx.query.get('tag') ?? undefined);
    }
  });

  router.delete('/images/*', async (ctx) => {
    const name = decodeURIComponent(ctx.params['*'] ?? '');
    const records = await images.remove(name, { force: queryBool(ctx.query, 'force'), prune: !queryBool(ctx.query, 'noprune') });
    sendJSON(ctx.res, 200, records);
  });
}

async function sendSave(res: import('node:http').ServerResponse, engine: Engine, names: string[]): Promise<void> {
  if (names.length === 0) throw new InvalidParameterError('no image names given');
  const items = resolveSaveNames(engine.images, names);
  const tarStream = saveImages(engine.images, items);
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  try {
    await pipeline(tarStream, res);
  } catch (err) {
    engine.log.error('image save failed', { err: errorMessage(err) });
    res.destroy();
  }
}
