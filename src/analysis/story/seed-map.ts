/**
 * Which item of the seed's hand-written kernel-trace list (1 exec … 21 exit_group) each
 * story step corresponds to, for a server's story. The seed followed ncat as a server:
 * set-up (socket, setsockopt, bind, listen, fcntl), select, the wakeup on the handshake,
 * accept, close of the listening socket, select on stdin and the connection, read and
 * sendto, select, the wakeup on the peer's reset, recvfrom, close, exit_group.
 */

interface Tagged {
  readonly tag?: string;
  readonly title: string;
}

const WAITS = /^(block|return|wakeup):(select|pselect6|_newselect|poll|ppoll|epoll_wait|epoll_pwait|epoll_pwait2)\b/;

/** Seed item numbers per step (undefined where no seed item fits). */
export function assignSeedItems(steps: readonly Tagged[]): Array<number | undefined> {
  const out: Array<number | undefined> = steps.map(() => undefined);
  let phase: 'setup' | 'accepted' | 'sent' | 'teardown' = 'setup';
  let readInput = false;
  steps.forEach((s, i) => {
    const tag = s.tag ?? '';
    const [what, name] = tag.split(':');
    const isWait = WAITS.test(tag);
    if (tag === 'exec') out[i] = 1;
    else if (tag === 'exit' || (what === 'call' && (name === 'exit_group' || name === 'exit'))) out[i] = 21;
    else if (phase === 'setup') {
      if (what === 'call' && name === 'socket') out[i] = 2;
      else if (what === 'call' && name === 'setsockopt') out[i] = 3;
      else if (what === 'call' && name === 'bind') out[i] = 4;
      else if (what === 'call' && name === 'listen') out[i] = 5;
      else if (what === 'call' && name === 'fcntl') out[i] = 6;
      else if (isWait && what === 'block') out[i] = 7;
      else if (isWait && what === 'wakeup') out[i] = 8;
      else if (tag === 'syn' || tag === 'synack' || tag === 'handshake') out[i] = 8;
      else if (isWait && what === 'return') out[i] = 9;
      else if ((what === 'call' || what === 'return' || what === 'block') && (name === 'accept' || name === 'accept4')) {
        out[i] = 10;
        if (what !== 'block') phase = 'accepted';
      }
    } else if (phase === 'accepted' || phase === 'sent') {
      if (what === 'call' && name === 'close' && /listen/.test(s.title)) out[i] = 11;
      else if (isWait && what === 'block') out[i] = phase === 'sent' ? 16 : 12;
      else if ((what === 'call' || what === 'return') && name === 'read' && /stdin/.test(s.title)) {
        out[i] = 13;
        readInput = true;
      } else if (what === 'call' && name === 'fcntl' && phase === 'accepted' && readInput) out[i] = 14;
      else if (what === 'call' && (name === 'sendto' || name === 'send' || name === 'sendmsg' || (name === 'write' && !/std(out|err)/.test(s.title)))) {
        out[i] = 15;
        phase = 'sent';
      } else if (tag === 'rst' || tag === 'fin' || /^wakeup:.*:(rst|fin)$/.test(tag)) {
        out[i] = 17;
        phase = 'teardown';
      }
    } else if (phase === 'teardown') {
      if (isWait && what === 'wakeup') out[i] = 17;
      else if (isWait && what === 'return') out[i] = 18;
      else if ((what === 'call' || what === 'return') && (name === 'recvfrom' || name === 'recv' || name === 'read' || name === 'recvmsg')) out[i] = 19;
      else if (what === 'call' && name === 'close') out[i] = 20;
    }
  });
  return out;
}
