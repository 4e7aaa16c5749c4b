/**
 * A warm delta-rs process (`python bench/deltars.py serve <table>`) answering one timed request
 * at a time, so the snapshot benchmark can interleave single delta-rs runs with its own SQL runs
 * (bench/interleave.ts) without paying interpreter start-up or a cold delta-rs runtime in every
 * run. The seconds are measured inside python, around the delta-rs calls only.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';

const AnswerSchema = z.object({
  seconds: z.number(),
  numFiles: z.number().int(),
  paths: z.array(z.string()).optional(),
  error: z.string().optional(),
});
export type DeltaRsAnswer = z.infer<typeof AnswerSchema>;

export interface DeltaRsRequest {
  /** `files`: DeltaTable(path, version).file_uris(); `adds`: the same open plus get_add_actions(). */
  op: 'files' | 'adds';
  version: number | null;
  /** Also return the listed paths (sent outside the timed part). */
  paths?: boolean;
}

export class DeltaRsServer {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(python: string, script: string, tableDir: string) {
    this.child = spawn(python, [script, 'serve', tableDir], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-4000);
    });
    this.lines = readline
      .createInterface({ input: this.child.stdout, crlfDelay: Infinity })
      [Symbol.asyncIterator]();
  }

  /** One request; requests are sequential (the caller awaits each before the next). */
  async request(req: DeltaRsRequest): Promise<DeltaRsAnswer> {
    this.child.stdin.write(JSON.stringify(req) + '\n');
    const next = await this.lines.next();
    if (next.done) throw new Error(`delta-rs server exited: ${this.stderr}`);
    const answer = AnswerSchema.parse(JSON.parse(next.value));
    if (answer.error) throw new Error(`delta-rs server: ${answer.error}`);
    return answer;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}
