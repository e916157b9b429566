import os from 'node:os';
import type { ApiRouter } from '../router.js';
import { sendJSON } from '../http.js';
import { API_VERSION, BERTH_VERSION, MIN_API_VERSION } from '../version.js';
import type { Engine } from '../../daemon/engine.js';

/** Docker sends these on every ping; the CLI negotiates its API version from Api-Version. */
function pingHeaders(): Record<string, string> {
  return {
    'Api-Version': API_VERSION,
    'Builder-Version': '1',
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Swarm: 'inactive',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    Server: `berth/${BERTH_VERSION} (linux)`,
  };
}

export function versionInfo(engine: Engine): Record<string, unknown> {
  const details = {
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: 'berth',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    KernelVersion: os.release(),
    BuildTime: engine.startedAt.toISOString(),
  };
  return {
    Platform: { Name: 'berth' },
    Components: [{ Name: 'Engine', Version: BERTH_VERSION, Details: details }, ...engine.componentVersions()],
    Version: BERTH_VERSION,
    ...details,
  };
}

export function registerSystemRoutes(router: ApiRouter, engine: Engine): void {
  router.getOrHead('/_ping', ({ req, res }) => {
    const headers = { ...pingHeaders(), 'Content-Type': 'text/plain; charset=utf-8' };
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': '0' });
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': '2' });
    res.end('OK');
  });

  router.get('/version', ({ res }) => sendJSON(res, 200, versionInfo(engine)));

  router.get('/info', async ({ res }) => sendJSON(res, 200, await engine.info()));
}
