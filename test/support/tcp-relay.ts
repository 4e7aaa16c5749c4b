/**
 * A TCP relay to a real server (PostgreSQL, MariaDB) that a test can cut and restore: `close()`
 * stops listening and destroys every open connection, so the port then refuses connections (a
 * dead catalog, for real); `reopen()` listens on the same port again.
 */
import * as net from 'node:net';

export interface TcpRelay {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
  reopen(): Promise<void>;
}

export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
    reopen: () => listen(port),
  };
}

/** A relay to the PostgreSQL of a connection URL. */
export function relayTo(url: string): Promise<TcpRelay> {
  const u = new URL(url);
  return startTcpRelay({ host: u.hostname, port: Number(u.port || 5432) });
}
