import type { Command } from 'commander';

/** STUB: `deltasql drop` — being implemented. */
export function register(_program: Command): void {}
