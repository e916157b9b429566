/**
 * The vocabulary of berth networking.
 *
 * - A *network* is a named L2/L3 domain (a Linux bridge, a macvlan parent, or the special host
 *   and none networks). The three predefined ones are `bridge` (the default bridge), `host` and
 *   `none`.
 * - A *sandbox* is a container's network namespace: a bind-mounted nsfs file under the daemon's
 *   exec root, created by `prepareSandbox` before runc starts and handed to runc as the netns path.
 * - An *endpoint* joins one sandbox to one network: an interface inside the sandbox (eth0, eth1
 *   ...), an IP from the network's IPAM, aliases and DNS names.
 * - *Published ports* belong to the sandbox and are forwarded (DNAT) to its first bridge endpoint.
 */

/** Docker's IPAM config entry (`IPAM.Config[]`). */
export interface IpamPool {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: IpamPool[]; Options?: Record<string, string> };
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
  CheckDuplicate?: boolean;
}

export type NetworkDriver = 'bridge' | 'macvlan' | 'host' | 'null';

/** A network as stored. `pools` always have Subnet and Gateway filled in (IPv4 only). */
export interface NetworkRecord {
  id: string;
  name: string;
  driver: NetworkDriver;
  internal: boolean;
  attachable: boolean;
  enableIPv6: boolean;
  ipamDriver: string;
  ipamOptions: Record<string, string>;
  pools: (IpamPool & { Subnet: string; Gateway: string })[];
  options: Record<string, string>;
  labels: Record<string, string>;
  created: string;
  /** Host device: the bridge name, or the macvlan parent. */
  device: string;
  builtin: boolean;
}

/** What the caller may ask of an endpoint (Docker's EndpointSettings subset on input). */
export interface EndpointConfig {
  Aliases?: string[];
  IPAMConfig?: { IPv4Address?: string } | null;
  MacAddress?: string;
  Links?: string[];
}

/** Docker's EndpointSettings, as shown in inspect and returned by `attach`. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export interface EndpointRecord {
  id: string;
  networkId: string;
  containerId: string;
  containerName: string;
  /** Interface name inside the sandbox (eth0 ...). */
  ifname: string;
  /** Host side of the veth (bridge driver) or empty (macvlan). */
  hostIfname: string;
  mac: string;
  ipv4: string;
  prefixLen: number;
  gateway: string;
  aliases: string[];
  dnsNames: string[];
  links: string[];
  staticIp?: string;
  createdAt: number;
}

export type SandboxMode = 'bridge' | 'host' | 'none';

/** Per-container DNS and hosts settings (from HostConfig). */
export interface SandboxDnsConfig {
  hostname?: string;
  domainname?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** `--add-host name:ip`, ip may be `host-gateway`. */
  extraHosts?: string[];
}

export interface PrepareSandboxOptions extends SandboxDnsConfig {
  /** Container name without the leading slash. */
  name: string;
  /** `host` shares the host's namespace (no netns is made); default `bridge`. */
  mode?: SandboxMode;
}

export interface SandboxRecord {
  containerId: string;
  containerName: string;
  mode: SandboxMode;
  /** Empty in host mode. */
  netnsPath: string;
  dns: SandboxDnsConfig;
  ports: PublishedPort[];
}

/** One host port forwarded to a container port. */
export interface PublishedPort {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

/** Docker's HostConfig.PortBindings: `{"80/tcp": [{HostIp, HostPort}]}`. */
export type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[] | null>;
/** Docker's NetworkSettings.Ports: the same keys, null when exposed but not published. */
export type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

/** How the network service finds a container for connect/disconnect on a running container. */
export interface ContainerLookup {
  /** Throws a NotFoundError (404 "No such container: x") if unknown. */
  resolve(nameOrId: string): { id: string; name: string; netnsPath?: string; running: boolean };
}
