import { mkdirSync } from 'node:fs';
import { registerContainerRoutes } from '../api/routes/containers.js';
import { registerContainerFileRoutes } from '../api/routes/container-files.js';
import { registerContainerStreamRoutes } from '../api/routes/container-streams.js';
import { registerExecRoutes } from '../api/routes/exec.js';
import { registerImageRoutes } from '../api/routes/images.js';
import { registerDistributionRoutes } from '../api/routes/distribution.js';
import { registerSystemRoutes } from '../api/routes/system.js';
import { registerStatsRoutes } from '../api/routes/stats.js';
import { registerSystemOpsRoutes } from '../api/routes/system-ops.js';
import { registerVolumeRoutes } from '../api/routes/volumes.js';
import { registerNetworkRoutes } from '../api/routes/networks.js';
import { ApiRouter } from '../api/router.js';
import { checkListenOptions, listen, type Listener } from '../api/server.js';
import { errorMessage } from '../util/errors.js';
import { createLogger, setLogLevel, type Logger } from '../util/log.js';
import { daemonCommand, resolveConfig, type DaemonConfig } from './config.js';
import { Engine } from './engine.js';
import { DirectoryLock } from './lock.js';

export interface RunningDaemon {
  engine: Engine;
  listeners: Listener[];
  stop(): Promise<void>;
}

/** Starts one berthd instance: locks its roots, opens its stores, serves the API. */
export async function startDaemon(config: DaemonConfig): Promise<RunningDaemon> {
  setLogLevel(config.logLevel);
  const log = createLogger();
  // A bad listen configuration fails before anything is created on the host.
  const tls = config.tls ? { verify: config.tlsVerify, ca: config.tlsCaCert, cert: config.tlsCert!, key: config.tlsKey! } : undefined;
  const listenOptions = { hosts: config.hosts, tls, allowInsecureTcp: config.allowInsecureTcp };
  checkListenOptions(listenOptions);
  mkdirSync(config.dataRoot, { recursive: true, mode: 0o711 });
  mkdirSync(config.execRoot, { recursive: true, mode: 0o711 });
  const dataLock = DirectoryLock.acquire(config.dataRoot, 'data root');
  let execLock: DirectoryLock | undefined;
  let engine: Engine | undefined;
  try {
    execLock = config.execRoot === config.dataRoot ? undefined : DirectoryLock.acquire(config.execRoot, 'exec root');
    engine = await Engine.create(config, log);
    const router = new ApiRouter(log.child({ component: 'api' }));
    registerSystemRoutes(router, engine);
    registerImageRoutes(router, engine);
    registerDistributionRoutes(router, engine);
    registerContainerRoutes(router, engine.containerService, engine.images);
    const builds = (await import('../api/routes/build.js')).registerBuildRoutes(router, engine);
    registerVolumeRoutes(router, engine.volumes);
    registerNetworkRoutes(router, engine.networks);
    registerContainerStreamRoutes(router, engine.containerService);
    registerExecRoutes(router, engine.containerService);
    registerContainerFileRoutes(router, engine.containerService, engine.images);
    registerStatsRoutes(router, engine.containerService, engine.ops.stats);
    router.observe(engine.ops.metrics.observer);
    registerSystemOpsRoutes(router, { events: engine.events, log: log.child({ component: 'api' }), containers: engine.containerService, images: engine.images, snapshots: engine.snapshots, volumes: () => engine?.volumes });
    await builds.ready;
    const listeners = await listen(router, listenOptions, log);
    await engine.ops.start({ metricsAddr: config.metricsAddr });
    engine.events.publish('daemon', 'start', engine.config.dataRoot);
    const running = engine;
    let stopping: Promise<void> | undefined;
    return {
      engine,
      listeners,
      stop: () =>
        (stopping ??= (async () => {
          await Promise.all(listeners.map((l) => l.close()));
          await builds.close();
          await running.ops.close();
          await running.close();
          execLock?.release();
          dataLock.release();
        })()),
    };
  } catch (err) {
    await engine?.close();
    execLock?.release();
    dataLock.release();
    throw err;
  }
}

export async function main(argv: string[]): Promise<void> {
  const program = daemonCommand();
  program.parse(argv);
  let daemon: RunningDaemon;
  try {
    const config = resolveConfig(program.opts());
    daemon = await startDaemon(config);
  } catch (err) {
    process.stderr.write(`berthd: ${errorMessage(err)}\n`);
    process.exit(1);
  }
  const log = createLogger();
  log.info('berthd started', { pid: process.pid, dataRoot: daemon.engine.config.dataRoot });
  reportFailuresNobodyCaught(log);
  const shutdown = (signal: string) => {
    log.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    daemon.stop().then(
      () => process.exit(0),
      (err) => {
        log.error('shutdown failed', { err: errorMessage(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/**
 * Failures that escaped every handler, in the log's own format. A promise nobody awaited has
 * lost its task or request, not berthd's state: it is logged and berthd serves on, since its
 * death would take the API from every container. A thrown exception may have left a handler
 * half done: it is logged and berthd exits, as Node would (the containers live on).
 */
function reportFailuresNobodyCaught(log: Logger): void {
  const fields = (err: unknown) => ({ err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined });
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', fields(reason)));
  process.on('uncaughtException', (err) => {
    log.error('uncaught exception', fields(err));
    process.exit(1);
  });
}
