/**
 * Container filesystem operations: `docker cp` (stat, archive, extract), export, diff and
 * commit.
 *
 * docker cp works on the container's filesystem as its processes see it, volumes and bind
 * mounts included, with every symlink resolved inside the container: see fs-view.ts.
 * Export, diff and commit work on the root filesystem alone, as Docker's do.
 */
import { once } from 'node:events';
import { createReadStream, type ReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as tar from 'tar-stream';
import { tarPack } from '../../util/tar-pack.js';
import type { ContainerConfig } from '../../api/types/container.js';
import { changes, diffUpperDir, type Change } from '../../store/layers/diff.js';
import { readUserDatabase, resolveUser } from '../../runtime/spec/user.js';
import { unpackLayer } from '../../store/layers/unpack.js';
import { InvalidParameterError, NotFoundError } from '../../util/errors.js';
import { applyChanges } from '../images/changes.js';
import { storeImageBlobs } from '../images/import.js';
import { chainIds } from '../images/layers.js';
import { MediaTypes, type Descriptor, type ImageConfig, type ImageRuntimeConfig } from '../images/oci.js';
import { formatReference, parseReference, validateTag } from '../images/reference.js';
import type { ImageService } from '../images/service.js';
import { openContainerRoot, openContainerView, resolveInView, type ContainerView, type ResolvedPath } from './fs-view.js';
import type { ContainerService } from './service.js';

// ---------------------------------------------------------------- stat and archive (docker cp)

/** Docker's `X-Docker-Container-Path-Stat`: mode is a Go os.FileMode. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

const GO_MODE = { dir: 2 ** 31, symlink: 2 ** 27, device: 2 ** 26, namedPipe: 2 ** 25, socket: 2 ** 24, setuid: 2 ** 23, setgid: 2 ** 22, charDevice: 2 ** 21, sticky: 2 ** 20 };

function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += GO_MODE.dir;
  else if (st.isSymbolicLink()) m += GO_MODE.symlink;
  else if (st.isFIFO()) m += GO_MODE.namedPipe;
  else if (st.isSocket()) m += GO_MODE.socket;
  else if (st.isCharacterDevice()) m += GO_MODE.device + GO_MODE.charDevice;
  else if (st.isBlockDevice()) m += GO_MODE.device;
  if (st.mode & 0o4000) m += GO_MODE.setuid;
  if (st.mode & 0o2000) m += GO_MODE.setgid;
  if (st.mode & 0o1000) m += GO_MODE.sticky;
  return m;
}

/** The path as docker cp means it: a trailing `/` or `/.` asks for the directory a link points to. */
function wantsDirectory(path: string): boolean {
  return path.endsWith('/') || path.endsWith('/.');
}

async function statResolved(view: ContainerView, path: string): Promise<{ stat: PathStat; resolved: ResolvedPath; st: Stats }> {
  const resolved = await resolveInView(view, path, { followFinal: wantsDirectory(path) });
  let st: Stats;
  try {
    st = await lstat(resolved.host);
  } catch {
    throw new NotFoundError(`Could not find the file ${path} in container`);
  }
  let linkTarget = '';
  if (st.isSymbolicLink()) linkTarget = (await resolveInView(view, resolved.inside, { followFinal: true })).inside;
  const name = path.endsWith('/.') ? '.' : posix.basename(posix.normalize(`/${path}`)) || '/';
  return { stat: { name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget }, resolved, st };
}

/** `HEAD /containers/{id}/archive`. */
export async function statContainerPath(service: ContainerService, ref: string, path: string): Promise<PathStat> {
  const c = service.store.mustFind(ref);
  const { view, release } = await openContainerView(service, c);
  try {
    return (await statResolved(view, path).catch(notFoundIn(path, ref))).stat;
  } finally {
    await release();
  }
}

function notFoundIn(path: string, ref: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof NotFoundError) throw new NotFoundError(`Could not find the file ${path} in container ${ref}`);
    throw err;
  };
}

type PackHeader = Omit<Partial<tar.Header>, 'pax'> & { name: string };

