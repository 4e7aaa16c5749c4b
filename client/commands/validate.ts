/**
 * `deltasql validate <table-uri>`: health of the source `_delta_log` alone, no catalog needed.
 * Exit 0 healthy (warnings allowed), 2 unhealthy (at least one failed check), 1 error (e.g. no
 * table there, storage unreachable). See parity/source-health.ts for the checks.
 */
import { type Command, Option } from 'commander';
import { DeltaTable } from '../../delta/table';
import { checkSourceHealth, type HealthReport } from '../../parity/source-health';
import { printJson, runAction } from '../output';

export const EXIT_HEALTHY = 0;
export const EXIT_UNHEALTHY = 2;

const MARK = { ok: '✓', warn: '!', fail: '✗' } as const;

export function renderHealth(r: HealthReport): string {
  const lines = [
    `Source health for ${r.root}`,
    `  latest version ${r.latestVersion ?? 'unknown'}; ${r.commits} commit(s), ${r.checkpoints} checkpoint(s), ${r.crcs} .crc file(s)`,
    '',
  ];
  for (const c of r.checks) {
    lines.push(`  ${MARK[c.status]} ${c.name}: ${c.detail}`);
    for (const p of c.problems) lines.push(`    - ${p.message}${p.file ? ` (${p.file})` : ''}`);
  }
  lines.push('', r.healthy ? '✓ HEALTHY' : '✗ UNHEALTHY');
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('validate')
    .description(
      'Check the health of a Delta log without a catalog: contiguous versions, complete checkpoints ' +
        '(parts, sidecars), consistent _last_checkpoint, .crc agreement, readable files. ' +
        'Exit 0 healthy, 2 unhealthy, 1 error.',
    )
    .argument('<table-uri>', 'Delta table root (path, file://, s3://, gs://, az:// or abfss://)')
    .addOption(new Option('--format <format>', 'report format').choices(['human', 'json']).default('human'))
    .action(async (uri: string, o: { format: 'human' | 'json' }) => {
      await runAction(o.format === 'json', async () => {
        const warnings: string[] = [];
        const table = await DeltaTable.open(uri, { onWarning: (m) => warnings.push(m) });
        const report = await checkSourceHealth(table);
        if (o.format === 'json') printJson({ ...report, warnings });
        else process.stdout.write(renderHealth(report));
        return report.healthy ? EXIT_HEALTHY : EXIT_UNHEALTHY;
      });
    });
}
