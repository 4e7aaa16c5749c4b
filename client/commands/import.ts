import type { Command } from 'commander';

/** STUB: `deltasql import` — being implemented. */
export function register(_program: Command): void {}
