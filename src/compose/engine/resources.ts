/**
 * Project networks and volumes: created on `up` when a selected service uses them (external
 * ones must already exist), removed on `down` by their project label.
 */
import type { NetworkConfig, Service, VolumeConfig } from '../loader/index.js';
import { progress } from '../progress/index.js';
import { goneIfNotFound } from './api.js';
import { ComposeEngineError, inParallel, withProgress, type ComposeContext } from './context.js';
import { COMPOSE_VERSION, LABEL, projectFilter } from './labels.js';

function usedNetworks(services: Service[]): Set<string> {
  return new Set(services.flatMap((s) => (s.network_mode ? [] : Object.keys(s.networks ?? {}))));
}

function usedVolumes(services: Service[]): Set<string> {
  return new Set(services.flatMap((s) => (s.volumes ?? []).filter((v) => v.type === 'volume' && v.source).map((v) => v.source!)));
}

async function ensureNetwork(ctx: ComposeContext, key: string, net: NetworkConfig): Promise<void> {
  const existing = await ctx.api.findNetwork(net.name);
  if (net.external) {
    if (!existing) throw new ComposeEngineError(`network ${net.name} declared as external, but could not be found`);
    return;
  }
  if (existing) {
    const owner = existing.Labels?.[LABEL.project];
    if (owner && owner !== ctx.project.name) ctx.progress.info(`WARN[0000] a network with name ${net.name} exists but was not created for project "${ctx.project.name}".`);
    return;
  }
  const id = `Network ${net.name}`;
  ctx.progress.event(progress.working(id, 'Creating'));
  const ipam = net.ipam
    ? {
        Driver: net.ipam.driver ?? 'default',
        Config: (net.ipam.config ?? []).map((c) => ({ Subnet: c.subnet, IPRange: c.ip_range, Gateway: c.gateway, AuxiliaryAddresses: c.aux_addresses })),
        Options: net.ipam.options ?? {},
      }
    : undefined;
  try {
    await ctx.api.createNetwork({
      Name: net.name,
      CheckDuplicate: true,
      Driver: net.driver ?? 'bridge',
      Options: net.driver_opts ?? {},
      IPAM: ipam,
      Internal: Boolean(net.internal),
      Attachable: Boolean(net.attachable),
      EnableIPv6: net.enable_ipv6,
      Labels: { ...(net.labels ?? {}), [LABEL.network]: key, [LABEL.project]: ctx.project.name, [LABEL.version]: COMPOSE_VERSION },
    });
  } catch (err) {
    // Another `up` of the same project may have created it meanwhile.
    if (await ctx.api.findNetwork(net.name)) return ctx.progress.event(progress.done(id, 'Created'));
    ctx.progress.event(progress.error(id, 'Error', (err as Error).message));
    throw new ComposeEngineError(`failed to create network ${net.name}: ${(err as Error).message}`);
  }
  ctx.progress.event(progress.done(id, 'Created'));
}

async function ensureVolume(ctx: ComposeContext, key: string, vol: VolumeConfig): Promise<void> {
  const existing = await ctx.api.findVolume(vol.name);
  if (vol.external) {
    if (!existing) throw new ComposeEngineError(`external volume "${vol.name}" not found`);
    return;
  }
  if (existing) return;
  const id = `Volume "${vol.name}"`;
  ctx.progress.event(progress.working(id, 'Creating'));
  await ctx.api.createVolume({
    Name: vol.name,
    Driver: vol.driver ?? 'local',
    DriverOpts: vol.driver_opts ?? {},
    Labels: { ...(vol.labels ?? {}), [LABEL.volume]: key, [LABEL.project]: ctx.project.name, [LABEL.version]: COMPOSE_VERSION },
  });
  ctx.progress.event(progress.done(id, 'Created'));
}

/** Creates the networks and volumes the given services use. */
export async function ensureResources(ctx: ComposeContext, services: Service[]): Promise<void> {
  const nets = [...usedNetworks(services)].filter((k) => ctx.project.networks[k]);
  await inParallel(nets, (k) => ensureNetwork(ctx, k, ctx.project.networks[k]!));
  const vols = [...usedVolumes(services)].filter((k) => ctx.project.volumes[k]);
  await inParallel(vols, (k) => ensureVolume(ctx, k, ctx.project.volumes[k]!));
}

/** Removes the project's networks (never external ones: they carry no project label). */
export async function removeNetworks(ctx: ComposeContext): Promise<void> {
  const nets = await ctx.api.listNetworks(projectFilter(ctx.project.name));
  const external = new Set(Object.values(ctx.project.networks).filter((n) => n.external).map((n) => n.name));
  await inParallel(nets.filter((n) => !external.has(n.Name)), (n) =>
    withProgress(ctx, `Network ${n.Name}`, 'Removing', 'Removed', () => goneIfNotFound(ctx.api.removeNetwork(n.Id))),
  );
}

/** Removes the project's volumes (`down -v`). */
export async function removeVolumes(ctx: ComposeContext): Promise<void> {
  const vols = await ctx.api.listVolumes(projectFilter(ctx.project.name));
  const external = new Set(Object.values(ctx.project.volumes).filter((v) => v.external).map((v) => v.name));
  await inParallel(vols.filter((v) => !external.has(v.Name)), (v) =>
    withProgress(ctx, `Volume ${v.Name}`, 'Removing', 'Removed', () => goneIfNotFound(ctx.api.removeVolume(v.Name))),
  );
}
