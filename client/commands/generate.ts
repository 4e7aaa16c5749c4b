import type { Command } from 'commander';

/** STUB: `deltasql generate` — being implemented. */
export function register(_program: Command): void {}
