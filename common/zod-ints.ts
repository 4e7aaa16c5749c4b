/**
 * The two integer shapes read from outside, each turned into a JS number in one place: integers
 * in Delta JSON (a number, or a bigint where the lossless parser kept int64 digits) and integer
 * columns as the SQL drivers return them (pg gives int8 as a string, DuckDB as a bigint, mysql2
 * either).
 */
import { z } from 'zod';

export const jsonInt = z.union([z.number(), z.bigint()]).transform((v) => Number(v));

export const sqlInt = z.union([z.number(), z.string(), z.bigint()]).transform((v) => Number(v));
