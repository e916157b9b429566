/**
 * Container filesystem and process routes: archive (docker cp), export, changes (diff),
 * commit, top, update, and a one-shot stats.
 */
import { execFile } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { ContainerConfig, HostConfig } from '../../api/types/container.js';
import { archiveContainerPath, commitContainer, containerChanges, exportContainer, extractToContainer, statContainerPath } from '../../engine/containers/files.js';
import { validateHostConfig } from '../../engine/containers/merge-config.js';
import type { ContainerService } from '../../engine/containers/service.js';
import type { ImageService } from '../../engine/images/service.js';
import { buildResources } from '../../runtime/spec/resources.js';
import { detectHostInfo } from '../../runtime/spec/host-info.js';
import { BerthError, ConflictError, InvalidParameterError, SystemError, errorMessage, wrapError } from '../../util/errors.js';
import { isRestarting, notRunning } from '../../engine/containers/errors.js';
import { queryBool, readJSON, sendJSON } from '../http.js';
import type { ApiRouter } from '../router.js';

const run = promisify(execFile);

const UpdateBody = z
  .object({
    Memory: z.number().int().nonnegative().optional(),
    MemorySwap: z.number().int().optional(),
    MemoryReservation: z.number().int().nonnegative().optional(),
    NanoCpus: z.number().int().nonnegative().optional(),
    CpuShares: z.number().int().nonnegative().optional(),
    CpuPeriod: z.number().int().nonnegative().optional(),
    CpuQuota: z.number().int().optional(),
    CpusetCpus: z.string().optional(),
    CpusetMems: z.string().optional(),
    PidsLimit: z.number().int().nullish(),
    BlkioWeight: z.number().int().nonnegative().optional(),
    RestartPolicy: z.object({ Name: z.string().optional(), MaximumRetryCount: z.number().int().optional() }).passthrough().nullish(),
  })
  .passthrough();

export function registerContainerFileRoutes(router: ApiRouter, containers: ContainerService, images: ImageService): void {
  router.head('/containers/:id/archive', async ({ res, params, query }) => {
    const stat = await statContainerPath(containers, params.id!, requiredPath(query));
    res.writeHead(200, { 'X-Docker-Container-Path-Stat': encodeStat(stat), 'Content-Type': 'application/json' });
    res.end();
  });

  router.get('/containers/:id/archive', async ({ res, params, query }) => {
    const { stat, stream } = await archiveContainerPath(containers, params.id!, requiredPath(query));
    res.writeHead(200, { 'X-Docker-Container-Path-Stat': encodeStat(stat), 'Content-Type': 'application/x-tar' });
    await pipeTo(stream, res);
  });

  router.put('/containers/:id/archive', async ({ req, res, params, query }) => {
    await extractToContainer(containers, params.id!, requiredPath(query), req, {
      noOverwriteDirNonDir: queryBool(query, 'noOverwriteDirNonDir'),
      copyUIDGID: queryBool(query, 'copyUIDGID'),
    });
    res.writeHead(200);
    res.end();
  });

  router.get('/containers/:id/export', async ({ res, params }) => {
    const stream = await exportContainer(containers, params.id!);
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await pipeTo(stream, res);
  });

  router.get('/containers/:id/changes', async ({ res, params }) => {
    sendJSON(res, 200, await containerChanges(containers, params.id!));
  });

  router.post('/commit', async ({ req, res, query }) => {
    const ref = query.get('container');
    if (!ref) throw new InvalidParameterError('container is required');
    const body = (await readJSON(req, z.object({}).passthrough())) as ContainerConfig;
    const result = await commitContainer(containers, images, ref, {
      repo: query.get('repo') || undefined,
      tag: query.get('tag') || undefined,
      comment: query.get('comment') || undefined,
      author: query.get('author') || undefined,
      pause: queryBool(query, 'pause', true),
      changes: query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== ''),
      config: Object.keys(body).length ? body : undefined,
    });
    sendJSON(res, 201, result);
  });

  router.get('/containers/:id/top', async ({ res, params, query }) => {
    const c = containers.store.mustFind(params.id!);
    if (c.state.Restarting) throw isRestarting(c.id);
    if (!c.state.Running) throw notRunning(c.id);
    const pids = await containers.deps.runtime.processes(c.id);
    sendJSON(res, 200, await top(pids, query.get('ps_args') || '-ef'));
  });

  router.post('/containers/:id/update', async ({ req, res, params }) => {
    const body = await readJSON(req, UpdateBody);
    sendJSON(res, 200, await updateContainer(containers, params.id!, body as Partial<HostConfig>));
  });
}

