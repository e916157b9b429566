import type { Container, NetworkingState } from './model.js';

/** What the network layer gives a container before its process starts. */
export interface SandboxSetup {
  /** Network namespace for runc to join; undefined means the host's (NetworkMode host) or a fresh empty one. */
  netnsPath?: string;
  /** No path, and not the host's: the runtime makes a fresh namespace, known by the process's pid. */
  privateNetns?: boolean;
  networking: NetworkingState;
  hosts: string;
  resolvConf: string;
}

/**
 * The seam between containers and networks: the container service asks for a sandbox at
 * start and gives it back at exit. The bridge/DNS implementation lives in engine/networks.
 */
export interface ContainerNetworking {
  setup(c: Container): Promise<SandboxSetup>;
  teardown(c: Container): Promise<void>;
  /** The live endpoints of a running container (connect/disconnect change them after start). */
  endpoints?(c: Container): Container['networking']['Networks'];
  /** The container is removed: forget what the network layer recorded for it. */
  forget?(c: Container): void;
}
