/**
 * Import progress on the terminal: a cli-progress bar on a TTY (versions done/total, actions/s,
 * ETA), plain status lines otherwise (CI logs, pipes). Fed from the workflow's `progress` query.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { ImportProgress } from '../workflows/types';

const PLAIN_LINE_EVERY_MS = 5_000;

export interface ProgressView {
  update(p: ImportProgress): void;
  stop(): void;
}

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
    return {
      update(p) {
        if (p.targetVersion === null || p.startVersion === null) return; // still planning
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
      stop: () => startedBar && bar.stop(),
    };
  }
  let lastLine = 0;
  let lastPhase = '';
  return {
    update(p) {
      if (p.phase === lastPhase && Date.now() - lastLine < PLAIN_LINE_EVERY_MS) return;
      lastPhase = p.phase;
      lastLine = Date.now();
      stream.write(
        `${p.phase}: version ${p.importedVersion ?? '-'} of ${p.targetVersion ?? '?'} (${totalActions(p)} actions, ${rate(p)}/s)\n`,
      );
    },
    stop() {},
  };
}
