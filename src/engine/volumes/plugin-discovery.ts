import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../../util/errors.js';

/** Where Docker looks for plugins; configurable so tests (and rootless setups) use their own. */
export interface PluginPaths {
  /** Directories holding `<name>.sock` or `<name>/<name>.sock`. */
  socketDirs: string[];
  /** Directories holding `<name>.spec` (a URL) or `<name>.json` ({Name, Addr}). */
  specDirs: string[];
}

export const DEFAULT_PLUGIN_PATHS: PluginPaths = {
  socketDirs: ['/run/docker/plugins'],
  specDirs: ['/etc/docker/plugins', '/usr/lib/docker/plugins'],
};

/** A plugin's address: a unix socket path, or a TCP host and port. */
export type PluginAddress = { socketPath: string } | { host: string; port: number };

/**
 * Finds plugin `name` the way Docker's plugin discovery does: sockets first, then spec files.
 * `BERTH_PLUGIN_SOCKET_DIRS` / `BERTH_PLUGIN_SPEC_DIRS` (colon-separated) override the
 * defaults, so a test daemon can use temp dirs.
 */
export async function discoverPlugin(name: string, paths: PluginPaths = pluginPathsFromEnv()): Promise<PluginAddress> {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new NotFoundError(`plugin "${name}" not found`);
  for (const dir of paths.socketDirs) {
    for (const p of [join(dir, `${name}.sock`), join(dir, name, `${name}.sock`)]) {
      if (await isSocket(p)) return { socketPath: p };
    }
  }
  for (const dir of paths.specDirs) {
    const spec = await readFile(join(dir, `${name}.spec`), 'utf8').catch(() => undefined);
    if (spec !== undefined) return parseAddress(spec.trim(), name);
    const json = await readFile(join(dir, `${name}.json`), 'utf8').catch(() => undefined);
    if (json !== undefined) return parseAddress(String((JSON.parse(json) as { Addr?: unknown }).Addr ?? ''), name);
  }
  throw new NotFoundError(`error looking up volume plugin ${name}: plugin "${name}" not found`);
}

export function pluginPathsFromEnv(env: NodeJS.ProcessEnv = process.env): PluginPaths {
  const split = (v: string | undefined) => (v ? v.split(':').filter(Boolean) : undefined);
  return {
    socketDirs: split(env.BERTH_PLUGIN_SOCKET_DIRS) ?? DEFAULT_PLUGIN_PATHS.socketDirs,
    specDirs: split(env.BERTH_PLUGIN_SPEC_DIRS) ?? DEFAULT_PLUGIN_PATHS.specDirs,
  };
}

function parseAddress(url: string, name: string): PluginAddress {
  const m = /^(unix|tcp):\/\/(.+)$/.exec(url);
  if (!m) throw new NotFoundError(`plugin "${name}": unsupported address "${url}" (want unix:// or tcp://)`);
  if (m[1] === 'unix') return { socketPath: m[2]! };
  const hp = /^([^:/]+):(\d+)$/.exec(m[2]!);
  if (!hp) throw new NotFoundError(`plugin "${name}": bad tcp address "${url}"`);
  return { host: hp[1]!, port: Number(hp[2]) };
}

async function isSocket(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isSocket(),
    () => false,
  );
}
