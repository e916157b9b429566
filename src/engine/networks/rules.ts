/**
 * The whole iptables rule set of one berthd instance as a pure function of its state. Every
 * change (network created/removed, ports published, endpoint gone) recomputes it and applies it
 * in one iptables-restore, so the kernel always holds exactly what the DB says; reconcile after
 * a crash is the same call. Rules follow dockerd with the userland proxy disabled:
 *
 *   nat PREROUTING  ─(dst LOCAL)─▶ BERTH-<tag>              DNAT host ports → container
 *   nat OUTPUT      ─(dst LOCAL)─▶ BERTH-<tag>              (so the host itself, incl. 127.0.0.1, reaches them)
 *   nat POSTROUTING ────────────▶ BERTH-<tag>-POSTROUTING   MASQUERADE outbound, loopback→container, hairpin
 *   filter FORWARD  ────────────▶ BERTH-<tag>-FORWARD       per-bridge policy; jumps to
 *                                  BERTH-<tag>-ISOLATION     drop traffic between our networks
 *
 * Loopback clients work because each bridge has route_localnet=1 and packets from local
 * addresses going out a bridge are masqueraded to the bridge address. Hairpin (a member
 * reaching a published port via a host address) is masqueraded per network for DNATed flows
 * only, so it works with or without br_netfilter and hairpin_mode (routed or bridged path).
 */
import type { InstanceNames } from './naming.js';
import type { PublishedPort } from './types.js';

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
  masquerade: boolean;
  icc: boolean;
}

export interface FirewallPort extends PublishedPort {
  bridge: string;
  containerIp: string;
}

export interface FirewallState {
  networks: FirewallNetwork[];
  ports: FirewallPort[];
}

function portMatch(p: { proto: string }, port: number, dir: 'dport'): string {
  return `-p ${p.proto} -m ${p.proto} --${dir} ${port}`;
}

function natRules(names: InstanceNames, s: FirewallState): string[] {
  const out: string[] = [];
  for (const p of s.ports) {
    const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? `-d ${p.hostIp}/32 ` : '';
    out.push(`-A ${names.natDnat} ${dst}${portMatch(p, p.hostPort, 'dport')} -j DNAT --to-destination ${p.containerIp}:${p.containerPort}`);
  }
  for (const n of s.networks) {
    if (!n.internal && n.masquerade) out.push(`-A ${names.natPostrouting} -s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`);
    out.push(`-A ${names.natPostrouting} -o ${n.bridge} -m addrtype --src-type LOCAL -j MASQUERADE`);
    // Hairpin: a member reaching a published port (its own or a neighbour's) through a host
    // address. Without SNAT the reply would go straight from the target to the client (or
    // stay inside the client's own namespace) and never be un-DNATed. Only DNATed flows
    // match, so direct container-to-container traffic keeps its source address.
    out.push(`-A ${names.natPostrouting} -s ${n.subnet} -d ${n.subnet} -o ${n.bridge} -m conntrack --ctstate DNAT -j MASQUERADE`);
  }
  return out;
}

function filterRules(names: InstanceNames, s: FirewallState): string[] {
  const fwd = names.forward;
  const out: string[] = [];
  for (const n of s.networks) out.push(`-A ${fwd} -i ${n.bridge} ! -o ${n.bridge} -j ${names.isolation}`);
  for (const n of s.networks) out.push(`-A ${names.isolation} -o ${n.bridge} -j DROP`);
  for (const n of s.networks) {
    if (n.internal) {
      out.push(`-A ${fwd} -i ${n.bridge} ! -o ${n.bridge} -j DROP`);
      out.push(`-A ${fwd} ! -i ${n.bridge} -o ${n.bridge} -j DROP`);
    }
    out.push(`-A ${fwd} -o ${n.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    for (const p of s.ports.filter((p) => p.bridge === n.bridge)) {
      out.push(`-A ${fwd} -d ${p.containerIp}/32 ! -i ${n.bridge} -o ${n.bridge} ${portMatch(p, p.containerPort, 'dport')} -j ACCEPT`);
    }
    out.push(`-A ${fwd} -i ${n.bridge} -o ${n.bridge} -j ${n.icc ? 'ACCEPT' : 'DROP'}`);
    if (!n.internal) {
      out.push(`-A ${fwd} -i ${n.bridge} ! -o ${n.bridge} -j ACCEPT`);
      out.push(`-A ${fwd} ! -i ${n.bridge} -o ${n.bridge} -j DROP`);
    }
  }
  return out;
}

/** Restore text that (re)creates our chains with exactly the rules for `state`. */
export function renderChains(names: InstanceNames, state: FirewallState): string {
  return [
    '*nat',
    `:${names.natDnat} - [0:0]`,
    `:${names.natPostrouting} - [0:0]`,
    ...natRules(names, state),
    'COMMIT',
    '*filter',
    `:${names.forward} - [0:0]`,
    `:${names.isolation} - [0:0]`,
    ...filterRules(names, state),
    'COMMIT',
    '',
  ].join('\n');
}

/** The one jump rule per built-in chain, in save format without the leading `-A`. */
export function jumpRules(names: InstanceNames): { table: 'nat' | 'filter'; rule: string }[] {
  return [
    { table: 'nat', rule: `PREROUTING -m addrtype --dst-type LOCAL -j ${names.natDnat}` },
    { table: 'nat', rule: `OUTPUT -m addrtype --dst-type LOCAL -j ${names.natDnat}` },
    { table: 'nat', rule: `POSTROUTING -j ${names.natPostrouting}` },
    { table: 'filter', rule: `FORWARD -j ${names.forward}` },
  ];
}

export function ourChains(names: InstanceNames): { table: 'nat' | 'filter'; chain: string }[] {
  return [
    { table: 'nat', chain: names.natDnat },
    { table: 'nat', chain: names.natPostrouting },
    { table: 'filter', chain: names.forward },
    { table: 'filter', chain: names.isolation },
  ];
}
