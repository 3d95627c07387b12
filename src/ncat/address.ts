/**
 * Addresses as ncat reads and prints them. ncat prints `ADDRESS:PORT` without brackets
 * even for IPv6 (`Listening on :::5000`, `Connected to ::1:5000.`), and resolves names
 * with getaddrinfo restricted by `-4`/`-6`, trying the results in order.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { NcatExit } from './exit.js';
import type { AddressFamily } from './options.js';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** `ADDRESS:PORT` the way ncat prints it (inet_socktop + port, no IPv6 brackets). */
export function formatEndpoint(address: string, port: number): string {
  return `${address}:${port}`;
}

// getaddrinfo's gai_strerror() texts for what Node reports.
const GAI_TEXT: Record<string, string> = {
  ENOTFOUND: 'Name or service not known',
  EAI_NONAME: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  ENODATA: 'No address associated with hostname',
  EAI_NODATA: 'No address associated with hostname',
  EAI_ADDRFAMILY: 'Address family for hostname not supported',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
};

/**
 * Resolves `host` for `family` (`-4`, `-6` or either). Numeric addresses are used as they
 * are; names are looked up unless `noDns` (`-n`). Returns the addresses in getaddrinfo's
 * order. Throws NcatExit (status 2) with ncat's `Could not resolve hostname` message.
 */
export async function resolveHost(host: string, family: AddressFamily, noDns: boolean): Promise<ResolvedAddress[]> {
  const refuse = (why: string): NcatExit => NcatExit.quit(`Could not resolve hostname "${host}": ${why}.`);
  const numeric = isIP(host);
  if (numeric === 4 || numeric === 6) {
    if (family !== 'any' && family !== numeric) throw refuse(GAI_TEXT.EAI_ADDRFAMILY!);
    return [{ address: host, family: numeric }];
  }
  if (noDns) throw refuse(GAI_TEXT.EAI_NONAME!);
  try {
    const found = await lookup(host, { all: true, family: family === 'any' ? 0 : family, verbatim: true });
    if (found.length === 0) throw refuse(GAI_TEXT.ENODATA!);
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } catch (err) {
    if (err instanceof NcatExit) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw refuse(GAI_TEXT[code] ?? (err as Error).message);
  }
}

/**
 * Where listen mode binds: the given address, or — with none — `::` (IPv6 only) and
 * `0.0.0.0`, as ncat does, narrowed by `-4`/`-6`. IPv6 comes first, as in ncat.
 */
export function listenAddresses(given: ResolvedAddress | undefined, family: AddressFamily): ResolvedAddress[] {
  if (given) return [given];
  const all: ResolvedAddress[] = [];
  if (family !== 4) all.push({ address: '::', family: 6 });
  if (family !== 6) all.push({ address: '0.0.0.0', family: 4 });
  return all;
}
