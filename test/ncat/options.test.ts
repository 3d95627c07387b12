/**
 * ncat's command line: getopt_long's rules, time and port arguments, `-e` splitting and
 * `--crlf` as units; then the usage errors of our ncat against Debian's real ncat 7.93 —
 * same status (2) and, for ncat's own checks, the very same line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitCommandLine } from '../../src/ncat/cmdline-split.js';
import { NcatExit } from '../../src/ncat/exit.js';
import { GetoptError, scanOptions, type LongOption } from '../../src/ncat/getopt.js';
import { CrlfTranslator } from '../../src/ncat/line-endings.js';
import { checkNcatCommand, parseNcatCommand, type NcatOptions } from '../../src/ncat/options.js';
import { parseTimeSpec } from '../../src/ncat/time-spec.js';
import { needsCommands } from '../support/env.js';
import { Procs } from './support.js';

const LONG: LongOption[] = [
  { name: 'listen', hasArg: false, key: 'l', identity: 'l' },
  { name: 'wait', hasArg: true, key: 'w', identity: 'w' },
  { name: 'proxy', hasArg: true, key: 'proxy', identity: '0' },
  { name: 'proxy-type', hasArg: true, key: 'proxy-type', identity: '0' },
  { name: 'source', hasArg: true, key: 's', identity: 's' },
  { name: 'source-port', hasArg: true, key: 'p', identity: 'p' },
];

test('getopt: bundles, attached values, permuted operands and --', () => {
  const r = scanOptions(['-lkv', '-w5', 'host', '-vw', '7', '--', '-x', 'y'], 'lkvw:', LONG);
  assert.deepEqual(r.options.map((o) => [o.key, o.value]), [['l', undefined], ['k', undefined], ['v', undefined], ['w', '5'], ['v', undefined], ['w', '7']]);
  assert.deepEqual(r.operands, ['host', '-x', 'y']);
  assert.deepEqual(scanOptions(['-'], 'l', LONG).operands, ['-']);
});

test('getopt: long options, =values, unique prefixes, and glibc ambiguity', () => {
  const r = scanOptions(['--list', '1.2.3.4', '--wait=3', '--wa', '4', '--pro', 'x'], 'lw:', LONG);
  assert.deepEqual(r.options.map((o) => [o.key, o.value]), [['l', undefined], ['w', '3'], ['w', '4'], ['proxy', 'x']]);
  assert.deepEqual(r.operands, ['1.2.3.4']);
  assert.throws(() => scanOptions(['--so', 'x'], 'l', LONG), new GetoptError("option '--so' is ambiguous; possibilities: '--source' '--source-port'"));
  assert.throws(() => scanOptions(['--listen=5'], 'l', LONG), new GetoptError("option '--listen' doesn't allow an argument"));
  assert.throws(() => scanOptions(['--wait'], 'w:', LONG), new GetoptError("option '--wait' requires an argument"));
  assert.throws(() => scanOptions(['-w'], 'w:', LONG), new GetoptError("option requires an argument -- 'w'"));
  assert.throws(() => scanOptions(['-Q'], 'w:', LONG), new GetoptError("invalid option -- 'Q'"));
  assert.throws(() => scanOptions(['--bogus'], 'w:', LONG), new GetoptError("unrecognized option '--bogus'"));
});

test('time arguments: units, fractions, truncation to ms, and ncat\'s refusals', () => {
  const ms = (s: string): number => parseTimeSpec(s, '-w timeout');
  assert.deepEqual(['1.5', '500ms', '2m', '1h', '5S', '5MS', '0.0014', '1.5e-3', '+5', '.5', ' 5', '0x10', '99', '100s'].map(ms),
    [1500, 500, 120_000, 3_600_000, 5000, 5, 1, 1, 5000, 500, 5000, 16_000, 99_000, 100_000]);
  for (const bad of ['0', '-1', 'abc', '1x', '', '5 ', '0.0006', 'inf', 'nan', '2147484', '5s5']) {
    assert.throws(() => ms(bad), (e: unknown) => e instanceof NcatExit && e.status === 2 && e.line === `Ncat: Invalid -w timeout "${bad}" (must be greater than 0 and less than 2147483s). QUITTING.`, bad);
  }
  assert.throws(() => ms('100'), /Since April 2010, the default unit for -w timeout is seconds, so your time of "100" is 1\.7 minutes\. Use "100ms" for 100 milliseconds\. QUITTING\./);
});

test('-e splitting follows ncat\'s cmdline_split', () => {
  assert.deepEqual(splitCommandLine('ncat -l -k'), ['ncat', '-l', '-k']);
  assert.deepEqual(splitCommandLine('  /bin/echo   a\tb  '), ['/bin/echo', 'a', 'b']);
  assert.deepEqual(splitCommandLine('ncat\\ experiment -l -k'), ['ncat experiment', '-l', '-k']);
  assert.deepEqual(splitCommandLine('ncat\\\\ -l -k'), ['ncat\\', '-l', '-k']);
  assert.deepEqual(splitCommandLine('t\\ p\\ s hello how\\ are you?'), ['t p s', 'hello', 'how are', 'you?']);
  assert.deepEqual(splitCommandLine('a\\nb "c d"'), ['anb', '"c', 'd"']);
  assert.deepEqual(splitCommandLine('trailing\\'), ['trailing']);
});

test('--crlf keeps a CRLF that is split across two reads', () => {
  const t = new CrlfTranslator();
  assert.equal(t.translate(Buffer.from('a\nb\r')).toString(), 'a\r\nb\r');
  assert.equal(t.translate(Buffer.from('\nc\n')).toString(), '\nc\r\n');
  assert.equal(t.translate(Buffer.from('\n')).toString(), '\r\n');
});

function options(argv: string[]): NcatOptions {
  const command = parseNcatCommand(argv);
  assert.equal(command.kind, 'run');
  return checkNcatCommand(command as Extract<typeof command, { kind: 'run' }>, () => {});
}

test('operands: the seed\'s `--listen ADDR PORT`, `-l -p PORT`, `-l PORT`, defaults', () => {
  assert.deepEqual(pick(options(['--listen', '192.168.1.105', '5000'])), { listen: true, host: '192.168.1.105', port: 5000 });
  assert.deepEqual(pick(options(['-l', '-p', '5000'])), { listen: true, host: undefined, port: 5000 });
  assert.deepEqual(pick(options(['-lp5000', '127.0.0.1'])), { listen: true, host: '127.0.0.1', port: 5000 });
  assert.deepEqual(pick(options(['-l', '5000'])), { listen: true, host: undefined, port: 5000 });
  assert.deepEqual(pick(options(['-l'])), { listen: true, host: undefined, port: 31337 });
  assert.deepEqual(pick(options(['example.org', ' +80'])), { listen: false, host: 'example.org', port: 80 });
  const o = options(['-vvv', '-u', '-6', '--send-only', '-i', '2', '-w500ms', 'h', '1']);
  assert.deepEqual([o.verbosity, o.udp, o.family, o.sendOnly, o.idleTimeoutMs, o.connectTimeoutMs], [3, true, 6, true, 2000, 500]);
  assert.deepEqual(parseNcatCommand(['-v', '--version', '--bogus']), { kind: 'version' });
  assert.deepEqual(parseNcatCommand(['-h', '-Q']), { kind: 'help' });
});

function pick(o: NcatOptions): { listen: boolean; host: string | undefined; port: number } {
  return { listen: o.listen, host: o.host, port: o.port };
}

/** Usage errors where ncat prints exactly one `bye()` line; ours must print the same. */
const SAME_LINE: string[][] = [
  [], ['5000'], ['-v'], ['-l', '-z'], ['-w', '0', 'h', '1'], ['-w', 'abc', 'h', '1'], ['-w', '100', 'h', '1'],
  ['-i', '0', 'h', '1'], ['-d', '1x', 'h', '1'], ['127.0.0.1', '99999'], ['127.0.0.1', '5000x'], ['127.0.0.1', '1', '2'],
  ['-l', '-p', '5000', '6000'], ['-k', '127.0.0.1', '1'], ['-m', '5', '127.0.0.1', '1'], ['-u', '-l', '-k', '1'],
  ['-e', '/bin/cat', '-c', 'cat', '127.0.0.1', '1'], ['-p', 'abc', '127.0.0.1', '1'], ['-p', '70000', '127.0.0.1', '1'],
  ['-p', '-1', '127.0.0.1', '1'], ['-l', '-s', '127.0.0.1'], ['-z', '-e', '/bin/cat', '127.0.0.1', '1'],
  ['-n', 'localhost', '1'], ['-6', '-l', '127.0.0.1', '1'], ['-4', '-l', '::1', '1'], ['-6', '127.0.0.1', '1'],
];

