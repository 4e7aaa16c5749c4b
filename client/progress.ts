/**
 * Import progress on the terminal: a cli-progress bar on a TTY (versions done/total, actions/s,
 * ETA), plain status lines otherwise (CI logs, pipes). Fed from the workflow's `progress` query;
 * until the plan exists it says `planning…`, or why it waits (`waiting for catalog …`).
 */
import { SingleBar, Presets } from 'cli-progress';
import type { ImportProgress } from '../workflows/types';

const PLAIN_LINE_EVERY_MS = 5_000;

export interface ProgressView {
  update(p: ImportProgress): void;
  /** A status shown instead of the bar while nothing moves, e.g. `waiting for catalog …`. */
  status(line: string): void;
  stop(): void;
}

/** Shown until the plan exists (the workflow does not know the version range before that). */
export const PLANNING = 'planning…';

const totalActions = (p: ImportProgress): number => Object.values(p.counts).reduce((a, b) => a + b, 0);

export function progressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  const started = Date.now();
  const rate = (p: ImportProgress): number =>
    Math.round(totalActions(p) / Math.max(0.001, (Date.now() - started) / 1000));
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        format: '{phase} [{bar}] {value}/{total} versions | {aps} actions/s | ETA {eta_formatted}',
        stream,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    let startedBar = false;
    let shown = '';
    const status = (line: string): void => {
      // Mid-import (the bar is up) the waiting line takes the bar's phase place: still one line.
      if (startedBar) return void bar.update({ phase: line });
      if (line === shown) return;
      shown = line;
      stream.write(`\r\x1b[K${line}`); // one line, rewritten in place
    };
    return {
      status,
      update(p) {
        if (p.targetVersion === null || p.startVersion === null) return status(PLANNING);
        if (!startedBar && shown !== '') stream.write('\r\x1b[K');
        const total =
          p.targetVersion === null || p.startVersion === null ? 0 : p.targetVersion - p.startVersion + 1;
        const done =
          p.importedVersion === null || p.startVersion === null ? 0 : p.importedVersion - p.startVersion + 1;
        if (!startedBar) {
          bar.start(Math.max(total, 1), 0, { phase: p.phase, aps: 0 });
          startedBar = true;
        }
        bar.setTotal(Math.max(total, 1));
        bar.update(Math.max(0, done), { phase: p.phase, aps: rate(p) });
      },
      stop() {
        if (startedBar) bar.stop();
        else if (shown !== '') stream.write('\n');
      },
    };
  }
  let lastLine = 0;
  let lastPhase = '';
  let lastStatus = '';
  return {
    status(line) {
      if (line === lastStatus) return;
      lastStatus = line;
      stream.write(line + '\n');
    },
    update(p) {
      if (p.targetVersion === null) {
        if (lastStatus === '') this.status(PLANNING);
        return;
      }
      if (p.phase === lastPhase && Date.now() - lastLine < PLAIN_LINE_EVERY_MS) return;
      lastPhase = p.phase;
      lastLine = Date.now();
      const at = p.importedVersion === null ? 'no version yet' : `version ${p.importedVersion}`;
      stream.write(`${p.phase}: ${at} of ${p.targetVersion} (${totalActions(p)} actions, ${rate(p)}/s)\n`);
    },
    stop() {},
  };
}
