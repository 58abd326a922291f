// A loopback HTTP server that hands POST bodies to @sigstore/mock-style handlers ({path, fn}).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HandlerResult {
  readonly statusCode: number;
  readonly response: string | ArrayBufferView;
  readonly contentType?: string;
}

/** A route: POST `path` with a UTF-8 body. */
export interface Route {
  readonly path: string;
  readonly fn: (body: string) => Promise<HandlerResult>;
}

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Request bodies above this are refused (413): the stand-ins never need more. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

function send(response: ServerResponse, result: HandlerResult): void {
  const body =
    typeof result.response === 'string'
      ? Buffer.from(result.response)
      : Buffer.from(result.response.buffer, result.response.byteOffset, result.response.byteLength);
  response.writeHead(result.statusCode, {
    'content-type': result.contentType ?? 'text/plain',
    'content-length': body.length,
  });
  response.end(body);
}

function answer(
  route: Route | undefined,
  method: string | undefined,
  path: string,
): HandlerResult | undefined {
  if (route === undefined) return { statusCode: 404, response: `no route ${path}` };
  if (method !== 'POST') return { statusCode: 405, response: 'POST only' };
  return undefined;
}

async function handle(
  routes: () => readonly Route[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://stand-in').pathname;
  const route = routes().find((r) => r.path === path);
  const refusal = answer(route, request.method, path);
  if (refusal !== undefined || route === undefined) {
    send(response, refusal ?? { statusCode: 404, response: 'no route' });
    return;
  }
  const body = await readBody(request);
  send(
    response,
    body === undefined ? { statusCode: 413, response: 'request too large' } : await route.fn(body),
  );
}

/** Listens on 127.0.0.1 with an ephemeral port; `routes` is read per request so it can be set later. */
export async function startLoopbackServer(routes: () => readonly Route[]): Promise<LoopbackServer> {
  const server = createServer((request, response) => {
    handle(routes, request, response).catch((error: unknown) => {
      send(response, {
        statusCode: 500,
        response: error instanceof Error ? error.message : 'internal error',
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
