/**
 * Ctrl-C while the CLI is attached to a running workflow. On a terminal it asks whether to cancel
 * the workflow; otherwise (no terminal, "no", or a second Ctrl-C) it leaves the workflow running,
 * prints its id and how to stop it, and exits 130. Never a silent orphan, never a silent cancel.
 */
import * as readline from 'node:readline';

export interface InterruptOptions {
  workflowId: string;
  uiLink: string;
  /** e.g. `deltasql cancel events --catalog …` */
  cancelHint: string;
  /** True when this process runs the only worker (embedded): the workflow pauses until one runs. */
  embedded: boolean;
  cancel(): Promise<void>;
  /** Print a line (the caller stops its progress bar first). */
  say(line: string): void;
}

const SIGINT_EXIT = 130;

/** Install the handler; returns its remover. */
export function onInterrupt(o: InterruptOptions): () => void {
  let asking: readline.Interface | null = null;
  const detach = (): void => {
    asking?.close();
    o.say(
      `\ninterrupted: workflow ${o.workflowId} keeps running (${o.uiLink}); stop it with \`${o.cancelHint}\``,
    );
    if (o.embedded)
      o.say(
        'note: its worker ran in this command: run the same command again (or `deltasql worker`) to go on',
      );
    process.exit(SIGINT_EXIT);
  };
  const handler = (): void => {
    if (asking || !(process.stdin.isTTY && process.stderr.isTTY)) return detach();
    o.say(''); // ends the progress bar's line, so the question stands alone
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    asking = rl;
    rl.question(`Cancel workflow ${o.workflowId}? [y/N] `, (answer) => {
      rl.close();
      asking = null;
      if (!/^y(es)?$/i.test(answer.trim())) return detach();
      o.say('cancelling…');
      o.cancel().catch((e: Error) => o.say(`could not cancel: ${e.message}`));
    });
  };
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
}