function requiredPath(query: URLSearchParams): string {
  const path = query.get('path');
  if (!path) throw new InvalidParameterError('path is required');
  return path;
}

function encodeStat(stat: object): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

/**
 * Streams a tar to the response. A failure mid-way can only cut the connection; a client
 * that goes away stops the tar (which closes its files and releases its mount).
 */
async function pipeTo(stream: Readable, res: ServerResponse): Promise<void> {
  await pipeline(stream, res).catch(() => undefined);
}

/**
 * `docker top`: the host's `ps` with the caller's arguments, filtered to the container's
 * processes by the PID column (as dockerd does).
 */
async function top(pids: number[], psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
  const args = psArgs.split(/\s+/).filter(Boolean);
  let stdout: string;
  try {
    ({ stdout } = await run('ps', args, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    // As dockerd: the first line of ps's complaint says why (the rest is its usage text).
    const why = String((err as { stderr?: unknown }).stderr ?? '').split('\n')[0] || errorMessage(err);
    throw new SystemError(`ps: ${why}`);
  }
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new SystemError(`Couldn't find PID field in ps output`);
  const wanted = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!wanted.has(Number(fields[pidCol]))) continue;
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(' '));
    processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

/** Docker's words for an update that passed validation and failed after: which container, and why. */
function cannotUpdate(id: string, err: unknown): BerthError {
  return wrapError(err, `Cannot update container ${id}`);
}

/**
 * What `docker update` can change. The docker CLI sends every field, a zero (or an empty
 * string, or no RestartPolicy name) meaning "not given": as Docker's UpdateContainer, only
 * what is set replaces the container's value.
 */
const UPDATABLE = ['BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'Memory', 'MemorySwap', 'MemoryReservation', 'KernelMemory', 'CpuRealtimePeriod', 'CpuRealtimeRuntime'] as const;

/** Docker's refusals of an update that contradicts what the container already has. */
function updateConflict(current: HostConfig, wanted: Partial<HostConfig>): string | undefined {
  const [nano, period, quota] = [wanted.NanoCpus ?? 0, wanted.CpuPeriod ?? 0, wanted.CpuQuota ?? 0];
  if (nano > 0 && (current.CpuPeriod ?? 0) > 0) return 'Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set';
  if (nano > 0 && (current.CpuQuota ?? 0) > 0) return 'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set';
  if (period > 0 && (current.NanoCpus ?? 0) > 0) return 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set';
  if (quota > 0 && (current.NanoCpus ?? 0) > 0) return 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set';
  if (wanted.Memory && !wanted.MemorySwap && (current.MemorySwap ?? 0) > 0 && current.MemorySwap! < wanted.Memory) {
    return 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time';
  }
  return undefined;
}

/** `docker update`: new limits applied to the running container and kept in its HostConfig. */
async function updateContainer(containers: ContainerService, ref: string, body: Partial<HostConfig>): Promise<{ Warnings: string[] }> {
  const c = containers.store.mustFind(ref);
  const { RestartPolicy, ...resources } = body;
  // Only what the request sets is sent to the runtime; the rest keeps its current value.
  const { resources: oci, warnings } = buildResources(resources, detectHostInfo(), true);
  if (RestartPolicy?.Name) validateHostConfig({ RestartPolicy } as HostConfig);
  const conflict = updateConflict(c.hostConfig, resources);
  if (conflict) throw cannotUpdate(c.id, new ConflictError(conflict));
  if (RestartPolicy?.Name && c.hostConfig.AutoRemove && RestartPolicy.Name !== 'no') {
    throw cannotUpdate(c.id, new ConflictError('Restart policy cannot be updated because AutoRemove is enabled for the container'));
  }
  const cur = containers.store.get(c.id) ?? c;
  if (cur.state.Running) await containers.deps.runtime.update(c.id, oci).catch((err: unknown) => Promise.reject(cannotUpdate(c.id, err)));
  const latest = containers.store.get(c.id) ?? cur;
  const hc: HostConfig = { ...latest.hostConfig };
  for (const k of UPDATABLE) if (resources[k]) (hc as Record<string, unknown>)[k] = resources[k];
  if (resources.PidsLimit !== undefined && resources.PidsLimit !== null) hc.PidsLimit = resources.PidsLimit;
  if (RestartPolicy?.Name) hc.RestartPolicy = RestartPolicy as HostConfig['RestartPolicy'];
  latest.hostConfig = hc;
  containers.store.save(latest);
  containers.event(c, 'update');
  return { Warnings: warnings };
}
