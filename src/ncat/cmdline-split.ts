/**
 * `-e COMMAND` is not given to a shell: ncat splits it on white space, a backslash takes
 * the next character literally (`my\ prog` is one word, `\\` is a backslash), and there
 * are no quotes. After an escaped character other than a backslash, white space that
 * follows is skipped and the word goes on — ncat's own quirk, kept so the same command
 * lines split the same way.
 */
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/** Splits `command` into argv words with ncat's `cmdline_split` rules. */
export function splitCommandLine(command: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < command.length) {
    while (i < command.length && isSpace(command[i]!)) i++;
    if (i >= command.length) break;
    let word = '';
    while (i < command.length && !isSpace(command[i]!)) {
      if (command[i] === '\\') {
        i++;
        if (i >= command.length) break;
        const escaped = command[i++]!;
        word += escaped;
        if (escaped !== '\\') while (i < command.length && isSpace(command[i]!)) i++;
      } else {
        word += command[i++];
      }
    }
    words.push(word);
  }
  return words;
}
