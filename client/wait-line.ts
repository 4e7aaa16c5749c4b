/**
 * The `waiting for catalog …` line of the commands that follow a workflow without an import
 * progress view (export, restore, catalog migrate): on a TTY one line rewritten in place, else one
 * line per change (CI logs, pipes). The text comes from `waitingLine` (import-client.ts), so every
 * command says the same thing: `waiting for catalog postgresql://u:***@h:5999/db: connection
 * refused (attempt 4, retrying)`.
 */
export interface WaitLine {
  /** Show the waiting line (null: the catalog answered again, the line goes). */
  show(line: string | null): void;
  /** Whether a wait line is up (a progress bar should not draw over it). */
  readonly active: boolean;
  stop(): void;
}

export function waitLine(stream: NodeJS.WriteStream = process.stderr, enabled = true): WaitLine {
  let shown = '';
  return {
    show(waiting) {
      if (!enabled) return;
      const line = waiting ?? '';
      if (line === shown) return;
      if (stream.isTTY) stream.write(line === '' ? '\r\x1b[K' : `\r\x1b[K${line}`);
      else if (line !== '') stream.write(line + '\n');
      shown = line;
    },
    get active() {
      return shown !== '';
    },
    stop() {
      if (shown !== '' && stream.isTTY) stream.write('\n');
      shown = '';
    },
  };
}
