/**
 * Hairpin on a clean host: the shared test host has legacy iptables tables loaded next to the
 * nf_tables ones and br_netfilter on, which hides mistakes. A fresh network namespace has
 * neither, so the child (clean-host-child.ts) runs the scenario there.
 * Run as root: node --import tsx --test test/networks/clean-host.test.ts
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runTool } from '../../src/sys/ip.js';
import { siblingScript } from '../helpers/paths.js';

it('hairpins published ports without legacy tables and without br_netfilter', async () => {
  const child = siblingScript(import.meta.url, 'clean-host-child').map((a) => `"${a}"`).join(' ');
  const script = [
    'set -e',
    'ip link set lo up',
    // The "host address": a veth end in the fresh namespace (nothing is sent through it).
    'ip link add hpd0 type veth peer name hpd1',
    'ip addr add 192.0.2.77/24 dev hpd0',
    'ip link set hpd0 up',
    'ip link set hpd1 up',
    'test -z "$(cat /proc/net/ip_tables_names)"',
    `exec ${child}`,
  ].join('\n');
  const { stdout } = await runTool('unshare', ['--net', '--', 'sh', '-c', script]);
  const got = JSON.parse(stdout.trim().split('\n').pop()!) as { self: string; neighbour: string };
  assert.deepEqual(got, { self: 'hi\n', neighbour: 'hi\n' });
});
