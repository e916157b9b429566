/** /volumes: list, create, inspect, remove, prune. */
import { z } from 'zod';
import type { VolumeService } from '../../engine/volumes/service.js';
import { NotImplementedError } from '../../util/errors.js';
import { queryBool, queryFilters, readJSON, sendEmpty, sendJSON } from '../http.js';
import type { ApiRouter } from '../router.js';

const StringMap = z.record(z.string(), z.string());

const CreateBody = z
  .object({
    Name: z.string().optional(),
    Driver: z.string().optional(),
    DriverOpts: StringMap.nullish(),
    Labels: StringMap.nullish(),
    ClusterVolumeSpec: z.unknown().optional(),
  })
  .passthrough();

export function registerVolumeRoutes(router: ApiRouter, volumes: VolumeService): void {
  router.get('/volumes', async ({ res, query }) => sendJSON(res, 200, await volumes.list(queryFilters(query))));

  router.post('/volumes/create', async ({ req, res }) => {
    const b = await readJSON(req, CreateBody);
    if (b.ClusterVolumeSpec) throw new NotImplementedError('cluster volumes are not supported');
    sendJSON(res, 201, await volumes.create({ Name: b.Name, Driver: b.Driver, DriverOpts: b.DriverOpts ?? undefined, Labels: b.Labels ?? undefined }));
  });

  router.post('/volumes/prune', async ({ res, query }) => sendJSON(res, 200, await volumes.prune(queryFilters(query))));

  router.get('/volumes/:name', async ({ res, params, query }) => {
    sendJSON(res, 200, await volumes.inspect(decodeURIComponent(params.name ?? ''), { usage: queryBool(query, 'usage') }));
  });

  router.put('/volumes/:name', () => {
    throw new NotImplementedError('cluster volumes are not supported: only cluster volumes can be updated');
  });

  router.delete('/volumes/:name', async ({ res, params, query }) => {
    await volumes.remove(decodeURIComponent(params.name ?? ''), { force: queryBool(query, 'force') });
    sendEmpty(res, 204);
  });
}