export interface PackOptions {
  /**
   * Paths below `hostPath` (relative, e.g. `data` or `var/lib/db`) whose content comes from
   * another host path: the container's mounts inside the tree being archived.
   */
  mounts?: ReadonlyMap<string, string>;
}

/**
 * A tar of `hostPath` (file or tree) whose entries start with `rebase` (the requested name),
 * streamed as it is read. `onEnd` runs once the tar is finished or abandoned.
 */
export function packPath(hostPath: string, rebase: string, onEnd: () => Promise<void>, opts: PackOptions = {}): Readable {
  const pack = tarPack();
  const mounts = opts.mounts ?? new Map<string, string>();
  const out = new PassThrough();
  /** The file being archived: a reader that goes away must not leave it open (it pins the mount). */
  let reading: ReadStream | undefined;
  let ended = false;
  const add = (header: PackHeader, file?: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (ended) {
        reject(new Error('the archive was abandoned'));
        return;
      }
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (!file) {
        pack.entry(header, Buffer.alloc(0), done);
        return;
      }
      // The entry is done once the file is also closed: the mount it is on may go right after.
      const source = (reading = createReadStream(file));
      const closed = once(source, 'close').then(() => {
        if (reading === source) reading = undefined;
      });
      const sink = pack.entry(header, (err) => (err ? reject(err) : void closed.then(() => resolve())));
      pipeline(source, sink as unknown as NodeJS.WritableStream).catch(reject);
    });
  const headerOf = (st: Stats, name: string): PackHeader => ({ name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime, uname: '', gname: '' });

  /** `rel` is the path below hostPath (for mounts), `name` the entry name (rebased). */
  async function walk(path: string, name: string, rel: string): Promise<void> {
    const st = await lstat(path);
    if (st.isDirectory()) {
      if (name !== '') await add({ ...headerOf(st, `${name}/`), type: 'directory' });
      const names = (await readdir(path)).sort();
      for (const child of names) {
        const childRel = rel === '' ? child : `${rel}/${child}`;
        await walk(mounts.get(childRel) ?? join(path, child), name === '' ? child : `${name}/${child}`, childRel);
      }
    } else if (st.isSymbolicLink()) {
      await add({ ...headerOf(st, name), type: 'symlink', linkname: await readlink(path) });
    } else if (st.isFile()) {
      await add({ ...headerOf(st, name), type: 'file', size: st.size }, path);
    } else if (st.isFIFO()) {
      await add({ ...headerOf(st, name), type: 'fifo' });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const rdev = st.rdev;
      await add({ ...headerOf(st, name), type: st.isBlockDevice() ? 'block-device' : 'character-device', devmajor: (rdev >> 8) & 0xfff, devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) });
    }
    // Sockets cannot be archived.
  }

  /** Finished or abandoned: close what is still open, stop the walk, then run onEnd. */
  const end = () => {
    if (ended) return;
    ended = true;
    const open = reading;
    open?.destroy();
    pack.destroy();
    void (open && !open.closed ? once(open, 'close').catch(() => undefined) : Promise.resolve()).then(onEnd);
  };
  out.once('close', end);
  out.once('end', end);
  walk(hostPath, rebase, '').then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  pipeline(Readable.from(pack, { objectMode: false }), out).catch(() => {
    out.destroy();
    end();
  });
  return out;
}

/** `GET /containers/{id}/archive`: the stat and a tar of the path (the mount is held until the tar ends). */
export async function archiveContainerPath(service: ContainerService, ref: string, path: string): Promise<{ stat: PathStat; stream: Readable }> {
  const c = service.store.mustFind(ref);
  const { view, release } = await openContainerView(service, c);
  try {
    const { stat, resolved, st } = await statResolved(view, path).catch(notFoundIn(path, ref));
    // The requested name, not the link target's, starts the entries (as Docker's rebase).
    const rebase = stat.name === '/' ? '' : stat.name;
    const mounts = st.isDirectory() ? view.mountsBelow(resolved.inside) : undefined;
    const stream = packPath(resolved.host, rebase, release, { mounts });
    service.event(c, 'archive-path');
    return { stat, stream };
  } catch (err) {
    await release();
    throw err;
  }
}

