/**
 * The display-filter language: `compileFilter(text, lookup)` turns an expression such as
 * `tcp.port == 5000 && tcp.flags.syn` into a predicate over whatever context the field
 * lookup reads (for packets: `packetFields()` over an AnalyzedPacket). `FILTER_HELP` is
 * the user documentation shown by `--help`.
 */
export { compileFilter, type CompiledFilter, type FieldLookup, type FilterField } from './compile.js';
export { FilterError } from './lexer.js';

export const FILTER_HELP = `Display filters (--filter EXPR), a subset of Wireshark's language:
  Fields use Wireshark's names: frame.number frame.len frame.time_relative frame.comment
    eth.addr vlan.id ip.src ip.dst ip.addr ip.ttl ip.id ip.flags.df ipv6.src ipv6.addr
    tcp.port tcp.srcport tcp.dstport tcp.stream tcp.seq tcp.ack tcp.len tcp.flags
    tcp.flags.syn .ack .fin .reset .push tcp.window_size tcp.options.mss_val
    tcp.analysis.retransmission .fast_retransmission .spurious_retransmission
    .duplicate_ack .lost_segment .ack_lost_segment .out_of_order .zero_window
    .zero_window_probe .window_full .window_update .keep_alive .reused_ports
    tcp.analysis.initial_rtt tcp.analysis.ack_rtt udp.port udp.stream icmp.type
    icmpv6.type dns.id dns.flags.response .opcode .rcode dns.qry.name dns.qry.type
    dns.resp.name dns.resp.type dns.a dns.aaaa dns.cname dns.count.queries .answers
    — and a bare protocol name (tcp, udp, ip, ipv6, icmp, arp, vlan, dns, mdns, llmnr).
  Comparisons: == != > < >= <= (or eq ne gt lt ge le), "contains", "matches" (regex),
    "in {80 443 8000..8080}". Literals: numbers (10, 0x1f, 0.25), IPv4/IPv6 addresses
    with an optional /prefix, MAC addresses, "strings", bytes as aa:bb:cc.
  Logic: && || ! (or and or not) and parentheses.
  A bare field is true when present; a boolean field (tcp.flags.syn,
    tcp.analysis.*) when set. A comparison holds when any occurrence matches, except
    != which needs all occurrences to differ (ip.addr != 10.0.0.1 drops traffic to and
    from 10.0.0.1). A missing field makes comparisons false.
  Examples:
    tcp.port == 5000 && tcp.flags.syn
    ip.addr == 10.77.0.0/16 and not tcp.analysis.flags
    tcp.analysis.retransmission || tcp.analysis.duplicate_ack
    udp && frame.len > 1000`;
