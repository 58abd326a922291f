// Test infrastructure (used only by ../github-stand-in.ts): GitHub's attestations endpoints on
// loopback — create (201 {id}), list by subject digest paged by an `after` cursor in a Link header —
// with canned failures a test queues (502s, a 403, a 429 with Retry-After) and the stored bundles.
// The subject digests are read from the bundle's DSSE statement, as GitHub indexes them.

export interface CannedAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** The error body's message (GitHub's `{message}`). */
  readonly message?: string;
  /** A raw body instead of `{message}` (e.g. an oversized or non-JSON answer). */
  readonly body?: string;
}

export interface StoredAttestation {
  readonly id: number;
  readonly repository: string;
  readonly digests: readonly string[];
  readonly predicateType: string | undefined;
  readonly bundle: unknown;
}

export interface StandInAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Send `body` as it is (a string), not as JSON. */
  readonly raw?: boolean;
}

interface Statement {
  subject?: { digest?: Record<string, unknown> }[];
  predicateType?: unknown;
}

function statementOf(bundle: unknown): Statement | undefined {
  const payload = (bundle as { dsseEnvelope?: { payload?: unknown } } | null)?.dsseEnvelope
    ?.payload;
  if (typeof payload !== 'string') return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as Statement;
  } catch {
    return undefined;
  }
}

function digestsOf(statement: Statement | undefined): string[] {
  return (statement?.subject ?? []).flatMap((subject) =>
    Object.entries(subject.digest ?? {})
      .filter(([alg, hex]) => ['sha256', 'sha512'].includes(alg) && typeof hex === 'string')
      .map(([alg, hex]) => `${alg}:${String(hex)}`),
  );
}

export class AttestationsStandIn {
  readonly stored: StoredAttestation[] = [];
  /** Answers given, in order, to the next requests to the attestations endpoints. */
  readonly canned: CannedAnswer[] = [];
  private nextId = 1;

  constructor(
    private readonly writeToken: string,
    /** Tokens that authenticate but lack `attestations: write` (GitHub answers 403). */
    private readonly readOnlyTokens: readonly string[],
  ) {}

  /** The answer for an attestations request, or undefined when the path is not one. */
  handle(method: string, url: URL, auth: string, body: string): StandInAnswer | undefined {
    const create = /^\/repos\/([^/]+\/[^/]+)\/attestations$/.exec(url.pathname);
    const list = /^\/repos\/([^/]+\/[^/]+)\/attestations\/([^/]+)$/.exec(url.pathname);
    if (create === null && list === null) return undefined;
    const canned = this.canned.shift();
    if (canned !== undefined) {
      return canned.body === undefined
        ? {
            status: canned.status,
            body: { message: canned.message ?? 'canned' },
            headers: canned.headers ?? {},
          }
        : { status: canned.status, body: canned.body, headers: canned.headers ?? {}, raw: true };
    }
    if (create !== null && method === 'POST') return this.create(create[1] ?? '', auth, body);
    if (list !== null && method === 'GET') {
      return this.list(list[1] ?? '', decodeURIComponent(list[2] ?? ''), url);
    }
    return { status: 405, body: { message: 'method not allowed' } };
  }

  private create(repository: string, auth: string, body: string): StandInAnswer {
    if (this.readOnlyTokens.some((token) => auth === `Bearer ${token}`)) {
      return { status: 403, body: { message: 'Resource not accessible by integration' } };
    }
    if (auth !== `Bearer ${this.writeToken}`)
      return { status: 401, body: { message: 'Bad credentials' } };
    let bundle: unknown;
    try {
      bundle = (JSON.parse(body) as { bundle?: unknown }).bundle;
    } catch {
      return { status: 400, body: { message: 'Problems parsing JSON' } };
    }
    const statement = statementOf(bundle);
    const digests = digestsOf(statement);
    if (digests.length === 0) return { status: 422, body: { message: 'Validation Failed' } };
    const id = this.nextId++;
    const predicateType =
      typeof statement?.predicateType === 'string' ? statement.predicateType : undefined;
    this.stored.push({ id, repository, digests, predicateType, bundle });
    return { status: 201, body: { id } };
  }

  private list(repository: string, digest: string, url: URL): StandInAnswer {
    const predicateType = url.searchParams.get('predicate_type');
    const matching = this.stored.filter(
      (a) =>
        a.repository === repository &&
        a.digests.includes(digest) &&
        (predicateType === null || a.predicateType === predicateType),
    );
    if (matching.length === 0) return { status: 404, body: { message: 'Not Found' } };
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? '30'), 100);
    const after = url.searchParams.get('after');
    const start = after === null ? 0 : Number(Buffer.from(after, 'base64url').toString('utf8'));
    const page = matching.slice(start, start + perPage);
    const headers: Record<string, string> = {};
    if (start + perPage < matching.length) {
      const next = new URL(url.href);
      next.searchParams.set('after', Buffer.from(String(start + perPage)).toString('base64url'));
      headers.link = `<${next.href}>; rel="next"`;
    }
    const attestations = page.map((a) => ({ bundle: a.bundle, repository_id: 1 }));
    return { status: 200, body: { attestations }, headers };
  }
}
