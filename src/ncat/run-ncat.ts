/**
 * `runNcat(argv)`: one run of tracewire's ncat, from the command line to the exit status,
 * in the order ncat 7.93 does things — options, `-v` banner, operands and combinations,
 * name resolution, then the mode (connect/listen × TCP/UDP). Every problem ncat reports
 * is reported here with its words and status; the returned promise settles only after
 * every socket, server, timer and stdin handle of the run has been released.
 */
import { listenAddresses, resolveHost, type ResolvedAddress } from './address.js';
import { NcatExit } from './exit.js';
import { bannerText, NCAT_HELP } from './help.js';
import { processIo, type NcatIo } from './io.js';
import { NcatLog } from './log.js';
import { checkNcatCommand, parseNcatCommand } from './options.js';
import { Session } from './session.js';
import { runTcpConnect } from './tcp-connect.js';
import { runTcpListen } from './tcp-listen.js';
import { runUdpConnect, runUdpListen } from './udp.js';

/**
 * Runs ncat with `argv` (the arguments after `ncat`) over `io` (default: this process's
 * stdin/stdout/stderr). Resolves to ncat's exit status: 0 success, 1 network failure
 * (refused, reset, timeout, connect-mode idle timeout), 2 usage or local failure (bad
 * option, bind failed, listen-mode idle timeout). Never rejects for network or usage
 * problems; a rejection is a bug.
 */
export async function runNcat(argv: readonly string[], io: NcatIo = processIo()): Promise<number> {
  const stderr = (text: string): void => io.writeError(text);
  let session: Session | undefined;
  try {
    const command = parseNcatCommand(argv);
    if (command.kind === 'help') {
      io.writeOutput(Buffer.from(NCAT_HELP));
      return 0;
    }
    if (command.kind === 'version') {
      stderr(`Ncat: ${bannerText()}\n`);
      return 0;
    }
    const log = new NcatLog(stderr, command.options.verbosity);
    if (log.verbose) log.user(bannerText());
    const o = checkNcatCommand(command, (line) => log.line(line));
    const targets = o.host !== undefined ? await resolveHost(o.host, o.family, o.noDns) : undefined;
    let source: ResolvedAddress | undefined;
    if (o.sourceAddress !== undefined) {
      const family = targets?.[0]?.family ?? o.family;
      [source] = await resolveHost(o.sourceAddress, family, o.noDns).catch(() => {
        throw NcatExit.quit(`Could not resolve source address "${o.sourceAddress}": Name or service not known.`);
      });
    }
    session = new Session(o, io, log);
    if (o.listen) {
      const addresses = listenAddresses(targets?.[0], o.family);
      await (o.udp ? runUdpListen(session, addresses) : runTcpListen(session, addresses));
    } else if (o.udp) {
      await runUdpConnect(session, targets!, source);
    } else {
      runTcpConnect(session, targets!, source);
    }
    return await session.done;
  } catch (err) {
    if (!(err instanceof NcatExit)) {
      session?.end(70);
      throw err;
    }
    if (session) {
      session.fail(err);
      return await session.done;
    }
    if (err.line) stderr(`${err.line}\n`);
    return err.status;
  }
}
