import type { EndpointSettings } from '../../api/types/container.js';
import { checkFilters } from '../../util/filters.js';
import { InvalidParameterError } from '../../util/errors.js';
import { parseTaggedReference, formatReference } from '../images/reference.js';
import type { ImageService } from '../images/service.js';
import { matchLabels } from '../images/views.js';
import { humanStatus, type Container } from './model.js';
import { mountPointView, readMountRecord } from './mounts.js';
import type { ContainerService } from './service.js';
import { containerSizes } from './sizes.js';

export const CONTAINER_LIST_FILTERS = ['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume'] as const;
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** Docker shows the image as the user named it, or the short ID if that name moved on. */
function imageShown(images: ImageService, c: Container): string {
  const current = images.images.resolve(c.imageRef);
  if (current && current.id === c.imageId) return /^sha256:/.test(c.imageRef) ? c.imageId : c.imageRef;
  return c.imageId.slice(7, 19);
}

function command(c: Container): string {
  const args = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
  return args.join(' ');
}

/** `docker ps`'s Ports: what NetworkSettings.Ports holds (nothing for a container not running, as Docker). */
function portsList(c: Container): { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] {
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  for (const [key, bindings] of Object.entries(c.networking.Ports ?? {})) {
    const [port = '0', type = 'tcp'] = key.split('/');
    if (!bindings || bindings.length === 0) out.push({ PrivatePort: Number(port), Type: type });
    else for (const b of bindings) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}

function ancestorMatches(images: ImageService, c: Container, wanted: string): boolean {
  const img = images.images.resolve(wanted);
  if (img && img.id === c.imageId) return true;
  try {
    return formatReference(parseTaggedReference(c.imageRef)) === formatReference(parseTaggedReference(wanted));
  } catch {
    return false;
  }
}

/** `GET /containers/json`; with `size`, each entry has SizeRw and SizeRootFs (walking every writable layer). */
export async function listContainers(svc: ContainerService, images: ImageService, opts: { all: boolean; limit?: number; size: boolean; filters: Map<string, string[]> }): Promise<Record<string, unknown>[]> {
  const f = opts.filters;
  checkFilters(f, CONTAINER_LIST_FILTERS);
  for (const s of f.get('status') ?? []) if (!STATUSES.includes(s)) throw new InvalidParameterError(`invalid filter 'status=${s}'`);
  for (const e of f.get('exited') ?? []) {
    if (!/^[+-]?\d+$/.test(e)) throw new InvalidParameterError(`invalid filter 'exited=${e}': strconv.Atoi: parsing ${JSON.stringify(e)}: invalid syntax`);
  }
  for (const h of f.get('health') ?? []) if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw new InvalidParameterError(`Unrecognised filter value for health: ${h}`);
  const all = svc.store.all();
  const ref = (key: 'before' | 'since') => {
    const v = f.get(key)?.[0];
    return v === undefined ? undefined : svc.store.mustFind(v);
  };
  const before = ref('before');
  const since = ref('since');
  const showAll = opts.all || f.has('status') || f.has('exited') || before !== undefined || since !== undefined || (opts.limit ?? 0) > 0;
  const out: Record<string, unknown>[] = [];
  const shown: Container[] = [];
  for (const c of all) {
    if (!showAll && !c.state.Running && c.state.Status !== 'restarting') continue;
    const created = Date.parse(c.created);
    if (before && created >= Date.parse(before.created)) continue;
    if (since && created <= Date.parse(since.created)) continue;
    const ids = f.get('id');
    if (ids && !ids.some((i) => c.id.startsWith(i))) continue;
    const names = f.get('name');
    if (names && !names.some((n) => new RegExp(n.replace(/^\//, '')).test(c.name))) continue;
    const labels = f.get('label');
    if (labels && !matchLabels(c.config.Labels ?? {}, labels)) continue;
    const status = f.get('status');
    if (status && !status.includes(c.state.Status)) continue;
    const exited = f.get('exited');
    if (exited && !(c.state.Status === 'exited' && exited.map(Number).includes(c.state.ExitCode))) continue;
    const ancestors = f.get('ancestor');
    if (ancestors && !ancestors.some((a) => ancestorMatches(images, c, a))) continue;
    const health = f.get('health');
    if (health && !health.includes(c.state.Health?.Status ?? 'none')) continue;
    const networks = f.get('network');
    if (networks && !networks.some((n) => n in (c.networking.Networks ?? {}) || Object.values(c.networking.Networks ?? {}).some((e) => e.NetworkID?.startsWith(n)))) continue;
    const volumes = f.get('volume');
    if (volumes && !volumes.some((v) => (c.hostConfig.Binds ?? []).some((b) => b.split(':')[0] === v || b.split(':')[1] === v) || (c.hostConfig.Mounts ?? []).some((m) => m.Source === v || m.Target === v))) continue;
    const publish = f.get('publish');
    if (publish && !publish.some((p) => portsList(c).some((pp) => String(pp.PublicPort) === p.split('/')[0] && (!p.includes('/') || pp.Type === p.split('/')[1])))) continue;
    const expose = f.get('expose');
    if (expose && !expose.some((p) => portsList(c).some((pp) => String(pp.PrivatePort) === p.split('/')[0]))) continue;
    out.push(summary(svc, images, c));
    shown.push(c);
    if (opts.limit && opts.limit > 0 && out.length >= opts.limit) break;
  }
  if (opts.size) {
    const sizes = await Promise.all(shown.map((c) => containerSizes(svc.deps.snapshots, c)));
    sizes.forEach((s, i) => Object.assign(out[i]!, s));
  }
  return out;
}

function summary(svc: ContainerService, images: ImageService, c: Container): Record<string, unknown> {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: imageShown(images, c),
    ImageID: c.imageId,
    Command: command(c),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: portsList(c),
    Labels: c.config.Labels ?? {},
    State: c.state.Status,
    Status: humanStatus(c.state),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: c.networking.Networks ?? {} },
    Mounts: mountsView(svc, c),
  };
}

/** Docker's `Mounts`: the resolved mounts recorded by ContainerMounts, else the config's. */
export function mountsView(svc: ContainerService, c: Container): Record<string, unknown>[] {
  const recorded = readMountRecord(svc.containerDir(c.id));
  if (recorded) return recorded.map(mountPointView);
  const out: Record<string, unknown>[] = [];
  for (const b of c.hostConfig.Binds ?? []) {
    const [src = '', dst = '', mode = ''] = b.split(':');
    const isVolume = !src.startsWith('/');
    out.push({ Type: isVolume ? 'volume' : 'bind', ...(isVolume ? { Name: src } : {}), Source: src, Destination: dst, Mode: mode, RW: !mode.split(',').includes('ro'), Propagation: isVolume ? '' : 'rprivate' });
  }
  for (const m of c.hostConfig.Mounts ?? []) {
    out.push({ Type: m.Type, ...(m.Type === 'volume' ? { Name: m.Source } : {}), Source: m.Source ?? '', Destination: m.Target, Mode: '', RW: !m.ReadOnly, Propagation: m.BindOptions?.Propagation ?? '' });
  }
  return out;
}

/** `GET /containers/{id}/json` in Docker's shape; `size` adds SizeRw and SizeRootFs (walking the writable layer). */
export async function inspectContainer(svc: ContainerService, images: ImageService, c: Container, opts: { size?: boolean } = {}): Promise<Record<string, unknown>> {
  const args = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
  const live = c.state.Running ? svc.deps.networking.endpoints?.(c) : undefined;
  const endpoints: Record<string, EndpointSettings> = live && Object.keys(live).length ? live : (c.networking.Networks ?? {});
  const primary = Object.values(endpoints)[0];
  const sizes = opts.size ? await containerSizes(svc.deps.snapshots, c) : {};
  return {
    Id: c.id,
    Created: c.created,
    Path: args[0] ?? '',
    Args: args.slice(1),
    // Docker counts a restarting container as running (moby's SetRestarting), with no process.
    State: c.state.Restarting ? { ...c.state, Running: true } : c.state,
    Image: c.imageId,
    ResolvConfPath: `${svc.containerDir(c.id)}/resolv.conf`,
    HostnamePath: `${svc.containerDir(c.id)}/hostname`,
    HostsPath: `${svc.containerDir(c.id)}/hosts`,
    LogPath: svc.logPath(c.id),
    Name: `/${c.name}`,
    RestartCount: c.book.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: { NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, LogConfig: { Type: 'json-file', Config: {} }, ...c.hostConfig },
    GraphDriver: { Name: 'overlay2', Data: graphDriverData(svc, c) },
    ...sizes,
    Mounts: mountsView(svc, c),
    // Docker shows a container without volumes as `"Volumes": null`.
    Config: { ...c.config, Image: c.imageRef, Volumes: c.config.Volumes && Object.keys(c.config.Volumes).length > 0 ? c.config.Volumes : null },
    NetworkSettings: {
      Bridge: '',
      SandboxID: c.networking.SandboxKey ? c.id : '',
      SandboxKey: c.networking.SandboxKey ?? '',
      Ports: c.networking.Ports ?? {},
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: primary?.EndpointID ?? '',
      Gateway: primary?.Gateway ?? '',
      GlobalIPv6Address: primary?.GlobalIPv6Address ?? '',
      GlobalIPv6PrefixLen: primary?.GlobalIPv6PrefixLen ?? 0,
      IPAddress: primary?.IPAddress ?? '',
      IPPrefixLen: primary?.IPPrefixLen ?? 0,
      IPv6Gateway: primary?.IPv6Gateway ?? '',
      MacAddress: primary?.MacAddress ?? '',
      Networks: endpoints,
    },
  };
}

/** GraphDriver.Data as overlay2 gives it: the snapshot's directories, and where it is mounted. */
function graphDriverData(svc: ContainerService, c: Container): Record<string, string> {
  const data: Record<string, string> = {};
  let mount;
  try {
    [mount] = svc.deps.snapshots.mounts(c.snapshotKey);
  } catch {
    // removed under us: a view of a container on its way out
  }
  for (const option of mount?.type === 'overlay' ? mount.options : []) {
    const [key, value = ''] = option.split(/=(.*)/s);
    if (key === 'lowerdir') data.LowerDir = value;
    if (key === 'upperdir') data.UpperDir = value;
    if (key === 'workdir') data.WorkDir = value;
  }
  data.MergedDir = svc.rootfsPath(c.id);
  return data;
}
