/**
 * The Engine API calls compose makes, typed. Compose is a client like `docker compose`: it
 * reaches berthd only through BerthClient, with Docker's request and response shapes.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { ApiError, type BerthClient, type JSONMessage } from '../../client/client.js';
import type { ContainerSummary } from '../../client/types.js';

const enc = encodeURIComponent;

export type { ContainerSummary } from '../../client/types.js';

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy' | 'none' | string;
  FailingStreak?: number;
  Log?: Array<{ ExitCode: number; Output: string }> | null;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  Created: string;
  State: { Status: string; Running: boolean; Paused: boolean; Restarting: boolean; ExitCode: number; Error?: string; StartedAt?: string; Health?: HealthState | null };
  Config: { Tty: boolean; OpenStdin?: boolean; Labels: Record<string, string> | null; Image: string; Healthcheck?: { Test?: string[] } | null };
  HostConfig?: { RestartPolicy?: { Name?: string } };
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null; Networks?: Record<string, { IPAddress?: string }> | null };
  Mounts?: Array<{ Type: string; Name?: string; Source?: string; Destination: string }>;
}

export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver?: string;
  Labels?: Record<string, string> | null;
  Containers?: Record<string, unknown> | null;
}

export interface VolumeSummary {
  Name: string;
  Driver?: string;
  Labels?: Record<string, string> | null;
}

export interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  Created: number;
  Size: number;
}

export interface ImageInspect {
  Id: string;
  RepoTags?: string[] | null;
  Created?: string;
  Size?: number;
  Config?: { Healthcheck?: { Test?: string[] } | null } | null;
}

function filters(f: Record<string, string[]>): string {
  return JSON.stringify(f);
}

/** A 404 from the daemon: the object does not exist. */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404;
}

