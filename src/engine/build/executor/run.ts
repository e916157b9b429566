/**
 * One RUN step: the rootfs (an active snapshot) is already mounted; this runs the command in
 * it through the OCI runtime (in the foreground, without conmon: nobody attaches to a step
 * later), streams its output, and cleans up after it.
 *
 * Mount points the runtime has to create for the step (/etc/resolv.conf, /run/secrets/x, a
 * cache target...) would otherwise end up in the layer as empty files and directories: the
 * ones that did not exist before the step are removed again afterwards, as Docker keeps them in
 * its init layer.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readdir, rm, rmdir, writeFile, copyFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Writable } from 'node:stream';
import type { ContainerRuntime } from '../../../runtime/container-runtime.js';
import { generateSpec } from '../../../runtime/spec/generate.js';
import { detectHostInfo } from '../../../runtime/spec/host-info.js';
import type { OciMount } from '../../../runtime/spec/oci-types.js';
import { readUserDatabase } from '../../../runtime/spec/user.js';
import { errorMessage } from '../../../util/errors.js';
import type { BuildNetwork } from './network.js';
import { resolveInRoot } from './scoped-fs.js';

export interface RunStepOptions {
  id: string;
  rootfs: string;
  /** The step's scratch directory (etc files, secrets); removed by the caller. */
  workDir: string;
  args: string[];
  env: string[];
  user?: string;
  workingDir?: string;
  network: BuildNetwork;
  extraHosts?: string[];
  mounts: OciMount[];
  /** Files to place in the rootfs before the run and remove after (RUN heredoc scripts). */
  resources?: { shmSize?: number; memory?: number; cpusetCpus?: string };
  cgroupParent: string;
  output: Writable;
}

export interface RunStepDeps {
  runtime: ContainerRuntime;
}

/** Runs the process and returns its exit code. */
export async function runStep(deps: RunStepDeps, o: RunStepOptions): Promise<number> {
  const sandbox = await o.network.setup(o.id, { extraHosts: o.extraHosts });
  const created = await missingMountPoints(o.rootfs, ['/etc/resolv.conf', '/etc/hosts', ...o.mounts.map((m) => m.destination)]);
  let ran = false;
  let finished = false;
  try {
    const hostsPath = join(o.workDir, 'hosts');
    const resolvPath = join(o.workDir, 'resolv.conf');
    await writeFile(hostsPath, sandbox.hosts);
    await writeFile(resolvPath, sandbox.resolvConf);
    const { spec } = generateSpec({
      id: o.id,
      config: { Cmd: o.args, Entrypoint: [], Env: o.env, User: o.user ?? '', WorkingDir: o.workingDir || '/', Hostname: 'buildkitsandbox' },
      hostConfig: {
        NetworkMode: sandbox.hostNetwork ? 'host' : 'none',
        ShmSize: o.resources?.shmSize,
        Memory: o.resources?.memory,
        CpusetCpus: o.resources?.cpusetCpus,
      },
      rootfsPath: o.rootfs,
      users: readUserDatabase(o.rootfs),
      netnsPath: sandbox.netnsPath,
      hostsFile: hostsPath,
      resolvConfFile: resolvPath,
      cgroupParent: o.cgroupParent,
      extraMounts: o.mounts,
      host: detectHostInfo(),
    });
    // One runtime process to its end, as nobody attaches to a step later: no supervisor.
    ran = true;
    const code = await deps.runtime.runToExit({ id: o.id, spec, stdout: o.output, stderr: o.output });
    finished = true;
    return code;
  } finally {
    // A finished run removed its container itself. Otherwise it is removed here, and the
    // sandbox is handed back for reuse only when the step's processes are surely gone.
    const gone = finished || !ran ? true : await deps.runtime.delete(o.id, { force: true }).then(() => true, () => false);
    await o.network.teardown(o.id, { reusable: gone }).catch(() => undefined);
    await removeMountPoints(o.rootfs, created).catch(() => undefined);
  }
}

/** The given paths and their ancestors that do not exist in the rootfs yet, deepest first. */
async function missingMountPoints(rootfs: string, destinations: string[]): Promise<string[]> {
  const missing = new Set<string>();
  for (const dest of destinations) {
    let p = posix.normalize(dest);
    while (p !== '/' && p !== '.') {
      const host = await resolveInRoot(rootfs, p, { keepLast: true });
      if ((await lstat(host).catch(() => undefined)) !== undefined) break;
      missing.add(p);
      p = posix.dirname(p);
    }
  }
  return [...missing].sort((a, b) => b.length - a.length);
}

/** Removes the mount points the runtime created, if they are still empty. */
async function removeMountPoints(rootfs: string, paths: string[]): Promise<void> {
  for (const p of paths) {
    const host = await resolveInRoot(rootfs, p, { keepLast: true });
    const st = await lstat(host).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      if ((await readdir(host)).length === 0) await rmdir(host).catch(() => undefined);
    } else if (st.isFile() && st.size === 0) await rm(host, { force: true });
  }
}

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

/** A secret for `RUN --mount=type=secret`, copied into the step's scratch dir with its mode and owner. */
export async function stageSecret(o: { workDir: string; source: string; id: string; mode?: number; uid?: number; gid?: number }): Promise<string> {
  const dir = join(o.workDir, 'secrets');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, o.id.replace(/[^A-Za-z0-9_.-]/g, '_'));
  await copyFile(o.source, path);
  await chmod(path, o.mode ?? 0o400);
  await chown(path, o.uid ?? 0, o.gid ?? 0);
  return path;
}

export function describeRunError(err: unknown): string {
  return errorMessage(err);
}
