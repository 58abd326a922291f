// A small in-memory OCI registry on loopback for what Debian's docker-registry 2.8 lacks: the OCI 1.1
// referrers API (as registries like distribution 3.x serve it, paged with a Link header) and token
// authentication (a 401 Bearer challenge naming a token realm that takes Basic credentials), or a
// Basic challenge. It can also serve tampered blobs. Tests only; the real-registry tests use
// startRealRegistry.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OciStandInOptions {
  /** Serve GET /v2/<name>/referrers/<digest> (default true). */
  readonly referrersApi?: boolean;
  /** Referrers per page of the API (default 100). */
  readonly pageSize?: number;
  /** Require these credentials: through a token realm (`bearer`) or directly (`basic`). */
  readonly auth?: {
    readonly scheme: 'bearer' | 'basic';
    readonly username: string;
    readonly password: string;
  };
  /** Serve every blob with one byte changed. */
  readonly tamperBlobs?: boolean;
}

export interface OciStandIn {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly url: string;
  /** Method, path and query of every request, in order. */
  readonly requests: {
    method: string;
    path: string;
    authorization: string | undefined;
    status: number;
  }[];
  /** Tags and the digests they name. */
  readonly tags: ReadonlyMap<string, string>;
  /** Scopes granted by the token realm, in order. */
  readonly grantedScopes: string[];
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const json = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from(JSON.stringify(value)),
});

class Store {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { mediaType: string; bytes: Buffer }>();
  readonly tags = new Map<string, string>();
  readonly uploads = new Set<string>();
}

