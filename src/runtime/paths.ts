/**
 * Where one container's runtime files live. Everything hangs off two roots given by the
 * caller, so several berthd instances (tests, side-by-side daemons) never share files:
 *
 *   bundleRoot/<id>/            the OCI bundle: config.json, and what conmon puts beside it:
 *                               attach (socket), ctl + winsz (FIFOs), pidfile, conmon.pid, oom
 *   bundleRoot/<id>/exec/<eid>/ one exec session: process.json, attach, ctl, pidfile, exit/<id>
 *   runRoot/runtime/<name>/     `--root` of runc and of crun (each its own)
 *   runRoot/seccomp-bpf/        seccomp filters crun compiled, by profile (seccomp-cache.ts)
 *   runRoot/exits/<id>          conmon's exit file: the exit code as text (written atomically)
 *   runRoot/persist/<id>/       conmon's persist dir (exit and oom marker files)
 *   runRoot/sockets/            conmon's socket dir
 */
import path from 'node:path';

export interface RuntimeLayout {
  /** tmpfs-like state: runtime root, exit files, sockets. */
  runRoot: string;
  /** Parent of the per-container bundle directories. */
  bundleRoot: string;
}

export interface ContainerPaths {
  bundleDir: string;
  configFile: string;
  attachSocket: string;
  ctlFifo: string;
  winszFifo: string;
  pidFile: string;
  conmonPidFile: string;
  exitDir: string;
  exitFile: string;
  persistDir: string;
  socketDir: string;
  /** OOM marker files conmon may create (bundle cwd, persist dir). */
  oomFiles: string[];
}

/** The parent of the runtimes' `--root` directories. */
export function runtimeRoot(layout: RuntimeLayout): string {
  return path.join(layout.runRoot, 'runtime');
}

/** The parent of conmon's per-container persist directories. */
export function persistRoot(layout: RuntimeLayout): string {
  return path.join(layout.runRoot, 'persist');
}

export function containerPaths(layout: RuntimeLayout, id: string): ContainerPaths {
  const bundleDir = path.join(layout.bundleRoot, id);
  const exitDir = path.join(layout.runRoot, 'exits');
  const persistDir = path.join(persistRoot(layout), id);
  return {
    bundleDir,
    configFile: path.join(bundleDir, 'config.json'),
    attachSocket: path.join(bundleDir, 'attach'),
    ctlFifo: path.join(bundleDir, 'ctl'),
    winszFifo: path.join(bundleDir, 'winsz'),
    pidFile: path.join(bundleDir, 'pidfile'),
    conmonPidFile: path.join(bundleDir, 'conmon.pid'),
    exitDir,
    exitFile: path.join(exitDir, id),
    persistDir,
    socketDir: path.join(layout.runRoot, 'sockets'),
    oomFiles: [path.join(bundleDir, 'oom'), path.join(persistDir, 'oom')],
  };
}

export function execPaths(container: ContainerPaths, id: string, execId: string): ContainerPaths & { processFile: string } {
  const bundleDir = path.join(container.bundleDir, 'exec', execId);
  const exitDir = path.join(bundleDir, 'exit');
  return {
    bundleDir,
    configFile: container.configFile,
    processFile: path.join(bundleDir, 'process.json'),
    attachSocket: path.join(bundleDir, 'attach'),
    ctlFifo: path.join(bundleDir, 'ctl'),
    winszFifo: path.join(bundleDir, 'winsz'),
    pidFile: path.join(bundleDir, 'pidfile'),
    conmonPidFile: path.join(bundleDir, 'conmon.pid'),
    exitDir,
    exitFile: path.join(exitDir, id),
    persistDir: path.join(bundleDir, 'persist'),
    socketDir: container.socketDir,
    oomFiles: [],
  };
}
