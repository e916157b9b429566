import { posix } from 'node:path';
import { envFromList } from '../build/dockerfile/expand.js';
import { createExpander, expandInstruction, parseInstructions, type Instruction } from '../build/dockerfile/instructions.js';
import { InvalidParameterError } from '../../util/errors.js';
import type { ImageRuntimeConfig } from './oci.js';

/** The instructions `--change` accepts (docker import/commit): those that only edit the config. */
export const CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'] as const;

const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Docker's port key: `80` → `80/tcp`; protocols lower-cased; ranges expanded. */
export function exposedPortKeys(spec: string): string[] {
  const [range = '', proto = 'tcp'] = spec.split('/');
  const m = /^(\d+)(?:-(\d+))?$/.exec(range);
  if (!m || !['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new InvalidParameterError(`invalid port "${spec}"`);
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : start;
  if (start < 1 || end > 65535 || end < start) throw new InvalidParameterError(`invalid port range "${spec}"`);
  const keys: string[] = [];
  for (let p = start; p <= end; p++) keys.push(`${p}/${proto.toLowerCase()}`);
  return keys;
}

function setEnv(env: string[], key: string, value: string): string[] {
  const out = env.filter((e) => e.split('=', 1)[0] !== key);
  out.push(`${key}=${value}`);
  return out;
}

/**
 * Applies one config instruction (already parsed) to an image config, as the builder does for
 * CMD/ENTRYPOINT/ENV/... and as `--change` does. Variables are expanded with the config's Env.
 */
export function applyConfigInstruction(config: ImageRuntimeConfig, parsed: Instruction): void {
  const instr = expandInstruction(parsed, createExpander(envFromList(config.Env ?? [])));
  const shell = config.Shell?.length ? config.Shell : DEFAULT_SHELL;
  const command = (c: { args: string[]; prependShell: boolean }) => (c.prependShell ? [...shell, c.args.join(' ')] : [...c.args]);
  switch (instr.kind) {
    case 'CMD':
      config.Cmd = command(instr.command);
      config.ArgsEscaped = instr.command.prependShell || undefined;
      break;
    case 'ENTRYPOINT':
      config.Entrypoint = command(instr.command);
      // Docker: setting ENTRYPOINT resets a CMD inherited from the base image
      break;
    case 'ENV':
      for (const { key, value } of instr.env) config.Env = setEnv(config.Env ?? [], key, value);
      break;
    case 'LABEL':
      config.Labels = { ...config.Labels };
      for (const { key, value } of instr.labels) config.Labels[key] = value;
      break;
    case 'EXPOSE':
      config.ExposedPorts = { ...config.ExposedPorts };
      for (const p of instr.ports) for (const k of exposedPortKeys(p)) config.ExposedPorts[k] = {};
      break;
    case 'VOLUME':
      config.Volumes = { ...config.Volumes };
      for (const v of instr.volumes) {
        if (v === '') throw new InvalidParameterError('VOLUME specified can not be an empty string');
        config.Volumes[v] = {};
      }
      break;
    case 'WORKDIR':
      config.WorkingDir = posix.resolve(config.WorkingDir || '/', instr.path);
      break;
    case 'USER':
      config.User = instr.user;
      break;
    case 'STOPSIGNAL':
      config.StopSignal = instr.signal;
      break;
    case 'ONBUILD':
      config.OnBuild = [...(config.OnBuild ?? []), instr.expression];
      break;
    case 'HEALTHCHECK': {
      const h = instr.health;
      if (h.test[0] === 'NONE') config.Healthcheck = { Test: ['NONE'] };
      else {
        config.Healthcheck = { Test: h.test };
        if (h.interval) config.Healthcheck.Interval = h.interval;
        if (h.timeout) config.Healthcheck.Timeout = h.timeout;
        if (h.startPeriod) config.Healthcheck.StartPeriod = h.startPeriod;
        if (h.startInterval) config.Healthcheck.StartInterval = h.startInterval;
        if (h.retries) config.Healthcheck.Retries = h.retries;
      }
      break;
    }
    case 'SHELL':
      config.Shell = instr.shell;
      break;
    default:
      throw new InvalidParameterError(`${instr.kind} cannot change an image config`);
  }
}

/** `docker import --change` / `docker commit --change`: each value is one Dockerfile instruction. */
export function applyChanges(config: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const out: ImageRuntimeConfig = structuredClone(config);
  for (const raw of changes) {
    const change = raw.trim();
    if (change === '') continue;
    const keyword = change.split(/\s+/, 1)[0]!.toUpperCase();
    if (!(CHANGE_INSTRUCTIONS as readonly string[]).includes(keyword)) throw new InvalidParameterError(`${keyword.toLowerCase()} is not a valid change command`);
    const { instructions } = parseInstructions(change, { fileName: '--change' });
    for (const instr of instructions) applyConfigInstruction(out, instr);
  }
  return out;
}
