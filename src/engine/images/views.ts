import type { Digest } from '../../util/digest.js';
import { checkFilters, globMatch, parseTime } from '../../util/filters.js';
import { InvalidParameterError } from '../../util/errors.js';
import type { ImageRecord } from './image-store.js';
import type { ImageConfig, ImageRuntimeConfig } from './oci.js';
import { familiarName, parseReference, familiarRepository } from './reference.js';
import { ImageService } from './service.js';

/** Docker's `GET /images/json` item. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

export const IMAGE_LIST_FILTERS = ['before', 'dangling', 'label', 'reference', 'since', 'until'] as const;

/** The keys of a `label` filter: `key` or `key=value`. */
export function matchLabels(labels: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return w in labels;
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** The tags matching any `reference` pattern (by familiar name, with or without the tag). */
function matchingTags(tags: string[], patterns: string[]): string[] {
  return tags.filter((t) => {
    const familiar = familiarName(t);
    const repo = familiarRepository(parseReference(t));
    return patterns.some((pattern) => globMatch(pattern, familiar) || globMatch(pattern, repo));
  });
}

export function listImages(service: ImageService, opts: { all: boolean; filters: Map<string, string[]>; digests: boolean; containerCounts?: Map<string, number> }): ImageSummary[] {
  checkFilters(opts.filters, IMAGE_LIST_FILTERS);
  const store = service.images;
  const tags = store.allTags();
  const digests = store.allRepoDigests();
  const all = store.list();
  const boundary = (key: 'before' | 'since'): ImageRecord | undefined => {
    const v = opts.filters.get(key)?.[0];
    return v === undefined ? undefined : store.mustResolve(v);
  };
  const before = boundary('before');
  const since = boundary('since');
  const untilValue = opts.filters.get('until')?.[0];
  const until = untilValue !== undefined ? parseTime(untilValue) : undefined;
  const dangling = opts.filters.get('dangling')?.[0];
  if (dangling !== undefined && !['true', 'false', '1', '0'].includes(dangling)) {
    throw new InvalidParameterError(`invalid filter 'dangling=${dangling}'`);
  }
  const labels = opts.filters.get('label');
  const references = opts.filters.get('reference');
  const hasChildren = new Set(all.map((i) => i.parent).filter((p): p is Digest => !!p));

  const out: ImageSummary[] = [];
  for (const img of all) {
    let imgTags = tags.get(img.id) ?? [];
    const imgDigests = digests.get(img.id) ?? [];
    const isDangling = imgTags.length === 0 && imgDigests.length === 0;
    if (!opts.all && isDangling && hasChildren.has(img.id) && !dangling) continue;
    if (dangling !== undefined && (dangling === 'true' || dangling === '1') !== isDangling) continue;
    if (before && img.addedAt >= before.addedAt) continue;
    if (since && img.addedAt <= since.addedAt) continue;
    if (until !== undefined && Date.parse(img.created) / 1000 >= until) continue;
    if (labels && !matchLabels(img.labels, labels)) continue;
    if (references) {
      // Docker lists only the tags the reference filter matched.
      imgTags = matchingTags(imgTags, references);
      if (imgTags.length === 0) continue;
    }
    out.push({
      Id: img.id,
      ParentId: img.parent ?? '',
      RepoTags: imgTags.map(familiarName),
      RepoDigests: imgDigests.map(familiarName),
      Created: Math.floor(Date.parse(img.created) / 1000),
      Size: img.size,
      SharedSize: -1,
      Labels: Object.keys(img.labels).length ? img.labels : null,
      Containers: opts.containerCounts?.get(img.id) ?? -1,
    });
  }
  return out;
}

/** The `Config` object as Docker's inspect shows it, with its empty defaults filled in. */
export function dockerConfigView(c: ImageRuntimeConfig | undefined): Record<string, unknown> {
  return {
    Hostname: '',
    Domainname: '',
    User: c?.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ExposedPorts: c?.ExposedPorts,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c?.Env ?? null,
    Cmd: c?.Cmd ?? null,
    Healthcheck: c?.Healthcheck,
    ArgsEscaped: c?.ArgsEscaped,
    Image: '',
    Volumes: c?.Volumes ?? null,
    WorkingDir: c?.WorkingDir ?? '',
    Entrypoint: c?.Entrypoint ?? null,
    OnBuild: c?.OnBuild ?? null,
    Labels: c?.Labels ?? null,
    StopSignal: c?.StopSignal,
    Shell: c?.Shell,
  };
}

/** Docker's `GET /images/{name}/json`. */
export async function inspectImage(service: ImageService, nameOrId: string, opts: { graphDriverData?: Record<string, string> } = {}): Promise<Record<string, unknown>> {
  const { record, config } = await service.configOf(nameOrId);
  return {
    Id: record.id,
    RepoTags: service.images.tagsOf(record.id).map(familiarName),
    RepoDigests: service.images.repoDigestsOf(record.id).map(familiarName),
    Parent: record.parent ?? '',
    Comment: config.comment ?? lastComment(config),
    Created: config.created ?? record.created,
    DockerVersion: config.docker_version ?? '',
    Author: config.author ?? '',
    Config: dockerConfigView(config.config),
    Architecture: config.architecture,
    Variant: config.variant,
    Os: config.os,
    Size: record.size,
    GraphDriver: { Name: 'overlay2', Data: opts.graphDriverData ?? {} },
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: new Date(record.addedAt).toISOString() },
  };
}

function lastComment(config: ImageConfig): string {
  const h = config.history;
  return h && h.length ? (h[h.length - 1]!.comment ?? '') : '';
}

/** Docker's `GET /images/{name}/history`, newest first. */
export async function imageHistory(service: ImageService, nameOrId: string): Promise<Record<string, unknown>[]> {
  const { record, config } = await service.configOf(nameOrId);
  const chain = ImageService.chainIdsOf(config);
  const history = config.history?.length ? config.history : config.rootfs.diff_ids.map(() => ({}) as NonNullable<ImageConfig['history']>[number]);
  const rows: Record<string, unknown>[] = [];
  let layer = 0;
  for (const h of history) {
    let size = 0;
    if (!h.empty_layer) {
      const c = chain[layer++];
      size = c ? service.deps.layers.layerSize(c) : 0;
    }
    rows.push({
      Id: '<missing>',
      Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  // Local parents (builds, commits) name the history rows they end: the row count of each
  // ancestor's history is the row its ID belongs to, as `docker history` shows them.
  const ids = new Map<number, string>();
  for (let img: ImageRecord | undefined = record, depth = 0; img && depth < 1000; img = img.parent ? service.images.get(img.parent) : undefined, depth++) {
    const cfg = img === record ? config : await service.content.readJSON<ImageConfig>(img.id).catch(() => undefined);
    if (cfg) ids.set(cfg.history?.length ?? cfg.rootfs.diff_ids.length, img.id);
  }
  rows.forEach((row, i) => {
    const id = ids.get(i + 1);
    if (id) {
      row.Id = id;
      const tags = service.images.tagsOf(id).map(familiarName);
      row.Tags = tags.length ? tags : null;
    }
  });
  rows.reverse();
  return rows;
}