/** getopt's own errors: ncat prints glibc's line, then a hint; ours says both on one line. */
const GETOPT: string[][] = [['--bogus'], ['-Q'], ['-w'], ['--wait'], ['--listen=5'], ['--s'], ['-lv', '--so', 'x']];

const skip = needsCommands('ncat');

test('usage errors: status 2 and the same line as the real ncat', { skip, timeout: 60_000 }, async (t) => {
  const procs = new Procs(t);
  for (const argv of SAME_LINE) {
    const [ours, real] = await Promise.all([procs.start('ours', argv).finished(10_000), procs.start('real', argv).finished(10_000)]);
    const strip = (s: string): string => s.replace(/^Ncat: Version .*\n/, '');
    assert.equal(real.code, 2, `real ${argv.join(' ')}: ${real.stderr}`);
    assert.equal(ours.code, 2, `ours ${argv.join(' ')}: ${ours.stderr}`);
    assert.equal(strip(ours.stderr), strip(real.stderr), argv.join(' '));
    assert.equal(ours.stderr.startsWith('Ncat: Version '), real.stderr.startsWith('Ncat: Version '), argv.join(' '));
  }
  for (const argv of GETOPT) {
    const [ours, real] = await Promise.all([procs.start('ours', argv).finished(10_000), procs.start('real', argv).finished(10_000)]);
    assert.equal(real.code, 2);
    assert.equal(ours.code, 2, ours.stderr);
    const glibcLine = real.stderr.split('\n')[0]!.replace(/^ncat: /, '');
    assert.equal(ours.stderr, `Ncat: ${glibcLine}. Try \`--help' or man(1) ncat for more information, usage options and help. QUITTING.\n`);
  }
});

test('-h prints help on stdout and --version the banner on stderr, status 0, like ncat', { skip, timeout: 30_000 }, async (t) => {
  const procs = new Procs(t);
  for (const kind of ['ours', 'real'] as const) {
    const help = await procs.start(kind, ['-h']).finished(10_000);
    assert.equal(help.code, 0);
    assert.match(help.stdout.toString(), /Usage: (tracewire )?ncat \[options\] \[hostname\] \[port\]/);
    assert.match(help.stdout.toString(), /--send-only {12}Only send data, ignoring received; quit on EOF/);
    const version = await procs.start(kind, ['--version']).finished(10_000);
    assert.equal(version.code, 0);
    assert.match(version.stderr, /^Ncat: Version \S+ \( .* \)\n$/);
  }
  const unsupported = await procs.start('ours', ['--ssl', '127.0.0.1', '1']).finished(10_000);
  assert.deepEqual([unsupported.code, unsupported.stderr], [2, 'Ncat: SSL (--ssl) is not supported by tracewire ncat. QUITTING.\n']);
});
