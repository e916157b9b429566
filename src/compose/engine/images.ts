/**
 * Images for services: build those with `build:` (when asked, or when the image is missing),
 * pull the others when missing (or per `pull_policy`). Returns, per service, the reference to
 * run and its image ID (which goes into `com.docker.compose.image`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contextTar } from '../../engine/build/context/tar.js';
import type { JSONMessage } from '../../client/client.js';
import type { Service } from '../loader/index.js';
import { progress } from '../progress/index.js';
import { ComposeEngineError, inParallel, type ComposeContext } from './context.js';
import { imageName } from './names.js';

export type BuildPolicy = 'always' | 'missing' | 'never';

export interface ResolvedImage {
  ref: string;
  id: string;
}

/** `registry:5000/a/b:tag` → repo and tag; digests stay in the repo part as docker sends them. */
export function splitImageRef(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

function buildArgs(service: Service, env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.build?.args ?? {})) {
    // An arg without a value takes it from the environment, or is left out.
    if (v !== null) out[k] = v;
    else if (env[k] !== undefined) out[k] = env[k]!;
  }
  return out;
}

/** Builds one service's image with the legacy builder; returns its ID. */
export async function buildService(ctx: ComposeContext, service: Service, o: BuildOptions = {}): Promise<string> {
  const build = service.build;
  if (!build) throw new ComposeEngineError(`service "${service.name}" has no build section`);
  const contextDir = path.resolve(ctx.project.workingDir, build.context);
  if (build.dockerfile_inline === undefined) return buildFrom(ctx, service, { contextDir, dockerfile: build.dockerfile ? path.resolve(contextDir, build.dockerfile) : undefined }, o);
  const inline = await inlineDockerfile(build.dockerfile_inline);
  try {
    return await buildFrom(ctx, service, { contextDir, dockerfile: inline.path }, o);
  } finally {
    await inline.remove();
  }
}

interface BuildOptions {
  noCache?: boolean;
  pull?: boolean;
  quiet?: boolean;
}

/**
 * `build.dockerfile_inline`: the text is written to a file outside the context, so contextTar
 * adds it under a private random name (`.dockerfile.<hex>`) that no context file can clash
 * with, and the build is told to use that name. Removed once the build is done.
 */
async function inlineDockerfile(text: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-dockerfile-inline-'));
  const file = path.join(dir, 'Dockerfile');
  await writeFile(file, text);
  return { path: file, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** One build: the context (with `dockerfile`, a host path, or <context>/Dockerfile) → the image ID. */
async function buildFrom(ctx: ComposeContext, service: Service, source: { contextDir: string; dockerfile?: string }, o: BuildOptions): Promise<string> {
  const build = service.build!;
  const tag = imageName(ctx.project, service);
  const id = `Service ${service.name}`;
  ctx.progress.event(progress.working(id, 'Building'));
  const tar = await contextTar({ ...source, secrets: [] });
  const query: Record<string, string | string[] | undefined> = {
    t: [tag, ...(build.tags ?? [])],
    dockerfile: tar.dockerfileName,
    buildargs: JSON.stringify(buildArgs(service, ctx.project.environment)),
    labels: JSON.stringify(build.labels ?? {}),
    target: build.target,
    networkmode: build.network,
    nocache: o.noCache || build.no_cache ? '1' : undefined,
    pull: o.pull || build.pull ? '1' : undefined,
    shmsize: build.shm_size ? String(build.shm_size) : undefined,
    extrahosts: build.extra_hosts ? Object.entries(build.extra_hosts).flatMap(([h, ips]) => ips.map((ip) => `${h}:${ip}`)).join(',') : undefined,
    platform: service.platform,
    version: '1',
    rm: '1',
  };
  const onMessage = (m: JSONMessage) => {
    if (m.stream && !o.quiet) ctx.progress.info(`${service.name}  ${m.stream.replace(/\n$/, '')}`);
  };
  try {
    const imageId = await ctx.api.build(tar.stream, query, onMessage);
    ctx.progress.event(progress.done(id, 'Built'));
    return imageId || (await ctx.api.inspectImage(tag))?.Id || '';
  } catch (err) {
    ctx.progress.event(progress.error(id, 'Error', (err as Error).message));
    throw new ComposeEngineError(`failed to build service "${service.name}": ${(err as Error).message}`);
  }
}

/** Pulls one image with a per-image progress line. */
export async function pullImage(ctx: ComposeContext, service: Service, ref: string): Promise<void> {
  const id = `Image ${ref}`;
  ctx.progress.event(progress.working(id, 'Pulling'));
  const { repo, tag } = splitImageRef(ref);
  try {
    await ctx.api.pull(repo, tag);
    ctx.progress.event(progress.done(id, 'Pulled'));
  } catch (err) {
    ctx.progress.event(progress.error(id, 'Error', (err as Error).message));
    throw new ComposeEngineError(`failed to pull image ${ref} for service "${service.name}": ${(err as Error).message}`);
  }
}

/** Makes sure every service has its image: builds and pulls run in parallel, as compose v2 does. */
export async function ensureImages(ctx: ComposeContext, services: Service[], policy: BuildPolicy): Promise<Map<string, ResolvedImage>> {
  const resolved = new Map<string, ResolvedImage>();
  const toPull: Service[] = [];
  const toBuild: Service[] = [];
  for (const service of services) {
    const ref = imageName(ctx.project, service);
    const pullPolicy = service.pull_policy ?? 'missing';
    const existing = pullPolicy === 'always' && !service.build ? undefined : await ctx.api.inspectImage(ref);
    const wantsBuild = service.build && (policy === 'always' || pullPolicy === 'build' || (!existing && policy !== 'never'));
    if (wantsBuild) toBuild.push(service);
    else if (existing) {
      resolved.set(service.name, { ref, id: existing.Id });
    } else if (service.build) {
      throw new ComposeEngineError(`service "${service.name}" has neither an image nor a build context specified: image ${ref} not found and --no-build was given`);
    } else if (pullPolicy === 'never') {
      throw new ComposeEngineError(`image ${ref} for service "${service.name}" not found and pull_policy is never`);
    } else toPull.push(service);
  }
  await inParallel(toBuild, async (service) => {
    resolved.set(service.name, { ref: imageName(ctx.project, service), id: await buildService(ctx, service) });
  }, 4);
  await inParallel(toPull, async (service) => {
    const ref = imageName(ctx.project, service);
    await pullImage(ctx, service, ref);
    const image = await ctx.api.inspectImage(ref);
    if (!image) throw new ComposeEngineError(`image ${ref} for service "${service.name}" is still missing after pull`);
    resolved.set(service.name, { ref, id: image.Id });
  });
  return resolved;
}
