/**
 * The resolved Compose project: every file loaded, interpolated, merged, extended, included and
 * normalized to the long syntax. Field names of Compose objects are the Compose Specification's
 * own (snake_case), so the model serializes to what `docker compose config` prints and hashes
 * like compose's ServiceHash; berth's own bookkeeping on Project is camelCase.
 * Durations are nanoseconds and sizes are bytes.
 */

export interface Project {
  name: string;
  /** Absolute project directory: relative paths in the files are resolved against it. */
  workingDir: string;
  /** Absolute paths of the files that were loaded, in order. */
  composeFiles: string[];
  /** Enabled services, by name. */
  services: Record<string, Service>;
  /** Services switched off by profiles; kept so commands like `down` can still find them. */
  disabledServices: Record<string, Service>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, SecretConfig>;
  configs: Record<string, ConfigConfig>;
  /** Active profiles. */
  profiles: string[];
  /** The variables used for interpolation (shell environment over env files). */
  environment: Record<string, string>;
  /** Top-level `x-` keys, kept as written. */
  extensions: Record<string, unknown>;
  /** Non-fatal findings: unset variables, the obsolete `version` key, optional env files missing. */
  warnings: string[];
}

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface ServicePort {
  name?: string;
  mode: 'ingress' | 'host';
  host_ip?: string;
  target: number;
  /** A port (`"8080"`) or a range (`"8000-8010"`); absent when the engine picks one. */
  published?: string;
  protocol: Protocol;
  app_protocol?: string;
}

export interface ServiceVolume {
  type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'image' | 'cluster';
  /** Absolute host path for binds, volume name for volumes, absent for anonymous and tmpfs. */
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: 'z' | 'Z' };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
  image?: { subpath?: string };
}

export interface BuildConfig {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  target?: string;
  labels?: Record<string, string>;
  cache_from?: string[];
  cache_to?: string[];
  network?: string;
  secrets?: ServiceFileRef[];
  ssh?: string[];
  tags?: string[];
  platforms?: string[];
  extra_hosts?: Record<string, string[]>;
  additional_contexts?: Record<string, string>;
  no_cache?: boolean;
  pull?: boolean;
  shm_size?: number;
  privileged?: boolean;
}

export interface HealthCheck {
  /** `["NONE"]`, `["CMD", ...]` or `["CMD-SHELL", "..."]`. */
  test?: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  start_period?: number;
  start_interval?: number;
  disable?: boolean;
}

export type DependsOnCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ServiceDependency {
  condition: DependsOnCondition;
  restart: boolean;
  required: boolean;
}

export interface ResourceSpec {
  cpus?: number;
  memory?: number;
  pids?: number;
}

export interface DeployConfig {
  mode?: string;
  replicas?: number;
  labels?: Record<string, string>;
  resources?: { limits?: ResourceSpec; reservations?: ResourceSpec & { devices?: Array<Record<string, unknown>> } };
  restart_policy?: { condition?: 'none' | 'on-failure' | 'any'; delay?: number; max_attempts?: number; window?: number };
  update_config?: UpdateConfig;
  rollback_config?: UpdateConfig;
  placement?: Record<string, unknown>;
  endpoint_mode?: string;
}

export interface UpdateConfig {
  parallelism?: number;
  delay?: number;
  failure_action?: string;
  monitor?: number;
  max_failure_ratio?: number;
  order?: string;
}

export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  priority?: number;
  driver_opts?: Record<string, string>;
}

/** A service's use of a secret or config. */
export interface ServiceFileRef {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface EnvFileRef {
  path: string;
  required: boolean;
  format?: string;
}

export interface Ulimit {
  soft: number;
  hard: number;
}

export interface Service {
  name: string;
  profiles?: string[];
  image?: string;
  build?: BuildConfig;
  pull_policy?: string;
  platform?: string;
  command?: string[] | null;
  entrypoint?: string[] | null;
  /** Final environment: env_file values overlaid by `environment`; `null` means declared but unset. */
  environment: Record<string, string | null>;
  env_file?: EnvFileRef[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ports?: ServicePort[];
  expose?: string[];
  volumes?: ServiceVolume[];
  volumes_from?: string[];
  tmpfs?: string[];
  /** Absent only with network_mode. */
  networks?: Record<string, ServiceNetwork | null>;
  network_mode?: string;
  depends_on?: Record<string, ServiceDependency>;
  links?: string[];
  external_links?: string[];
  healthcheck?: HealthCheck;
  deploy?: DeployConfig;
  restart?: string;
  scale?: number;
  secrets?: ServiceFileRef[];
  configs?: ServiceFileRef[];
  user?: string;
  working_dir?: string;
  hostname?: string;
  domainname?: string;
  mac_address?: string;
  init?: boolean;
  read_only?: boolean;
  privileged?: boolean;
  tty?: boolean;
  stdin_open?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  ulimits?: Record<string, Ulimit>;
  logging?: { driver?: string; options?: Record<string, string> };
  stop_grace_period?: number;
  stop_signal?: string;
  extra_hosts?: Record<string, string[]>;
  dns?: string[];
  dns_search?: string[];
  dns_opt?: string[];
  sysctls?: Record<string, string>;
  pid?: string;
  ipc?: string;
  uts?: string;
  userns_mode?: string;
  cgroup?: string;
  cgroup_parent?: string;
  shm_size?: number;
  mem_limit?: number;
  mem_reservation?: number;
  memswap_limit?: number;
  mem_swappiness?: number;
  cpus?: number;
  cpu_shares?: number;
  cpu_quota?: number;
  cpu_period?: number;
  cpuset?: string;
  pids_limit?: number;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  container_name?: string;
  devices?: string[];
  device_cgroup_rules?: string[];
  security_opt?: string[];
  group_add?: string[];
  storage_opt?: Record<string, string>;
  runtime?: string;
  isolation?: string;
  attach?: boolean;
  /** `x-` keys of the service, kept as written. */
  extensions?: Record<string, unknown>;
}

export interface NetworkConfig {
  /** The engine-side name: `<project>_<key>` unless set or external. */
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: {
    driver?: string;
    config?: Array<{ subnet?: string; ip_range?: string; gateway?: string; aux_addresses?: Record<string, string> }>;
    options?: Record<string, string>;
  };
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv4?: boolean;
  enable_ipv6?: boolean;
  labels?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

export interface VolumeConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

/** A top-level secret: exactly one of file, environment, content or external. */
export interface SecretConfig {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  labels?: Record<string, string>;
  driver?: string;
  driver_opts?: Record<string, string>;
  template_driver?: string;
  extensions?: Record<string, unknown>;
}

export type ConfigConfig = SecretConfig;
