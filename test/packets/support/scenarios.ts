/**
 * Captures the packet tests make themselves, each in its own pair of network namespaces
 * (see netns-lab.ts), bounded in traffic and time:
 *
 * - lossy:  an 8 MB bulk transfer through a forwarding namespace where nftables drops 3%
 *           of the TCP packets at random (`numgen random mod 100 < 3`); captured at the
 *           receiver, so losses show as segments never seen (Ethernet, µs pcap)
 * - ipv6:   bulk, short connections and UDP over IPv6 (fragments, ICMPv6 port unreachable),
 *           captured by dumpcap as pcapng
 * - short:  2000 short connections plus 20 connections reusing one client port (Linux
 *           cooked v2 via `-i any`, ns pcap)
 * - stall:  a receiver with a tiny buffer that stops reading (zero window, probes, window
 *           updates) and an idle connection with keep-alives
 * - udp:    UDP over IPv4 with datagrams needing fragmentation and one to a closed port
 *           (ICMP port unreachable)
 * - mptcp:  a multipath TCP transfer over two links (MP_CAPABLE, MP_JOIN, ADD_ADDR, DSS)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab } from './netns-lab.js';

export type ScenarioName = 'lossy' | 'ipv6' | 'short' | 'stall' | 'udp' | 'mptcp';

const mptcpScript = join(dirname(fileURLToPath(import.meta.url)), 'mptcp-workload.py');

async function withLab<T>(options: { segments?: boolean; router?: boolean }, body: (lab: NetnsLab) => Promise<T>): Promise<T> {
  const lab = NetnsLab.create(options);
  try {
    return await body(lab);
  } finally {
    lab.destroy();
  }
}

async function expectExit(lab: NetnsLab, child: ReturnType<NetnsLab['spawn']>, what: string, timeoutMs = 40_000): Promise<void> {
  const code = await lab.waitExit(child, timeoutMs);
  if (code !== 0) throw new Error(`${what} exited with status ${code}${lab.stderrOf(child).trim() ? `: ${lab.stderrOf(child).trim()}` : ''}`);
}

/** Makes the capture of one scenario in `dir`; returns its path. */
export async function makeCapture(name: ScenarioName, dir: string): Promise<string> {
  switch (name) {
    case 'lossy':
      return withLab({ router: true }, async (lab) => {
        const file = join(dir, 'lossy-bulk.pcap');
        lab.dropRandomly(lab.router, 3, 'forward');
        const server = lab.workload(lab.server, ['tcp-server', lab.v4Server, 40201, 1]);
        await lab.waitFor(server, 'ready');
        const cap = await lab.startTcpdump(lab.server, lab.serverIf, file, ['-s', '128']);
        const client = lab.workload(lab.client, ['tcp-bulk', lab.v4Server, 40201, 8_000_000]);
        await expectExit(lab, client, 'bulk client');
        await expectExit(lab, server, 'bulk server');
        await lab.stopCapture(cap);
        return file;
      });
    case 'ipv6':
      return withLab({}, async (lab) => {
        const file = join(dir, 'ipv6-mix.pcapng');
        const bulkServer = lab.workload(lab.server, ['tcp-server', lab.v6Server, 40301, 1]);
        const shortServer = lab.workload(lab.server, ['tcp-server', lab.v6Server, 40302, 50]);
        const udpServer = lab.workload(lab.server, ['udp-server', lab.v6Server, 40303, 40]);
        await Promise.all([lab.waitFor(bulkServer, 'ready'), lab.waitFor(shortServer, 'ready'), lab.waitFor(udpServer, 'ready')]);
        const cap = await lab.startDumpcap(lab.server, lab.serverIf, file, ['-s', '200']);
        const clients = [
          lab.workload(lab.client, ['tcp-bulk', lab.v6Server, 40301, 2_000_000]),
          lab.workload(lab.client, ['tcp-short', lab.v6Server, 40302, 50]),
          lab.workload(lab.client, ['udp-client', lab.v6Server, 40303, 40, 40399]),
        ];
        for (const c of clients) await expectExit(lab, c, 'IPv6 client');
        await Promise.all([expectExit(lab, bulkServer, 'IPv6 bulk server'), expectExit(lab, shortServer, 'IPv6 server'), expectExit(lab, udpServer, 'IPv6 UDP server')]);
        await lab.stopCapture(cap);
        return file;
      });
    case 'short':
      return withLab({}, async (lab) => {
        const file = join(dir, 'short-connections.pcap');
        const server = lab.workload(lab.server, ['tcp-server', lab.v4Server, 40401, 2000]);
        const reuseServer = lab.workload(lab.server, ['tcp-server', lab.v4Server, 40402, 20, 0, 'server-closes']);
        await Promise.all([lab.waitFor(server, 'ready'), lab.waitFor(reuseServer, 'ready')]);
        const cap = await lab.startTcpdump(lab.client, 'any', file, ['-s', '96', '--time-stamp-precision', 'nano']);
        const client = lab.workload(lab.client, ['tcp-short', lab.v4Server, 40401, 2000]);
        // The fixed local port is below the ephemeral range (32768–60999): inside it, the
        // kernel could give it to one of the other client's 2,000 connections, which close
        // first and leave it in TIME_WAIT for 60 s — bind() then fails with EADDRINUSE.
        const reuse = lab.workload(lab.client, ['tcp-short', lab.v4Server, 40402, 20, 31234]);
        await expectExit(lab, client, 'short-connection client', 50_000);
        await expectExit(lab, reuse, 'port-reuse client');
        await Promise.all([expectExit(lab, server, 'short-connection server'), expectExit(lab, reuseServer, 'port-reuse server')]);
        await lab.stopCapture(cap);
        return file;
      });
    case 'stall':
      return withLab({}, async (lab) => {
        const file = join(dir, 'zero-window.pcap');
        // A tiny receive buffer fills at once, so the window closes while the reader sleeps.
        lab.sysctl(lab.server, 'net.ipv4.tcp_rmem', '4096 8192 16384');
        const server = lab.workload(lab.server, ['tcp-server', lab.v4Server, 40501, 1, 1500]);
        const idleServer = lab.workload(lab.server, ['tcp-server', lab.v4Server, 40502, 1]);
        await Promise.all([lab.waitFor(server, 'ready'), lab.waitFor(idleServer, 'ready')]);
        const cap = await lab.startTcpdump(lab.server, lab.serverIf, file, ['-s', '128']);
        const idle = lab.workload(lab.client, ['tcp-idle', lab.v4Server, 40502, 2600]);
        const client = lab.workload(lab.client, ['tcp-bulk', lab.v4Server, 40501, 400_000]);
        await expectExit(lab, client, 'stalled bulk client');
        await expectExit(lab, idle, 'idle client');
        await Promise.all([expectExit(lab, server, 'stalled server'), expectExit(lab, idleServer, 'idle server')]);
        await lab.stopCapture(cap);
        return file;
      });
    case 'mptcp':
      return withLab({}, async (lab) => {
        const file = join(dir, 'mptcp.pcap');
        // A second link for the second subflow.
        const [x2, y2] = [`${lab.tag}u`, `${lab.tag}v`];
        lab.exec(lab.client, 'ip', ['link', 'add', x2, 'type', 'veth', 'peer', 'name', y2, 'netns', lab.server]);
        lab.exec(lab.client, 'ip', ['addr', 'add', `10.79.${lab.subnet}.1/24`, 'dev', x2]);
        lab.exec(lab.server, 'ip', ['addr', 'add', `10.79.${lab.subnet}.2/24`, 'dev', y2]);
        lab.exec(lab.client, 'ip', ['link', 'set', x2, 'up']);
        lab.exec(lab.server, 'ip', ['link', 'set', y2, 'up']);
        for (const ns of [lab.client, lab.server]) {
          lab.sysctl(ns, 'net.mptcp.enabled', '1');
          lab.exec(ns, 'ip', ['mptcp', 'limits', 'set', 'subflow', '2', 'add_addr_accepted', '2']);
        }
        lab.exec(lab.client, 'ip', ['mptcp', 'endpoint', 'add', `10.79.${lab.subnet}.1`, 'dev', x2, 'subflow']);
        lab.exec(lab.server, 'ip', ['mptcp', 'endpoint', 'add', `10.79.${lab.subnet}.2`, 'dev', y2, 'signal']);
        const server = lab.spawn(lab.server, 'python3', [mptcpScript, 'server', lab.v4Server, '40700']);
        await lab.waitFor(server, 'ready');
        const cap = await lab.startTcpdump(lab.server, 'any', file, ['-s', '128']);
        const client = lab.spawn(lab.client, 'python3', [mptcpScript, 'client', lab.v4Server, '40700', '60']);
        await expectExit(lab, client, 'MPTCP client');
        await expectExit(lab, server, 'MPTCP server');
        await lab.stopCapture(cap);
        return file;
      });
    case 'udp':
      return withLab({}, async (lab) => {
        const file = join(dir, 'udp.pcap');
        const server = lab.workload(lab.server, ['udp-server', lab.v4Server, 40601, 60]);
        await lab.waitFor(server, 'ready');
        const cap = await lab.startTcpdump(lab.server, lab.serverIf, file, []);
        const client = lab.workload(lab.client, ['udp-client', lab.v4Server, 40601, 60, 40699]);
        await expectExit(lab, client, 'UDP client');
        await expectExit(lab, server, 'UDP server');
        await lab.stopCapture(cap);
        return file;
      });
  }
}