export interface ExtractOptions {
  noOverwriteDirNonDir?: boolean;
  /**
   * `docker cp -a`: as Docker's, a container with a user gets every file owned by that user
   * (and its group); one without keeps the tar's owners, as without it.
   */
  copyUIDGID?: boolean;
}

/**
 * `PUT /containers/{id}/archive`: extracts a tar into a directory of the container. The
 * directory is resolved in the container's view (it may be in a volume or bind mount);
 * entries are applied with the layer unpacker in plain mode, which refuses `..`, absolute
 * names and writes through symlinks. Entries that fall on a mount point below the directory
 * go into that mount, as they would in the container.
 */
export async function extractToContainer(service: ContainerService, ref: string, path: string, tarStream: Readable, opts: ExtractOptions = {}): Promise<void> {
  const c = service.store.mustFind(ref);
  const { view, release } = await openContainerView(service, c);
  try {
    const owner = opts.copyUIDGID && c.config.User ? resolveUser(c.config.User, [], readUserDatabase(view.root)) : undefined;
    const resolved = await resolveInView(view, path, { followFinal: true });
    let st: Stats;
    try {
      st = await lstat(resolved.host);
    } catch {
      throw new NotFoundError(`Could not find the file ${path} in container ${ref}`);
    }
    if (!st.isDirectory()) throw new InvalidParameterError(`extraction point is not a directory`);
    view.checkWritable(resolved.inside);
    await unpackLayer(tarStream, {
      target: resolved.host,
      mode: 'plain',
      mountPoint: (rel) => view.writableMountPoint(posix.join(resolved.inside, rel)),
      ...(owner ? { owner: { uid: owner.uid, gid: owner.gid } } : {}),
    });
    service.event(c, 'extract-to-dir');
  } finally {
    tarStream.resume();
    await release();
  }
}

// ---------------------------------------------------------------- export, changes

/** `GET /containers/{id}/export`: the merged root filesystem as one tar. */
export async function exportContainer(service: ContainerService, ref: string): Promise<Readable> {
  const c = service.store.mustFind(ref);
  const root = await openContainerRoot(service, c);
  service.event(c, 'export');
  return packPath(root.path, '', () => root.release());
}

/**
 * Mount points the runtime creates in the upper dir for its bind mounts. Docker keeps them
 * in a hidden init layer, so `docker diff` of a fresh container is empty; we hide them too.
 */
const RUNTIME_MOUNT_POINTS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/.dockerenv', '/etc/mtab']);

/** `GET /containers/{id}/changes`: the upper dir against the image's layers. */
export async function containerChanges(service: ContainerService, ref: string): Promise<Change[]> {
  const c = service.store.mustFind(ref);
  const snaps = service.deps.snapshots;
  const all = await changes(snaps.upperDir(c.snapshotKey), snaps.lowerDirs(c.snapshotKey));
  const hidden = all.filter((ch) => RUNTIME_MOUNT_POINTS.has(ch.Path) && ch.Kind !== 2);
  const kept = all.filter((ch) => !hidden.includes(ch));
  // A directory that is only "modified" because of hidden mount points is not a change either.
  return kept.filter((ch) => {
    if (ch.Kind !== 0) return true;
    const prefix = `${ch.Path}/`;
    const hadHidden = hidden.some((h) => h.Path.startsWith(prefix));
    return !hadHidden || kept.some((k) => k.Path.startsWith(prefix));
  });
}

// ---------------------------------------------------------------- commit

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Pause the container while its layer is read (default true, as Docker). */
  pause?: boolean;
  /** Dockerfile instructions applied to the config (`--change`). */
  changes?: string[];
  /** A ContainerConfig overriding the container's config for the image. */
  config?: ContainerConfig;
}

