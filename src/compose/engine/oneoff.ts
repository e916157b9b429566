/**
 * `run`: a one-off container for a service, named `PROJECT-SERVICE-run-<hex>` and labelled
 * `com.docker.compose.oneoff=True`, with the service's configuration and the command-line
 * overrides. Its dependencies are brought up first unless `--no-deps`.
 */
import { randomBytes } from 'node:crypto';
import type { Service } from '../loader/index.js';
import { containerSpec } from './container-spec.js';
import { ComposeEngineError, type ComposeContext } from './context.js';
import { ensureImages } from './images.js';
import { ensureResources } from './resources.js';
import { createFromSpec, serviceResolver } from './convergence.js';
import { configHash } from './injected-files.js';
import { up } from './up.js';

export interface RunOptions {
  service: string;
  command: string[];
  entrypoint?: string;
  env: string[];
  labels: string[];
  name?: string;
  user?: string;
  workdir?: string;
  tty: boolean;
  interactive: boolean;
  noDeps?: boolean;
  /** Publish the service's ports (`--service-ports`); off by default as in compose. */
  servicePorts?: boolean;
  publish: string[];
  build?: boolean;
  rm?: boolean;
}

function keyValue(item: string): [string, string | null] {
  const eq = item.indexOf('=');
  return eq < 0 ? [item, process.env[item] ?? null] : [item.slice(0, eq), item.slice(eq + 1)];
}

/** The service as the one-off container runs it. */
function oneoffService(service: Service, o: RunOptions): Service {
  const s: Service = { ...service, environment: { ...service.environment, ...Object.fromEntries(o.env.map(keyValue)) } };
  if (o.command.length) s.command = o.command;
  if (o.entrypoint !== undefined) s.entrypoint = o.entrypoint === '' ? [''] : [o.entrypoint];
  if (o.user) s.user = o.user;
  if (o.workdir) s.working_dir = o.workdir;
  s.tty = o.tty;
  s.stdin_open = o.interactive;
  if (!o.servicePorts) s.ports = [];
  if (o.labels.length) s.labels = { ...(s.labels ?? {}), ...Object.fromEntries(o.labels.map((l) => keyValue(l) as [string, string])) };
  // A one-off container must not restart after it is done.
  if (o.rm) s.restart = 'no';
  delete s.container_name;
  return s;
}

export async function createOneoff(ctx: ComposeContext, o: RunOptions): Promise<{ id: string; name: string; tty: boolean }> {
  const base = ctx.project.services[o.service];
  if (!base) throw new ComposeEngineError(`no such service: ${o.service}`);
  const deps = Object.keys(base.depends_on ?? {}).filter((d) => ctx.project.services[d]);
  if (!o.noDeps && deps.length) await up(ctx, { services: deps, build: 'missing', recreate: 'diverged' });
  const service = oneoffService(base, o);
  await ensureResources(ctx, [service]);
  const image = (await ensureImages(ctx, [service], o.build ? 'always' : 'missing')).get(service.name)!;
  const slug = randomBytes(32).toString('hex');
  const name = o.name ?? `${ctx.project.name}-${service.name}-run-${slug.slice(0, 12)}`;
  const spec = containerSpec({
    project: ctx.project,
    service,
    number: 1,
    image: image.ref,
    imageId: image.id,
    configHash: configHash(ctx.project, service),
    resolveService: await serviceResolver(ctx),
    oneoff: { slug, name },
  });
  if (o.publish.length) {
    const { parsePublish } = await import('../../cli/containers/create-opts.js');
    const { exposed, bindings } = parsePublish(o.publish);
    spec.body.ExposedPorts = { ...((spec.body.ExposedPorts as object | undefined) ?? {}), ...exposed };
    spec.body.HostConfig.PortBindings = { ...((spec.body.HostConfig.PortBindings as object | undefined) ?? {}), ...bindings };
  }
  spec.body.AttachStdin = o.interactive;
  spec.body.StdinOnce = o.interactive;
  spec.body.HostConfig.AutoRemove = false;
  const id = await createFromSpec(ctx, service, spec);
  return { id, name, tty: o.tty };
}
