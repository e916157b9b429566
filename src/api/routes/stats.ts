import type { ContainerService } from '../../engine/containers/service.js';
import { zeroStats, type ContainerStatsJSON, type StatsCollector } from '../../engine/ops/stats.js';
import { queryBool } from '../http.js';
import type { ApiRouter } from '../router.js';

/**
 * `GET /containers/{id}/stats`: with `stream` (the default) one JSON document per second until
 * the client leaves; `stream=false` one document whose precpu_stats is a second older (so the
 * CLI can compute CPU %); `one-shot=true` (with stream=false) one document right away.
 */
export function registerStatsRoutes(router: ApiRouter, containers: ContainerService, stats: StatsCollector): void {
  router.get('/containers/:id/stats', async ({ req, res, params, query }) => {
    const c = containers.store.mustFind(decodeURIComponent(params.id ?? ''));
    const stream = queryBool(query, 'stream', true);
    const oneShot = queryBool(query, 'one-shot', false);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const send = (s: ContainerStatsJSON) => res.write(JSON.stringify(s) + '\n');

    if (!stream && (oneShot || !c.state.Running)) {
      res.end(JSON.stringify(c.state.Running ? stats.sample(c) : zeroStats(c)) + '\n');
      return;
    }
    const first = stats.sample(c);
    if (stream) send(first);
    await new Promise<void>((resolve) => {
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        unsubscribe();
        resolve();
      };
      const unsubscribe = stats.subscribe(c.id, (s) => {
        // A reader that does not keep up skips samples rather than having them buffered.
        if (!res.writableNeedDrain) send(s);
        if (!stream) done();
      });
      req.once('close', done);
      res.once('close', done);
    });
    if (!res.writableEnded) res.end();
  });
}
