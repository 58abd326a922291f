import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256Hex } from '../../digest.js';
import { SathosError } from '../../errors.js';
import { fetchGithubPolicy, githubPolicyUrl } from './github-reference.js';
import { parsePolicyReference } from './reference.js';

const SHA = 'a'.repeat(40);
const POLICY = `apiVersion: sathos.dev/v1
kind: Policy
stages: [build]
identities:
  build: [{ keyId: "sha256:${'b'.repeat(64)}" }]
`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let api: string;
let handler: Handler = (_req, res) => res.end();
const seen: IncomingMessage[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
});

const ref = () => {
  const r = parsePolicyReference(`github:acme/policies/release/policy.yaml@${SHA}`);
  assert.equal(r.kind, 'github');
  return r;
};

const fails =
  (code: string, fragment = '') =>
  (e: unknown) =>
    e instanceof SathosError && e.code === code && e.message.includes(fragment);

void describe('parsePolicyReference', () => {
  void it('reads a local path and a pinned github reference', () => {
    assert.deepEqual(parsePolicyReference('policies/p.yaml'), {
      kind: 'file',
      path: 'policies/p.yaml',
    });
    assert.deepEqual(ref(), {
      kind: 'github',
      owner: 'acme',
      repo: 'policies',
      path: 'release/policy.yaml',
      ref: SHA,
    });
  });

  void it('refuses a branch, a tag or a short SHA: only a commit is a pin', () => {
    for (const bad of ['main', 'v1.2.0', 'a'.repeat(12), '']) {
      assert.throws(
        () => parsePolicyReference(`github:acme/policies/p.yaml@${bad}`),
        fails('USAGE', 'not a full commit SHA'),
      );
    }
    assert.throws(() => parsePolicyReference('github:acme/policies/p.yaml'), fails('USAGE'));
  });

  void it('refuses paths that climb out or owners that are not GitHub names', () => {
    assert.throws(
      () => parsePolicyReference(`github:acme/policies/../x.yaml@${SHA}`),
      fails('USAGE'),
    );
    assert.throws(() => parsePolicyReference(`github:acme/policies/@${SHA}`), fails('USAGE'));
    assert.throws(
      () => parsePolicyReference(`github:ac/me/x/p.yaml@${SHA}`.replace('ac/me', '-x/y')),
      fails('USAGE'),
    );
  });
});

void describe('fetchGithubPolicy', () => {
  void it('fetches the file at the commit with the token, and records the API URL and digest', async () => {
    seen.length = 0;
    handler = (_req, res) => {
      res.setHeader('content-type', 'application/vnd.github.raw');
      res.end(POLICY);
    };
    const policy = await fetchGithubPolicy(ref(), {
      api,
      token: 't0ken',
      fetch,
      expectedDigest: `sha256:${sha256Hex(POLICY)}`,
    });
    assert.equal(policy.digest, sha256Hex(POLICY));
    assert.equal(policy.uri, githubPolicyUrl(api, ref()));
    const req = seen[0];
    assert.equal(req?.url, `/api/v3/repos/acme/policies/contents/release/policy.yaml?ref=${SHA}`);
    assert.equal(req.headers.authorization, 'Bearer t0ken');
    assert.equal(req.headers.accept, 'application/vnd.github.raw');
  });

  void it('reads the JSON form with base64 content too', async () => {
    handler = (_req, res) => {
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(
        JSON.stringify({
          type: 'file',
          encoding: 'base64',
          content: Buffer.from(POLICY).toString('base64'),
        }),
      );
    };
    const policy = await fetchGithubPolicy(ref(), { api, fetch });
    assert.deepEqual(policy.stages, ['build']);
  });

  void describe('when the policy cannot be trusted or read, it denies', () => {
    void it('refuses a policy whose digest is not the pinned one', async () => {
      handler = (_req, res) => res.end(POLICY.replace('[build]', '[build] # changed'));
      await assert.rejects(
        fetchGithubPolicy(ref(), { api, fetch, expectedDigest: `sha256:${sha256Hex(POLICY)}` }),
        fails('POLICY_DIGEST_MISMATCH', 'was pinned'),
      );
    });

    for (const status of [404, 403, 500]) {
      void it(`refuses HTTP ${status}`, async () => {
        handler = (_req, res) => {
          res.statusCode = status;
          res.end('{"message": "nope"}');
        };
        await assert.rejects(
          fetchGithubPolicy(ref(), { api, fetch }),
          fails('POLICY_UNAVAILABLE', String(status)),
        );
      });
    }

    void it('refuses a redirect rather than follow it elsewhere with the token', async () => {
      handler = (_req, res) => {
        res.statusCode = 302;
        res.setHeader('location', 'http://127.0.0.1:9/elsewhere');
        res.end();
      };
      await assert.rejects(
        fetchGithubPolicy(ref(), { api, token: 't', fetch }),
        fails('POLICY_UNAVAILABLE'),
      );
    });

    void it('refuses a server that does not answer in time', async () => {
      handler = () => undefined;
      await assert.rejects(
        fetchGithubPolicy(ref(), { api, fetch, timeoutMs: 200 }),
        fails('POLICY_UNAVAILABLE', 'timed out'),
      );
    });

    void it('refuses a server that is not there', async () => {
      await assert.rejects(
        fetchGithubPolicy(ref(), { api: 'http://127.0.0.1:9', fetch }),
        fails('POLICY_UNAVAILABLE'),
      );
    });

    void it('refuses an oversized response without reading it all', async () => {
      handler = (_req, res) => {
        res.write(`# ${'x'.repeat(1024 * 1024)}\n`);
        res.end(`# ${'x'.repeat(2 * 1024 * 1024)}\n`);
      };
      await assert.rejects(
        fetchGithubPolicy(ref(), { api, fetch }),
        fails('POLICY_UNAVAILABLE', 'larger than'),
      );
    });

    void it('refuses a directory listing', async () => {
      handler = (_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end('[{"type": "file", "name": "p.yaml"}]');
      };
      await assert.rejects(
        fetchGithubPolicy(ref(), { api, fetch }),
        fails('POLICY_UNAVAILABLE', 'does not name a file'),
      );
    });

    void it('refuses an invalid policy with its problems', async () => {
      handler = (_req, res) => res.end('apiVersion: nope\n');
      await assert.rejects(
        fetchGithubPolicy(ref(), { api, fetch }),
        fails('POLICY_INVALID', 'apiVersion'),
      );
    });
  });
});
