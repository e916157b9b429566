/**
 * Attached `up`: follow every container's output with a prefix until they have all exited —
 * or, with `--abort-on-container-exit`, until the first one exits, then stop the rest. The
 * exit code is the one of `--exit-code-from`'s container, else of the first container that
 * stopped the project (abort mode), else 0.
 */
import type { ContainerSummary } from './api.js';
import { ComposeEngineError, type ComposeContext } from './context.js';
import { stopProject } from './lifecycle.js';
import { streamContainerLogs, type PrefixPrinter } from './logs.js';
import { nameOf, projectContainers, serviceOf } from './observed.js';

export interface FollowOptions {
  services: string[];
  printer: PrefixPrinter;
  abortOnExit?: boolean;
  exitCodeFrom?: string;
  /** Output since this unix time (seconds), so a restarted attach does not replay old logs. */
  since: number;
  timeout?: number;
  /** Aborts following (ctrl-c); the caller stops the containers. */
  signal: AbortSignal;
}

export async function followProject(ctx: ComposeContext, o: FollowOptions): Promise<number> {
  if (o.exitCodeFrom && !o.services.includes(o.exitCodeFrom)) throw new ComposeEngineError(`exit code from service "${o.exitCodeFrom}": no such service`);
  const containers = await projectContainers(ctx, { services: o.services });
  if (containers.length === 0) return 0;
  const codes = new Map<string, number>();
  let firstExit: ContainerSummary | undefined;
  let aborting = false;
  const streams = containers.map((c) => streamContainerLogs(ctx, c, { follow: true, since: String(o.since) }, o.printer).catch(() => {}));
  const exits = containers.map(async (c) => {
    const code = await ctx.api.waitContainer(c.Id, 'not-running');
    codes.set(c.Id, code);
    if (o.signal.aborted) return;
    o.printer.status(nameOf(c), `exited with code ${code}`);
    firstExit ??= c;
    if (o.abortOnExit && !aborting) {
      aborting = true;
      o.printer.message('Aborting on container exit...');
      await stopProject(ctx, { services: o.services, timeout: o.timeout });
    }
  });
  await Promise.race([Promise.all(exits), new Promise<void>((resolve) => o.signal.addEventListener('abort', () => resolve(), { once: true }))]);
  if (o.signal.aborted) return 130;
  await Promise.all(streams);
  if (o.exitCodeFrom) {
    const c = containers.find((x) => serviceOf(x) === o.exitCodeFrom);
    return c ? (codes.get(c.Id) ?? 0) : 0;
  }
  if (o.abortOnExit && firstExit) return codes.get(firstExit.Id) ?? 0;
  return 0;
}
