/** Run the deltasql CLI in-process and capture what it prints and the exit code it sets. */
import { buildProgram } from '../../client/cli';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  process.exitCode = undefined;
  try {
    const program = buildProgram().exitOverride();
    await program.parseAsync(['node', 'deltasql', ...args]);
    const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    return { code, stdout, stderr };
  } finally {
    process.exitCode = undefined;
    out.mockRestore();
    err.mockRestore();
  }
}
