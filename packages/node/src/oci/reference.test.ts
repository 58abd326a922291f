import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatImageReference, parseImageReference } from './reference.js';
import { parseChallenge } from './auth.js';

const D = `sha256:${'a1'.repeat(32)}`;

void describe('image references', () => {
  void it('reads registry, repository and digest; https unless the registry is loopback', () => {
    assert.deepEqual(parseImageReference(`ghcr.io/octo-org/app@${D}`), {
      registry: 'ghcr.io',
      repository: 'octo-org/app',
      digest: D,
      baseUrl: 'https://ghcr.io',
    });
    assert.equal(
      parseImageReference(`127.0.0.1:5000/a/b_c.d__e--f@${D}`).baseUrl,
      'http://127.0.0.1:5000',
    );
    assert.equal(parseImageReference(`localhost:5000/app@${D}`).baseUrl, 'http://localhost:5000');
    assert.equal(parseImageReference(`[::1]:5000/app@${D}`).baseUrl, 'http://[::1]:5000');
    assert.equal(
      parseImageReference(`localhost:5000/app@${D}`, { plainHttp: false }).baseUrl,
      'https://localhost:5000',
    );
    const tagged = parseImageReference(`registry.example.com:8443/app:v1.2@${D}`);
    assert.equal(formatImageReference(tagged), `registry.example.com:8443/app@${D}`);
  });

  void it('refuses references that are not pinned, name no registry, or are malformed', () => {
    const cases: [string, RegExp][] = [
      ['ghcr.io/octo/app:latest', /is not pinned by digest/],
      [`octo/app@${D}`, /names no registry host/],
      [`app@${D}`, /names no registry host/],
      [`ghcr.io/Octo/app@${D}`, /invalid repository 'Octo\/app'/],
      [`ghcr.io/octo/../app@${D}`, /invalid repository/],
      [`ghcr.io/octo//app@${D}`, /invalid repository/],
      ['ghcr.io/octo/app@sha256:abc', /invalid digest/],
      [`ghcr.io/octo/app@${D.toUpperCase()}`, /invalid digest/],
      [`ghcr.io/octo/app@sha512:${'a'.repeat(128)}`, /invalid digest/],
      [`ghcr.io:99999/app@${D}`, /invalid registry host/],
      [`ev il.io/app@${D}`, /invalid registry host/],
      [`ghcr.io/app:-bad@${D}`, /invalid tag/],
      [`ghcr.io/${'a/'.repeat(600)}app@${D}`, /longer than 1024/],
    ];
    for (const [reference, message] of cases) {
      assert.throws(() => parseImageReference(reference), { code: 'USAGE', message }, reference);
    }
  });

  void it('refuses plain http to anything but loopback', () => {
    assert.throws(() => parseImageReference(`registry.example.com/app@${D}`, { plainHttp: true }), {
      message:
        "plain http to registry 'registry.example.com' refused: only a loopback registry may be reached without TLS",
    });
    assert.throws(() => parseImageReference(`127.0.0.1.evil.com/app@${D}`, { plainHttp: true }), {
      message: /plain http/,
    });
  });
});

void describe('WWW-Authenticate challenges', () => {
  void it('reads Bearer and Basic parameters, quoted or not', () => {
    assert.deepEqual(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example", scope="repository:a/b:pull"',
      ),
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          service: 'registry.example',
          scope: 'repository:a/b:pull',
        },
      },
    );
    assert.deepEqual(parseChallenge('Basic realm=registry'), {
      scheme: 'basic',
      params: { realm: 'registry' },
    });
    assert.equal(parseChallenge('Negotiate abc'), undefined);
    assert.equal(parseChallenge(null), undefined);
  });
});
