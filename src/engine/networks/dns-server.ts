/**
 * The embedded DNS server of one user network, listening on the network's gateway address
 * (UDP and TCP port 53), as podman's aardvark-dns does: a Node process cannot enter a container's
 * namespace to serve Docker's 127.0.0.11, but every container on the network reaches its
 * gateway. The listening address tells which network a query belongs to; the source address
 * tells which container asked (for its `--dns` upstreams). Names of the network's containers
 * (name, aliases, short ID, and `name.network`) are answered here with A records in round robin
 * and PTRs; anything else is forwarded to upstream resolvers.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Logger } from '../../util/log.js';

export interface DnsAnswerSource {
  /** A records for `name` (lowercase, no trailing dot) on this network; undefined = not ours. */
  lookup(name: string): string[] | undefined;
  /** The name for an address of this network, for PTR. */
  reverse(ip: string): string | undefined;
  /** Upstream resolvers (`ip` or `ip:port`) for a query from `clientIp`. */
  upstreams(clientIp: string): string[];
}

const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const FORWARD_TIMEOUT_MS = 2000;

function ptrToIPv4(name: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
  return m ? `${m[4]}.${m[3]}.${m[2]}.${m[1]}` : undefined;
}

/** Sends a raw query to one upstream over UDP; resolves with the raw reply or undefined. */
function forwardOnce(query: Buffer, upstream: string): Promise<Buffer | undefined> {
  const [host, port] = upstream.includes(':') ? [upstream.split(':')[0]!, Number(upstream.split(':')[1])] : [upstream, 53];
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    let closed = false;
    const done = (reply?: Buffer) => {
      clearTimeout(timer);
      // An error can follow the reply; closing twice would throw from an event handler.
      if (!closed) sock.close();
      closed = true;
      resolve(reply);
    };
    const timer = setTimeout(() => done(), FORWARD_TIMEOUT_MS);
    sock.on('error', () => done());
    sock.on('message', (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0)) done(msg);
    });
    sock.send(query, port, host);
  });
}

export class EmbeddedDns {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  /** Per name, how far the next A answer starts along its addresses. */
  private readonly turns = new Map<string, number>();

  constructor(
    private readonly address: string,
    private readonly source: DnsAnswerSource,
    private readonly log: Logger,
    private readonly port = 53,
  ) {}

  async start(): Promise<void> {
    const udp = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.port, this.address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', (err) => this.log.warn('dns udp error', { err: err.message }));
    udp.on('message', (msg, rinfo) => {
      this.respond(msg, rinfo.address, (reply) => {
        // A forwarded answer can come back after the network's removal closed the socket.
        if (this.udp === udp) udp.send(reply, rinfo.port, rinfo.address);
      });
    });
    this.udp = udp;
    const tcp = net.createServer((conn) => this.serveTcp(conn));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.port, this.address, () => resolve());
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    this.tcp = tcp;
  }

  async stop(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  private serveTcp(conn: net.Socket): void {
    let buf = Buffer.alloc(0);
    conn.on('error', () => undefined);
    conn.setTimeout(10_000, () => conn.destroy());
    conn.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        this.respond(Buffer.from(msg), conn.remoteAddress?.replace(/^::ffff:/, '') ?? '', (reply) => {
          if (conn.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          conn.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  /** Answers one query through `send`; a query that cannot be answered gets no reply. */
  private respond(raw: Buffer, clientIp: string, send: (reply: Buffer) => void): void {
    this.answer(raw, clientIp)
      .then((reply) => reply && send(reply))
      .catch((err: unknown) => this.log.debug('dns query not answered', { client: clientIp, err: (err as Error).message }));
  }

  /**
   * Round robin: each A answer for a name starts one address further along. Only A queries
   * turn it; a resolver asks A and AAAA together, and two turns per lookup would give two
   * containers the same first address every time.
   */
  private rotate(name: string, ips: string[]): string[] {
    const turn = this.turns.get(name) ?? 0;
    this.turns.set(name, (turn + 1) % 1_000_000);
    const k = turn % ips.length;
    return [...ips.slice(k), ...ips.slice(0, k)];
  }

  /** Builds the reply to one query (exported for unit use through `answer`). */
  async answer(raw: Buffer, clientIp: string): Promise<Buffer | undefined> {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(raw);
    } catch {
      return undefined;
    }
    const q = query.questions?.[0];
    if (!q) return undefined;
    const name = q.name.toLowerCase().replace(/\.$/, '');
    const reply = (answers: dnsPacket.Answer[], rcode = 0) =>
      dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | rcode,
        questions: [q],
        answers,
      });
    const ips = this.source.lookup(name);
    if (ips) {
      if (q.type !== 'A') return reply([]);
      return reply(this.rotate(name, ips).map((ip) => ({ type: 'A', name: q.name, ttl: 600, data: ip })));
    }
    const ptrIp = q.type === 'PTR' ? ptrToIPv4(name) : undefined;
    const ptrName = ptrIp ? this.source.reverse(ptrIp) : undefined;
    if (ptrName) return reply([{ type: 'PTR', name: q.name, ttl: 600, data: ptrName }]);
    // Unqualified names that are not ours would only leak to upstream resolvers.
    if (!name.includes('.')) return reply([], RCODE_NXDOMAIN);
    for (const upstream of this.source.upstreams(clientIp)) {
      const forwarded = await forwardOnce(raw, upstream);
      if (forwarded) return forwarded;
    }
    return reply([], RCODE_SERVFAIL);
  }
}
