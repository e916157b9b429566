/**
 * Secrets and configs whose top-level definition holds the data itself — `environment:` (the
 * value of a project variable) or `content:` (inline text) — instead of naming a host `file:`.
 * There is nothing on the host to bind-mount, so, as compose v2 does (secrets.go), the file is
 * copied into the container after create and before start: a one-entry tar uploaded with
 * `PUT /containers/{id}/archive?path=/`, at the reference's target, owned by its `uid`/`gid`
 * (default 0) with its `mode` (default 0444). The daemon creates missing parent directories.
 *
 * The data lives outside the service definition, so the service's config hash cannot see it
 * changing; `configHash` folds it in so that `up` recreates the container when it changes.
 */
import { tarPack } from '../../util/tar-pack.js';
import { hexOf, sha256 } from '../../util/digest.js';
import { serviceConfigHash, type Project, type Service, type ServiceFileRef } from '../loader/index.js';
import { fileTarget } from './container-spec.js';
import { ComposeEngineError, type ComposeContext } from './context.js';

type Kind = 'secrets' | 'configs';

/** A file compose writes into a container, resolved from the project. */
export interface InjectedFile {
  kind: Kind;
  /** The key under top-level `secrets:` / `configs:`. */
  source: string;
  /** Absolute path in the container. */
  target: string;
  content: string;
  uid: number;
  gid: number;
  mode: number;
}

/** A secret or config that cannot be copied in; the message names it. */
export class InjectedFileError extends ComposeEngineError {
  constructor(message: string) {
    super(message);
    this.name = 'InjectedFileError';
  }
}

const DEFAULT_MODE = 0o444;

const singular = (kind: Kind) => (kind === 'secrets' ? 'secret' : 'config');

function numericId(service: Service, kind: Kind, ref: ServiceFileRef, field: 'uid' | 'gid'): number {
  const value = ref[field];
  if (value === undefined || value === '') return 0;
  // Owners go into the tar header, which holds numbers, not user names.
  if (!/^\d+$/.test(value)) throw new InjectedFileError(`service "${service.name}": ${singular(kind)} "${ref.source}" has ${field} "${value}", which is not a number`);
  return Number(value);
}

/** The data of a top-level definition, or undefined when it is bind-mounted (or external). */
function contentOf(project: Project, service: Service, kind: Kind, source: string): string | undefined {
  const def = project[kind][source];
  if (def?.content !== undefined) return def.content;
  if (def?.environment === undefined) return undefined;
  const value = project.environment[def.environment];
  if (value === undefined) {
    throw new InjectedFileError(`${singular(kind)} "${source}" (used by service "${service.name}") takes its content from environment variable "${def.environment}", which is not set`);
  }
  return value;
}

/** The files to copy into a container of `service`, in the order the service lists them. */
export function injectedFiles(project: Project, service: Service): InjectedFile[] {
  const out: InjectedFile[] = [];
  for (const kind of ['secrets', 'configs'] as const) {
    for (const ref of service[kind] ?? []) {
      const content = contentOf(project, service, kind, ref.source);
      if (content === undefined) continue;
      if (service.read_only) {
        // Nothing can be written into a read-only root filesystem, not even before start.
        throw new InjectedFileError(`service "${service.name}" has a read-only root filesystem: ${singular(kind)} "${ref.source}" can only be provided from a file:`);
      }
      out.push({ kind, source: ref.source, target: fileTarget(ref, kind), content, uid: numericId(service, kind, ref, 'uid'), gid: numericId(service, kind, ref, 'gid'), mode: ref.mode ?? DEFAULT_MODE });
    }
  }
  return out;
}

/**
 * The `com.docker.compose.config-hash` berth writes: compose's service hash, extended with the
 * data of the copied-in files. A service without such files keeps exactly the service hash, so
 * those containers look the same to docker compose.
 */
export function configHash(project: Project, service: Service): string {
  const base = serviceConfigHash(service);
  const files = injectedFiles(project, service);
  if (files.length === 0) return base;
  const data = files.map((f) => [f.kind, f.target, hexOf(sha256(f.content))]);
  return hexOf(sha256(JSON.stringify({ service: base, files: data })));
}

/** A tar of the files, named relative to `/` (the daemon refuses absolute names). */
export async function injectedFilesTar(files: InjectedFile[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const collected = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  const mtime = new Date();
  for (const f of files) {
    const data = Buffer.from(f.content, 'utf8');
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name: f.target.replace(/^\/+/, ''), type: 'file', size: data.length, mode: f.mode, uid: f.uid, gid: f.gid, uname: '', gname: '', mtime }, data, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  return collected;
}

/** Copies the service's environment/content secrets and configs into a created container. */
export async function copyInjectedFiles(ctx: ComposeContext, service: Service, containerId: string): Promise<void> {
  const files = injectedFiles(ctx.project, service);
  if (files.length === 0) return;
  try {
    await ctx.api.putArchive(containerId, '/', await injectedFilesTar(files));
  } catch (err) {
    const names = files.map((f) => `${singular(f.kind)} "${f.source}"`).join(', ');
    throw new InjectedFileError(`service "${service.name}": copying ${names} into the container failed: ${(err as Error).message}`);
  }
}