/** Removal that counts as done when the object is already gone. */
export async function goneIfNotFound(removal: Promise<unknown>): Promise<void> {
  try {
    await removal;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** The compose engine's view of the Engine API. */
export class ComposeApi {
  constructor(readonly client: BerthClient) {}

  listContainers(labels: string[], all = true): Promise<ContainerSummary[]> {
    return this.client.get<ContainerSummary[]>('/containers/json', { all, filters: filters({ label: labels }) });
  }

  inspectContainer(id: string): Promise<ContainerInspect> {
    return this.client.get<ContainerInspect>(`/containers/${enc(id)}/json`);
  }

  async createContainer(name: string | undefined, body: unknown): Promise<string> {
    const r = await this.client.json<{ Id: string }>('POST', '/containers/create', { query: { name }, body });
    return r.Id;
  }

  private async post(path: string, query?: Record<string, string | number | boolean | undefined>, body?: unknown): Promise<void> {
    const res = await this.client.call('POST', path, { query, body });
    res.resume();
  }

  /** `PUT /containers/{id}/archive`: extracts a tar into the directory `path` of the container. */
  async putArchive(id: string, path: string, archive: Buffer): Promise<void> {
    // A Buffer body would be sent as JSON; a stream goes as application/x-tar.
    const res = await this.client.call('PUT', `/containers/${enc(id)}/archive`, { query: { path }, body: Readable.from([archive]) });
    res.resume();
  }

  startContainer(id: string): Promise<void> {
    return this.post(`/containers/${enc(id)}/start`);
  }

  stopContainer(id: string, timeout?: number): Promise<void> {
    return this.post(`/containers/${enc(id)}/stop`, { t: timeout });
  }

  restartContainer(id: string, timeout?: number): Promise<void> {
    return this.post(`/containers/${enc(id)}/restart`, { t: timeout });
  }

  killContainer(id: string, signal?: string): Promise<void> {
    return this.post(`/containers/${enc(id)}/kill`, { signal });
  }

  pauseContainer(id: string): Promise<void> {
    return this.post(`/containers/${enc(id)}/pause`);
  }

  unpauseContainer(id: string): Promise<void> {
    return this.post(`/containers/${enc(id)}/unpause`);
  }

  renameContainer(id: string, name: string): Promise<void> {
    return this.post(`/containers/${enc(id)}/rename`, { name });
  }

  async removeContainer(id: string, o: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const res = await this.client.call('DELETE', `/containers/${enc(id)}`, { query: { force: o.force, v: o.volumes } });
    res.resume();
  }

  /** Resolves with the exit code once the container is not running. */
  async waitContainer(id: string, condition: 'not-running' | 'next-exit' | 'removed' = 'not-running'): Promise<number> {
    const r = await this.client.json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', `/containers/${enc(id)}/wait`, { query: { condition } });
    return r.StatusCode;
  }

  /** The raw log stream (multiplexed unless the container has a TTY). */
  logs(id: string, o: { follow?: boolean; tail?: string; timestamps?: boolean; since?: string }): Promise<IncomingMessage> {
    return this.client.call('GET', `/containers/${enc(id)}/logs`, { query: { stdout: true, stderr: true, follow: o.follow, tail: o.tail, timestamps: o.timestamps, since: o.since } });
  }

  top(id: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return this.client.get(`/containers/${enc(id)}/top`);
  }

  connectNetwork(network: string, container: string, endpoint: unknown): Promise<void> {
    return this.post(`/networks/${enc(network)}/connect`, undefined, { Container: container, EndpointConfig: endpoint });
  }

  listNetworks(labels: string[]): Promise<NetworkSummary[]> {
    return this.client.get<NetworkSummary[]>('/networks', { filters: filters({ label: labels }) });
  }

  async findNetwork(name: string): Promise<NetworkSummary | undefined> {
    try {
      return await this.client.get<NetworkSummary>(`/networks/${enc(name)}`);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async createNetwork(body: unknown): Promise<string> {
    const r = await this.client.json<{ Id: string }>('POST', '/networks/create', { body });
    return r.Id;
  }

  async removeNetwork(id: string): Promise<void> {
    (await this.client.call('DELETE', `/networks/${enc(id)}`)).resume();
  }

  async listVolumes(labels: string[]): Promise<VolumeSummary[]> {
    const r = await this.client.get<{ Volumes: VolumeSummary[] | null }>('/volumes', { filters: filters({ label: labels }) });
    return r.Volumes ?? [];
  }

  async findVolume(name: string): Promise<VolumeSummary | undefined> {
    try {
      return await this.client.get<VolumeSummary>(`/volumes/${enc(name)}`);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  createVolume(body: unknown): Promise<VolumeSummary> {
    return this.client.json<VolumeSummary>('POST', '/volumes/create', { body });
  }

  async removeVolume(name: string): Promise<void> {
    (await this.client.call('DELETE', `/volumes/${enc(name)}`)).resume();
  }

  async inspectImage(ref: string): Promise<ImageInspect | undefined> {
    try {
      return await this.client.get<ImageInspect>(`/images/${enc(ref)}/json`);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async removeImage(ref: string): Promise<void> {
    (await this.client.call('DELETE', `/images/${enc(ref)}`)).resume();
  }

  /** Pull: resolves when the stream ends; in-band errors throw. */
  async pull(repo: string, tag: string, onMessage: (m: JSONMessage) => void = () => {}): Promise<void> {
    const res = await this.client.call('POST', '/images/create', { query: { fromImage: repo, tag } });
    for await (const m of this.client.messages(res)) onMessage(m);
  }

  async push(repo: string, tag: string, onMessage: (m: JSONMessage) => void = () => {}): Promise<void> {
    const res = await this.client.call('POST', `/images/${enc(repo)}/push`, { query: { tag }, headers: { 'X-Registry-Auth': Buffer.from('{}').toString('base64') } });
    for await (const m of this.client.messages(res)) onMessage(m);
  }

  /** Legacy builder: the context is a tar stream; returns the image ID from the aux message. */
  async build(context: Readable, query: Record<string, string | string[] | undefined>, onMessage: (m: JSONMessage) => void = () => {}): Promise<string> {
    const res = await this.client.call('POST', '/build', { query, body: context });
    let id = '';
    for await (const m of this.client.messages(res)) {
      const aux = m.aux as { ID?: string } | undefined;
      if (aux?.ID) id = aux.ID;
      onMessage(m);
    }
    return id;
  }

  events(query: Record<string, string | undefined>): Promise<IncomingMessage> {
    return this.client.call('GET', '/events', { query });
  }
}
