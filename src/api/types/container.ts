/**
 * Docker Engine API (v1.44) container wire types: the bodies of `POST /containers/create`
 * and the `Config` / `HostConfig` parts of `GET /containers/{id}/json`. Field names are
 * Docker's own (PascalCase) because these objects are serialized as-is; every field is
 * optional on the wire and Docker treats a missing field and its zero value alike.
 */

/** `{"80/tcp": {}}` style sets used by ExposedPorts and Volumes. */
export type EmptyObjectSet = Record<string, Record<string, never>>;

export interface HealthConfig {
  /** `[]` inherit, `["NONE"]` disable, `["CMD", args...]` or `["CMD-SHELL", command]`. */
  Test?: string[];
  /** Nanoseconds; 0 means inherit. */
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  /** `user`, `user:group`, `uid`, `uid:gid` (names resolved in the container's /etc/passwd). */
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: EmptyObjectSet | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  /** `KEY=value` entries. */
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean | null;
  Image?: string;
  Volumes?: EmptyObjectSet | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean | null;
  MacAddress?: string | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string | null;
  /** Seconds. */
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

export interface RestartPolicy {
  Name?: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export type PortMap = Record<string, PortBinding[] | null>;

export interface LogConfig {
  Type?: string;
  Config?: Record<string, string>;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer?: string;
  /** Any of `r`, `w`, `m`; default `rwm`. */
  CgroupPermissions?: string;
}

export interface DeviceRequest {
  Driver?: string;
  Count?: number;
  DeviceIDs?: string[] | null;
  Capabilities?: string[][] | null;
  Options?: Record<string, string> | null;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface WeightDevice {
  Path: string;
  Weight: number;
}

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';

export interface MountBindOptions {
  Propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
  NonRecursive?: boolean;
  CreateMountpoint?: boolean;
  ReadOnlyNonRecursive?: boolean;
  ReadOnlyForceRecursive?: boolean;
}

export interface MountVolumeOptions {
  NoCopy?: boolean;
  Labels?: Record<string, string> | null;
  DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
  Subpath?: string;
}

export interface MountTmpfsOptions {
  /** Bytes. */
  SizeBytes?: number;
  /** Octal file mode as a number (e.g. 0o1777). */
  Mode?: number;
  Options?: string[][] | null;
}

export interface Mount {
  Target: string;
  Source?: string;
  Type: MountType;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: MountBindOptions | null;
  VolumeOptions?: MountVolumeOptions | null;
  TmpfsOptions?: MountTmpfsOptions | null;
}

/** The cgroup resource part of HostConfig (also the body of `POST /containers/{id}/update`). */
export interface Resources {
  CpuShares?: number;
  /** Bytes; 0 = unlimited. */
  Memory?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: WeightDevice[] | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  /** Microseconds. */
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: DeviceRequest[] | null;
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  MemoryReservation?: number;
  /** Memory + swap in bytes; -1 = unlimited swap. */
  MemorySwap?: number;
  /** 0..100, or -1 (unset). */
  MemorySwappiness?: number | null;
  /** CPU quota in units of 1e-9 CPUs. */
  NanoCpus?: number;
  OomKillDisable?: boolean | null;
  /** 0 or -1 = unlimited. */
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
}

export interface HostConfig extends Resources {
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: LogConfig;
  NetworkMode?: string;
  PortBindings?: PortMap | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  Mounts?: Mount[] | null;
  ConsoleSize?: [number, number] | null;
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: '' | 'private' | 'host';
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  /** `""`, `none`, `private`, `shareable`, `host`, `container:<id|name>`. */
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  /** `""`, `host`, `container:<id|name>`. */
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  /** Target path -> mount options (`"size=64m,mode=1777"`). */
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  /** Bytes; 0 = default (64 MiB). */
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Isolation?: '' | 'default' | 'process' | 'hyperv';
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  Init?: boolean | null;
}

export interface EndpointSettings {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  DriverOpts?: Record<string, string> | null;
  DNSNames?: string[] | null;
}

export interface NetworkingConfig {
  EndpointsConfig?: Record<string, EndpointSettings> | null;
}

/** Body of `POST /containers/create`: the config with HostConfig and NetworkingConfig inline. */
export interface ContainerCreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: NetworkingConfig;
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[];
}

export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: { Message: string } | null;
}
