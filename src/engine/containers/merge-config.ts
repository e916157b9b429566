import type { ContainerConfig, HostConfig } from '../../api/types/container.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, parseSecurityOpts } from '../../runtime/spec/generate.js';
import { InvalidParameterError } from '../../util/errors.js';
import type { ImageRuntimeConfig } from '../images/oci.js';

function envKey(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

/**
 * Docker fills a new container's config from its image (daemon/create.go `merge`): the
 * user's values win; Env and Labels are merged key by key; ExposedPorts and Volumes are
 * unions; Cmd comes from the image only when neither Cmd nor Entrypoint was given.
 */
export function mergeImageConfig(user: ContainerConfig, image: ImageRuntimeConfig | undefined): ContainerConfig {
  const out: ContainerConfig = structuredClone(user);
  if (!image) return out;
  out.User ||= image.User ?? '';
  if (image.ExposedPorts) out.ExposedPorts = { ...(image.ExposedPorts as ContainerConfig['ExposedPorts']), ...out.ExposedPorts };
  if (image.Env?.length) {
    const userKeys = new Set((out.Env ?? []).map(envKey));
    out.Env = [...image.Env.filter((e) => !userKeys.has(envKey(e))), ...(out.Env ?? [])];
  }
  if (image.Labels) out.Labels = { ...image.Labels, ...out.Labels };
  if (!out.Entrypoint || out.Entrypoint.length === 0) {
    if (!out.Cmd || out.Cmd.length === 0) {
      out.Cmd = image.Cmd ?? null;
      if (image.ArgsEscaped !== undefined) out.ArgsEscaped = image.ArgsEscaped;
    }
    if (out.Entrypoint === undefined || out.Entrypoint === null) out.Entrypoint = image.Entrypoint ?? null;
  }
  out.WorkingDir ||= image.WorkingDir ?? '';
  if (image.Volumes) out.Volumes = { ...(image.Volumes as ContainerConfig['Volumes']), ...out.Volumes };
  // Left out when neither sets it, as Docker's inspect leaves it out.
  if (!out.StopSignal && image.StopSignal) out.StopSignal = image.StopSignal;
  if (!out.Healthcheck && image.Healthcheck) out.Healthcheck = image.Healthcheck;
  else if (out.Healthcheck && image.Healthcheck) {
    // Docker: unset fields of the container's healthcheck inherit the image's
    const h = { ...out.Healthcheck };
    if (!h.Test || h.Test.length === 0) h.Test = image.Healthcheck.Test;
    h.Interval ||= image.Healthcheck.Interval;
    h.Timeout ||= image.Healthcheck.Timeout;
    h.StartPeriod ||= image.Healthcheck.StartPeriod;
    h.StartInterval ||= image.Healthcheck.StartInterval;
    h.Retries ||= image.Healthcheck.Retries;
    out.Healthcheck = h;
  }
  if (!out.Shell?.length && image.Shell) out.Shell = image.Shell;
  if (!out.OnBuild?.length && image.OnBuild) out.OnBuild = image.OnBuild;
  return out;
}

const RESTART_POLICIES = ['', 'no', 'always', 'unless-stopped', 'on-failure'];

/** Checks on HostConfig that Docker makes at create time, before anything is allocated. */
export function validateHostConfig(hc: HostConfig): void {
  const rp = hc.RestartPolicy;
  if (rp) {
    if (!RESTART_POLICIES.includes(rp.Name ?? '')) throw new InvalidParameterError(`invalid restart policy: unknown policy '${rp.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
    if ((rp.MaximumRetryCount ?? 0) < 0) throw new InvalidParameterError('invalid restart policy: maximum retry count cannot be negative');
    if (rp.Name !== 'on-failure' && (rp.MaximumRetryCount ?? 0) > 0) {
      throw new InvalidParameterError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    }
    if (hc.AutoRemove && rp.Name && rp.Name !== 'no') throw new InvalidParameterError(`can't create 'AutoRemove' container with restart policy`);
  }
  for (const [port, bindings] of Object.entries(hc.PortBindings ?? {})) {
    if (!/^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/.test(port)) throw new InvalidParameterError(`invalid port specification: "${port}"`);
    for (const b of bindings ?? []) {
      if (b.HostPort && !/^\d{1,5}(-\d{1,5})?$/.test(b.HostPort)) throw new InvalidParameterError(`invalid port specification: "${b.HostPort}"`);
      if (b.HostPort && Number(b.HostPort.split('-')[0]) > 65535) throw new InvalidParameterError(`invalid port specification: "${b.HostPort}"`);
    }
  }
  if (hc.Memory !== undefined && hc.Memory !== 0 && hc.Memory < 6 * 1024 * 1024) throw new InvalidParameterError('Minimum memory limit allowed is 6MB');
  if (hc.MemorySwap !== undefined && hc.MemorySwap > 0 && hc.Memory && hc.MemorySwap < hc.Memory) {
    throw new InvalidParameterError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (hc.NanoCpus && hc.CpuPeriod) throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (hc.NanoCpus && hc.CpuQuota) throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (hc.NanoCpus !== undefined && hc.NanoCpus < 0) throw new InvalidParameterError('Range of CPUs is from 0.01 to the number of CPUs available');
}

/**
 * What Docker fills in a valid HostConfig at create, so that inspect shows it and `docker
 * update` checks against it: the swap limit (twice the memory; unlimited where the kernel
 * cannot limit swap), the masked and read-only paths, and null for the docker CLI's "not set"
 * (MemorySwappiness -1, PidsLimit 0 or below).
 */
export function fillHostConfigDefaults(hc: HostConfig, swapLimit: boolean): void {
  if ((hc.Memory ?? 0) > 0 && !hc.MemorySwap) hc.MemorySwap = swapLimit ? hc.Memory! * 2 : -1;
  if (hc.MemorySwappiness === -1) hc.MemorySwappiness = null;
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit <= 0) hc.PidsLimit = null;
  if (!hc.Privileged) {
    const unconfined = parseSecurityOpts(hc.SecurityOpt ?? []).unconfinedSystemPaths;
    hc.MaskedPaths ??= unconfined ? [] : [...DEFAULT_MASKED_PATHS];
    hc.ReadonlyPaths ??= unconfined ? [] : [...DEFAULT_READONLY_PATHS];
  }
}
