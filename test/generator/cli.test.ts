import * as fs from 'node:fs';
import { Command } from 'commander';
import { register } from '../../client/commands/generate';
import { logDir, tmpDir } from './helpers';

async function run(args: string[]): Promise<string> {
  const program = new Command('deltasql').exitOverride();
  register(program);
  const out: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  try {
    await program.parseAsync(['node', 'deltasql', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

describe('deltasql generate', () => {
  afterEach(() => {
    process.exitCode = 0;
  });

  test('writes the table and prints a JSON summary', async () => {
    const dir = tmpDir('cli');
    const out = JSON.parse(
      await run([
        'generate',
        dir,
        '--versions',
        '25',
        '--checkpoint-interval',
        '10',
        '--checkpoint-parts',
        '2',
        '--partitions',
        '--json',
      ]),
    );
    expect(out).toMatchObject({ firstVersion: 0, lastVersion: 24, checkpoints: [10, 20], crcFiles: 25 });
    const files = fs.readdirSync(logDir(dir));
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(25);
    expect(files.filter((f) => f.includes('.checkpoint.'))).toHaveLength(4);
  });

  test('a bad number is an InvalidArgument error with exit code 1', async () => {
    const out = JSON.parse(await run(['generate', tmpDir('cli-bad'), '--versions', 'ten', '--json']));
    expect(out.error.type).toBe('InvalidArgument');
    expect(process.exitCode).toBe(1);
  });
});