function imageRuntimeConfig(cc: ContainerConfig): ImageRuntimeConfig {
  const out: ImageRuntimeConfig = {};
  if (cc.User) out.User = cc.User;
  if (cc.ExposedPorts && Object.keys(cc.ExposedPorts).length) out.ExposedPorts = cc.ExposedPorts;
  if (cc.Env?.length) out.Env = cc.Env;
  if (cc.Entrypoint?.length) out.Entrypoint = cc.Entrypoint;
  if (cc.Cmd?.length) out.Cmd = cc.Cmd;
  if (cc.Volumes && Object.keys(cc.Volumes).length) out.Volumes = cc.Volumes;
  if (cc.WorkingDir) out.WorkingDir = cc.WorkingDir;
  if (cc.Labels && Object.keys(cc.Labels).length) out.Labels = cc.Labels;
  if (cc.StopSignal) out.StopSignal = cc.StopSignal;
  if (cc.Healthcheck) out.Healthcheck = cc.Healthcheck as ImageRuntimeConfig['Healthcheck'];
  if (cc.OnBuild?.length) out.OnBuild = cc.OnBuild;
  if (cc.Shell?.length) out.Shell = cc.Shell;
  return out;
}

/** Fields of the override that are set win over the container's (Docker's merge). */
function overrideConfig(base: ContainerConfig, over: ContainerConfig | undefined): ContainerConfig {
  if (!over) return base;
  const out: ContainerConfig = { ...base };
  for (const [k, v] of Object.entries(over) as [keyof ContainerConfig, unknown][]) {
    const empty = v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
    if (!empty) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

function tagFor(repo: string | undefined, tag: string | undefined): string[] {
  if (!repo) {
    if (tag) throw new InvalidParameterError('a tag needs a repository');
    return [];
  }
  const ref = parseReference(repo);
  if (ref.digest) throw new InvalidParameterError('cannot commit to a digest reference');
  if (tag) {
    validateTag(tag);
    ref.tag = tag;
  }
  ref.tag ??= 'latest';
  return [formatReference(ref)];
}

/**
 * `docker commit`: the container's upper dir becomes a new layer on top of its image's
 * layers. The layer is stored in the content store, unpacked into a committed snapshot
 * (so the new image runs at once), and the image is registered and tagged.
 */
export async function commitContainer(service: ContainerService, images: ImageService, ref: string, o: CommitOptions): Promise<{ Id: string }> {
  const c = service.store.mustFind(ref);
  const tags = tagFor(o.repo, o.tag);
  const { record, config: base } = await images.configOf(c.imageId);
  const runtimeConfig = applyChanges(imageRuntimeConfig(overrideConfig(c.config, o.config)), o.changes ?? []);
  const pause = o.pause !== false && c.state.Running && !c.state.Paused;
  if (pause) await service.pause(c.id);
  try {
    const rec = await images.writing(async () => {
      const blob = await images.content.ingest(diffUpperDir(service.deps.snapshots.upperDir(c.snapshotKey)));
      const parentChainId = chainIds(base.rootfs.diff_ids).at(-1);
      const applied = await images.deps.layers.applyLayer({ stream: await images.content.read(blob.digest), parentChainId, diffId: blob.digest });
      const created = new Date().toISOString();
      const config: ImageConfig = {
        ...base,
        created,
        ...(o.author ? { author: o.author } : {}),
        config: runtimeConfig,
        rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, applied.diffId] },
        history: [
          ...(base.history ?? []),
          { created, created_by: [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].join(' '), ...(o.author ? { author: o.author } : {}), ...(o.comment ? { comment: o.comment } : {}) },
        ],
        container: c.id,
        ...(o.comment ? { comment: o.comment } : {}),
        parent: record.id,
      };
      delete config.container_config;
      const { manifest } = await images.loadRecord(record);
      const layer: Descriptor = { mediaType: MediaTypes.ociLayer, digest: blob.digest, size: blob.size };
      const { configDigest, manifestDigest } = await storeImageBlobs(images, config, [...manifest.layers, layer]);
      return images.register({ config, configDigest, manifestDigest, tags, parent: record.id });
    });
    service.deps.events.publish('container', 'commit', c.id, { comment: o.comment ?? '', imageID: rec.id, imageRef: tags[0] ?? '', name: c.name, image: c.imageRef });
    return { Id: rec.id };
  } finally {
    if (pause) await service.unpause(c.id).catch(() => undefined);
  }
}
