import type { EngineEvent, EventBus } from '../../engine/events/bus.js';
import { diskUsage, type DiskUsageDeps, type DiskUsageType } from '../../engine/ops/disk-usage.js';
import { streamEvents } from '../../engine/ops/event-stream.js';
import { pruneContainers } from '../../engine/ops/prune.js';
import { InvalidParameterError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { queryFilters, sendJSON } from '../http.js';
import type { ApiRouter } from '../router.js';

export interface SystemOpsDeps extends DiskUsageDeps {
  events: EventBus;
  log: Logger;
}

const DF_TYPES: DiskUsageType[] = ['container', 'image', 'volume', 'build-cache'];

/**
 * Events, disk usage and container prune (networks, volumes, images and the build cache are
 * pruned by their own route modules).
 */
export function registerSystemOpsRoutes(router: ApiRouter, deps: SystemOpsDeps): void {
  router.get('/events', async ({ req, res, query }) => {
    const opts = { since: query.get('since') ?? undefined, until: query.get('until') ?? undefined, filters: queryFilters(query) };
    await streamEvents(deps.events, opts, {
      // Called once the query is validated: bad filters are still a 400, and the client
      // sees the 200 at once, before any event.
      ready: () => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
      },
      write: (e: EngineEvent) => void res.write(JSON.stringify(e) + '\n'),
      end: () => {
        if (!res.writableEnded) res.end();
      },
      closed: new Promise<void>((resolve) => {
        req.once('close', resolve);
        res.once('close', resolve);
      }),
    });
  });

  router.get('/system/df', async ({ res, query }) => {
    const types = query.getAll('type') as DiskUsageType[];
    for (const t of types) if (!DF_TYPES.includes(t)) throw new InvalidParameterError(`type=${t} is invalid`);
    sendJSON(res, 200, await diskUsage(deps, types.length ? types : DF_TYPES));
  });

  router.post('/containers/prune', async ({ res, query }) => {
    sendJSON(res, 200, await pruneContainers(deps, queryFilters(query)));
  });
}
