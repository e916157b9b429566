// The embedded DNS server over a real UDP socket on loopback, with a fixed set of names.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { EmbeddedDns } from '../../src/engine/networks/dns-server.js';
import { createLogger } from '../../src/util/log.js';
import { freePort } from '../helpers/ports.js';

const NAMES: Record<string, string[]> = { svc: ['10.9.0.2', '10.9.0.3', '10.9.0.4'], web: ['10.9.0.5'] };

describe('embedded DNS server', () => {
  let server: EmbeddedDns;
  let port: number;
  let nextId = 1;

  const ask = async (name: string, type: 'A' | 'AAAA' = 'A'): Promise<dnsPacket.DecodedPacket> => {
    const sock = createSocket('udp4');
    try {
      const id = nextId++;
      const reply = new Promise<Buffer>((resolve) => sock.once('message', resolve));
      sock.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }), port, '127.0.0.1');
      const answer = dnsPacket.decode(await reply);
      assert.equal(answer.id, id);
      return answer;
    } finally {
      sock.close();
    }
  };
  const addresses = (p: dnsPacket.DecodedPacket) => (p.answers ?? []).map((a) => (a as { data: string }).data);
  /** The response code, the low four bits of the flags (0 NOERROR, 3 NXDOMAIN). */
  const rcode = (p: dnsPacket.DecodedPacket) => (p.flags ?? 0) & 0xf;

  before(async () => {
    port = await freePort();
    server = new EmbeddedDns('127.0.0.1', { lookup: (n) => NAMES[n], reverse: () => undefined, upstreams: () => [] }, createLogger(), port);
    await server.start();
  });
  after(() => server?.stop());

  it('answers every address of a name, each A answer starting one further along', async () => {
    const firsts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const all = addresses(await ask('svc'));
      assert.deepEqual([...all].sort(), NAMES.svc);
      firsts.push(all[0]!);
    }
    assert.deepEqual(firsts, [...NAMES.svc!, NAMES.svc![0]]);
  });

  it('an AAAA query for a name of ours gets no records and does not turn the rotation', async () => {
    const first = addresses(await ask('svc'))[0]!;
    const aaaa = await ask('svc', 'AAAA');
    assert.equal(rcode(aaaa), 0);
    assert.deepEqual(aaaa.answers, []);
    const next = addresses(await ask('svc'))[0]!;
    assert.equal(NAMES.svc!.indexOf(next), (NAMES.svc!.indexOf(first) + 1) % NAMES.svc!.length);
  });

  it('an unqualified name that is not ours is NXDOMAIN, never forwarded', async () => {
    assert.equal(rcode(await ask('nosuch')), 3);
    assert.deepEqual(addresses(await ask('web')), ['10.9.0.5']);
  });
});
