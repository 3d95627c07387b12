/**
 * tracewire's netcat, compatible with nmap's ncat 7.93 in its common modes. Most callers
 * spawn `tracewire ncat ...` (e.g. inside `ip netns exec`); a program can also run it in
 * process with `runNcat(argv, streamIo({ stdin, stdout, stderr }))`.
 */
export { runNcat } from './run-ncat.js';
export { processIo, streamIo, type NcatIo, type NcatStreams } from './io.js';
export { NCAT_HELP, NCAT_COMPAT_VERSION } from './help.js';
export { parseNcatCommand, checkNcatCommand, DEFAULT_PORT, type NcatOptions, type NcatCommand } from './options.js';
