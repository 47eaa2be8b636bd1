import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFaultInjector, processFaultPlan, type FaultPlan } from './faults.ts';

/**
 * Loopback HTTP plumbing for sandboxes: listen on 127.0.0.1 (port 0 = any free port), read bodies,
 * send JSON, and stop with every keep-alive connection closed. With a fault plan (./faults.ts), or
 * the process's plan when none is given, requests are answered with the plan's faults.
 */
export interface LoopbackServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

export async function listenOnLoopback(
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>, port = 0, faults?: FaultPlan,
): Promise<LoopbackServer> {
  const plan = faults ?? processFaultPlan();
  const injector = plan ? createFaultInjector(plan) : undefined;
  const server = createServer((request, response) => {
    const handled = injector ? injector.handle(request, response, () => handler(request, response)) : handler(request, response);
    handled.catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { message: `sandbox error: ${String(error)}` } });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}/`,
    stop: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    }),
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

/** The request body as text (at most `limit` bytes). */
export async function readBody(request: IncomingMessage, limit = 5_000_000): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new RangeError(`request body over ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
