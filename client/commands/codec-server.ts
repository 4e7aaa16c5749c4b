/**
 * `deltasql codec-server`: the HTTP codec server the Temporal Web UI (and `temporal --codec-endpoint`)
 * calls to show payloads encrypted with DELTASQL_ENCRYPTION_KEY_FILE. Temporal's contract:
 * POST /encode and POST /decode with `{"payloads": [{metadata: {k: base64}, data: base64}]}`,
 * answered in the same shape, with CORS for the UI's origin (the browser calls it directly).
 */
import type { Command } from 'commander';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { payloadCodecs } from '../../common/codec';
import { DeltaSqlError } from '../../common/errors';
import { runAction } from '../output';

const JsonPayload = z.object({
  metadata: z.record(z.string(), z.string()).nullish(),
  data: z.string().nullish(),
});
const Body = z.object({ payloads: z.array(JsonPayload) });
type JsonPayload = z.infer<typeof JsonPayload>;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
  ),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v ?? new Uint8Array()).toString('base64'),
    ]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function codecServer(codec: PayloadCodec, origins: readonly string[]): FastifyInstance {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin && (origins.includes('*') || origins.includes(origin))) {
      reply.header('Access-Control-Allow-Origin', origin);
      reply.header('Access-Control-Allow-Credentials', 'true');
      reply.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
      reply.header('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      reply.header('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') return reply.code(204).send();
  });
  for (const op of ['encode', 'decode'] as const) {
    app.post(`/${op}`, async (req, reply) => {
      const body = Body.safeParse(req.body);
      if (!body.success) return reply.code(400).send({ error: 'expected {"payloads": [...]}' });
      try {
        const out = await codec[op](body.data.payloads.map(fromJson));
        return { payloads: out.map(toJson) };
      } catch (e) {
        return reply.code(400).send({ error: (e as Error).message });
      }
    });
  }
  app.options('/*', async (_req, reply) => reply.code(204).send());
  return app;
}

const OptionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8888),
  host: z.string().min(1).default('127.0.0.1'),
  origin: z.array(z.string().min(1)).default(['http://localhost:8233']),
});

export function register(program: Command): void {
  program
    .command('codec-server')
    .description(
      'Serve /encode and /decode for the Temporal Web UI (payloads encrypted with DELTASQL_ENCRYPTION_KEY_FILE)',
    )
    .option('--port <n>', 'port (default 8888)')
    .option('--host <host>', 'interface (default 127.0.0.1)')
    .option('--origin <url...>', 'Web UI origin(s) allowed by CORS (default http://localhost:8233)')
    .action(async (raw: Record<string, unknown>) => {
      await runAction(false, async () => {
        const parsed = OptionsSchema.safeParse(raw);
        if (!parsed.success)
          throw new DeltaSqlError('InvalidArgument', parsed.error.issues.map((i) => i.message).join('; '));
        const [codec] = payloadCodecs();
        if (!codec)
          throw new DeltaSqlError(
            'InvalidArgument',
            'set DELTASQL_ENCRYPTION_KEY_FILE: there is nothing to decode without a key',
          );
        const app = codecServer(codec, parsed.data.origin);
        const url = await app.listen({ port: parsed.data.port, host: parsed.data.host });
        process.stderr.write(
          `codec server on ${url} (CORS: ${parsed.data.origin.join(', ')}); set it as the Web UI's codec endpoint\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = (): void => void app.close().then(() => resolve());
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        return 0;
      });
    });
}
