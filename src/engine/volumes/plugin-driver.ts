import { request } from 'node:http';
import { InvalidParameterError, SystemError } from '../../util/errors.js';
import type { DriverVolume, VolumeDriver } from './driver.js';
import { discoverPlugin, type PluginAddress, type PluginPaths } from './plugin-discovery.js';

const MEDIA_TYPE = 'application/vnd.docker.plugins.v1.2+json';
const REQUEST_TIMEOUT_MS = 60_000;

interface PluginReply {
  Err?: string;
  Mountpoint?: string;
  Volume?: DriverVolume;
  Volumes?: DriverVolume[];
  Capabilities?: { Scope?: string };
  Implements?: string[];
}

/**
 * A volume driver that is another process: Docker's volume plugin protocol, JSON over HTTP
 * (normally on a unix socket). The plugin is activated once (`/Plugin.Activate` must list
 * `VolumeDriver`); every driver call is then a POST to `/VolumeDriver.<Method>` whose reply
 * carries `Err` when it failed.
 */
export class PluginVolumeDriver implements VolumeDriver {
  private activated?: Promise<void>;
  private address?: PluginAddress;

  constructor(
    readonly name: string,
    private readonly opts: { paths?: PluginPaths; address?: PluginAddress } = {},
  ) {
    this.address = opts.address;
  }

  async create(name: string, options: Record<string, string>): Promise<void> {
    await this.call('VolumeDriver.Create', { Name: name, Opts: options });
  }
  async remove(name: string): Promise<void> {
    await this.call('VolumeDriver.Remove', { Name: name });
  }
  async mount(name: string, callerId: string): Promise<string> {
    const r = await this.call('VolumeDriver.Mount', { Name: name, ID: callerId });
    if (!r.Mountpoint) throw new SystemError(`VolumeDriver.Mount: plugin ${this.name} returned no mount point for ${name}`);
    return r.Mountpoint;
  }
  async unmount(name: string, callerId: string): Promise<void> {
    await this.call('VolumeDriver.Unmount', { Name: name, ID: callerId });
  }
  async path(name: string): Promise<string> {
    return (await this.call('VolumeDriver.Path', { Name: name })).Mountpoint ?? '';
  }
  async get(name: string): Promise<DriverVolume | undefined> {
    try {
      return (await this.call('VolumeDriver.Get', { Name: name })).Volume;
    } catch (err) {
      if (err instanceof PluginError) return undefined;
      throw err;
    }
  }
  async list(): Promise<DriverVolume[]> {
    return (await this.call('VolumeDriver.List', {})).Volumes ?? [];
  }
  async capabilities(): Promise<{ Scope: 'local' | 'global' }> {
    // Older plugins do not know this call: Docker then assumes local scope.
    const r = await this.call('VolumeDriver.Capabilities', {}).catch(() => ({}) as PluginReply);
    return { Scope: r.Capabilities?.Scope === 'global' ? 'global' : 'local' };
  }

  private activate(): Promise<void> {
    this.activated ??= (async () => {
      this.address ??= await discoverPlugin(this.name, this.opts.paths);
      const r = await this.post('Plugin.Activate', {});
      if (!r.Implements?.includes('VolumeDriver')) throw new InvalidParameterError(`plugin "${this.name}" does not implement VolumeDriver`);
    })();
    // A failed activation is retried by the next call (the plugin may start later).
    this.activated.catch(() => (this.activated = undefined));
    return this.activated;
  }

  private async call(method: string, body: object): Promise<PluginReply> {
    await this.activate();
    const r = await this.post(method, body);
    if (r.Err) throw new PluginError(`${method}: ${r.Err}`);
    return r;
  }

  private post(method: string, body: object): Promise<PluginReply> {
    const address = this.address!;
    const data = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...('socketPath' in address ? { socketPath: address.socketPath } : { host: address.host, port: address.port }),
          method: 'POST',
          path: `/${method}`,
          headers: { 'Content-Type': MEDIA_TYPE, Accept: MEDIA_TYPE, 'Content-Length': data.length },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let reply: PluginReply = {};
            try {
              reply = text.trim() ? (JSON.parse(text) as PluginReply) : {};
            } catch {
              if (res.statusCode === 200) return reject(new SystemError(`volume plugin ${this.name}: ${method}: malformed reply`));
            }
            if (res.statusCode !== 200) return reject(new PluginError(`${method}: ${reply.Err || text.trim() || `status ${res.statusCode}`}`));
            resolve(reply);
          });
        },
      );
      req.on('timeout', () => req.destroy(new SystemError(`volume plugin ${this.name}: ${method} timed out`)));
      req.on('error', (err) => reject(err instanceof SystemError ? err : new SystemError(`volume plugin ${this.name}: ${method}: ${err.message}`, { cause: err })));
      req.end(data);
    });
  }
}

/** The plugin answered, and the answer is an error (`Err`). */
export class PluginError extends SystemError {}