function referrers(store: Store, digest: string, url: URL, pageSize: number): Answer {
  const artifactType = url.searchParams.get('artifactType');
  const all = [...store.manifests.entries()].flatMap(([d, { mediaType, bytes }]) => {
    const m = JSON.parse(bytes.toString('utf8')) as {
      subject?: { digest?: string };
      artifactType?: string;
      annotations?: Record<string, string>;
    };
    if (m.subject?.digest !== digest) return [];
    if (artifactType !== null && m.artifactType !== artifactType) return [];
    return [
      {
        mediaType,
        digest: d,
        size: bytes.length,
        artifactType: m.artifactType,
        annotations: m.annotations,
      },
    ];
  });
  const start = Number(url.searchParams.get('start') ?? '0');
  const headers: Record<string, string> =
    artifactType === null ? {} : { 'oci-filters-applied': 'artifactType' };
  if (start + pageSize < all.length) {
    const next = new URL(url.href);
    next.searchParams.set('start', String(start + pageSize));
    headers.link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  const page = all.slice(start, start + pageSize);
  return json(
    200,
    { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: page },
    headers,
  );
}

function manifests(
  store: Store,
  method: string,
  name: string,
  reference: string,
  request: IncomingMessage,
  body: Buffer,
): Answer {
  if (method === 'PUT') {
    const current = store.tags.get(reference);
    const ifMatch = request.headers['if-match'];
    const creating = request.headers['if-none-match'] === '*';
    if (
      (ifMatch !== undefined && ifMatch !== `"${current ?? ''}"`) ||
      (creating && current !== undefined)
    ) {
      return json(412, { errors: [{ code: 'PRECONDITION_FAILED' }] });
    }
    const digest = sha256(body);
    store.manifests.set(digest, { mediaType: request.headers['content-type'] ?? '', bytes: body });
    if (!reference.startsWith('sha256:')) store.tags.set(reference, digest);
    const subject = (JSON.parse(body.toString('utf8')) as { subject?: { digest?: string } }).subject
      ?.digest;
    return {
      status: 201,
      headers: {
        'docker-content-digest': digest,
        location: `/v2/${name}/manifests/${digest}`,
        ...(subject === undefined ? {} : { 'oci-subject': subject }),
      },
    };
  }
  const digest = reference.startsWith('sha256:') ? reference : store.tags.get(reference);
  const found = digest === undefined ? undefined : store.manifests.get(digest);
  if (found === undefined || digest === undefined)
    return json(404, { errors: [{ code: 'MANIFEST_UNKNOWN' }] });
  const headers = {
    'content-type': found.mediaType,
    'docker-content-digest': digest,
    'content-length': String(found.bytes.length),
    etag: `"${digest}"`,
  };
  return method === 'HEAD' ? { status: 200, headers } : { status: 200, headers, body: found.bytes };
}

function blobs(
  store: Store,
  options: OciStandInOptions,
  method: string,
  name: string,
  rest: string,
  url: URL,
  body: Buffer,
): Answer {
  if (method === 'POST' && rest === 'uploads/') {
    const id = randomBytes(8).toString('hex');
    store.uploads.add(id);
    return { status: 202, headers: { location: `/v2/${name}/blobs/uploads/${id}` } };
  }
  const upload = /^uploads\/([0-9a-f]+)$/.exec(rest);
  if (method === 'PUT' && upload !== null && store.uploads.delete(upload[1] ?? '')) {
    const digest = url.searchParams.get('digest');
    if (digest !== sha256(body)) return json(400, { errors: [{ code: 'DIGEST_INVALID' }] });
    store.blobs.set(digest, body);
    return { status: 201, headers: { 'docker-content-digest': digest } };
  }
  const blob = store.blobs.get(rest);
  if (blob === undefined) return json(404, { errors: [{ code: 'BLOB_UNKNOWN' }] });
  const served =
    options.tamperBlobs === true ? Buffer.concat([blob.subarray(0, -1), Buffer.from('!')]) : blob;
  return {
    status: 200,
    headers: { 'content-length': String(served.length) },
    ...(method === 'HEAD' ? {} : { body: served }),
  };
}

/** Starts the stand-in on 127.0.0.1 (an ephemeral port). */
export async function startOciStandIn(options: OciStandInOptions = {}): Promise<OciStandIn> {
  const store = new Store();
  const requests: OciStandIn['requests'] = [];
  const grantedScopes: string[] = [];
  const tokens = new Map<string, string>();
  let base = '';
  const basic =
    options.auth === undefined
      ? ''
      : `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;

  const authorized = (request: IncomingMessage, push: boolean): boolean => {
    if (options.auth === undefined) return true;
    const header = request.headers.authorization ?? '';
    if (options.auth.scheme === 'basic') return header === basic;
    const scope = tokens.get(header.replace(/^Bearer /, ''));
    return scope !== undefined && (!push || scope.endsWith(':pull,push'));
  };

  const route = (request: IncomingMessage, url: URL, body: Buffer): Answer => {
    const method = request.method ?? 'GET';
    if (url.pathname === '/token') {
      if (request.headers.authorization !== basic) return json(401, { details: 'bad credentials' });
      const token = randomBytes(16).toString('hex');
      const scope = url.searchParams.get('scope') ?? '';
      tokens.set(token, scope);
      grantedScopes.push(scope);
      return json(200, { token });
    }
    const match = /^\/v2\/(.+?)\/(manifests|blobs|referrers)\/(.+)$/.exec(url.pathname);
    if (!authorized(request, method === 'PUT' || method === 'POST')) {
      const name = match?.[1] ?? '';
      const challenge =
        options.auth?.scheme === 'basic'
          ? 'Basic realm="stand-in"'
          : `Bearer realm="${base}/token",service="oci-stand-in",scope="repository:${name}:pull"`;
      return json(401, { errors: [{ code: 'UNAUTHORIZED' }] }, { 'www-authenticate': challenge });
    }
    if (url.pathname === '/v2/') return json(200, {});
    if (match === null) return json(404, { errors: [{ code: 'NAME_UNKNOWN' }] });
    const [, name = '', kind, rest = ''] = match;
    if (kind === 'manifests') return manifests(store, method, name, rest, request, body);
    if (kind === 'blobs') return blobs(store, options, method, name, rest, url, body);
    if (options.referrersApi === false) return json(404, { errors: [{ code: 'NAME_UNKNOWN' }] });
    return referrers(store, rest, url, options.pageSize ?? 100);
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', base);
      const answer = route(request, url, Buffer.concat(chunks));
      requests.push({
        method: request.method ?? 'GET',
        path: `${url.pathname}${url.search}`,
        authorization: request.headers.authorization,
        status: answer.status,
      });
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    url: base,
    requests,
    tags: store.tags,
    grantedScopes,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      }),
  };
}
