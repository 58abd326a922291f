// SSH commit signatures read and checked on their own, against signatures the real ssh-keygen makes
// (`ssh-keygen -Y sign`, as git does with gpg.format=ssh) with Ed25519, ECDSA and RSA keys and an
// OpenSSH certificate; and each way one can be wrong: broken armor, a truncated or padded blob, the
// wrong magic, version or hash, another namespace, another message, a short RSA key, SHA-1 RSA.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SathosError } from '../../../errors.js';
import { parseSshKey, sshFingerprint } from './key.js';
import { parseSshSignature, verifySshSignatureOver } from './sshsig.js';

const dir = mkdtempSync(join(tmpdir(), 'sathos-sshsig-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
const MESSAGE = Buffer.from('tree 0000\nauthor a <a@x> 1 +0000\n\nsigned\n');
writeFileSync(join(dir, 'message'), MESSAGE);

function keygen(name: string, ...args: string[]): string {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-C', name, '-f', path, ...args]);
  return path;
}

/** `ssh-keygen -Y sign` over MESSAGE in `namespace`: the armored signature git would store. */
function sign(key: string, namespace = 'git'): string {
  execFileSync('ssh-keygen', [
    '-q',
    '-Y',
    'sign',
    '-f',
    key,
    '-n',
    namespace,
    join(dir, 'message'),
  ]);
  const armored = readFileSync(join(dir, 'message.sig'), 'utf8');
  rmSync(join(dir, 'message.sig'));
  return armored;
}

const publicBlob = (key: string): Buffer =>
  Buffer.from(readFileSync(`${key}.pub`, 'utf8').split(' ')[1] ?? '', 'base64');

function blobOf(armored: string): Buffer {
  const body = armored.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  return Buffer.from(body.join(''), 'base64');
}

function armor(blob: Buffer): string {
  const lines = blob.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN SSH SIGNATURE-----\n${lines.join('\n')}\n-----END SSH SIGNATURE-----\n`;
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
};
const field = (value: Buffer | string): Buffer => {
  const bytes = Buffer.from(value);
  return Buffer.concat([u32(bytes.length), bytes]);
};

/** An SSHSIG blob from its parts, so each part can be made wrong on its own. */
function sshsig(parts: {
  magic?: string;
  version?: number;
  publicKey: Buffer;
  namespace?: string;
  hash?: string;
  signature: Buffer;
}): string {
  return armor(
    Buffer.concat([
      Buffer.from(parts.magic ?? 'SSHSIG'),
      u32(parts.version ?? 1),
      field(parts.publicKey),
      field(parts.namespace ?? 'git'),
      field(''),
      field(parts.hash ?? 'sha512'),
      field(parts.signature),
    ]),
  );
}

function invalid(pattern: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError, `not a SathosError: ${String(error)}`);
    assert.equal(error.code, 'SIGNATURE_INVALID', error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

const ed25519 = keygen('ed25519', '-t', 'ed25519');
const honest = sign(ed25519);

void describe('parseSshSignature and verifySshSignatureOver', () => {
  for (const [name, args] of [
    ['Ed25519', ['-t', 'ed25519']],
    ['ECDSA P-256', ['-t', 'ecdsa', '-b', '256']],
    ['ECDSA P-384', ['-t', 'ecdsa', '-b', '384']],
    ['RSA 3072', ['-t', 'rsa', '-b', '3072']],
  ] as const) {
    void it(`verifies a signature ssh-keygen made with an ${name} key`, () => {
      const key = keygen(`key-${name.replace(/\W/g, '')}`, ...args);
      const sig = parseSshSignature(sign(key));
      assert.equal(sig.namespace, 'git');
      assert.deepEqual(sig.publicKey, publicBlob(key));
      assert.equal(sig.certificate, undefined);
      verifySshSignatureOver(sig, MESSAGE);
    });
  }

  void it('reads a certificate-signed signature: the certified key signs, the CA is checked', () => {
    const ca = keygen('ca', '-t', 'ed25519');
    const user = keygen('user', '-t', 'ecdsa', '-b', '256');
    execFileSync('ssh-keygen', ['-q', '-s', ca, '-I', 'alice', '-n', 'alice@x', `${user}.pub`]);
    // Given the certificate, ssh-keygen signs with the private key beside it, naming the certificate.
    const sig = parseSshSignature(sign(`${user}-cert.pub`));
    assert.ok(sig.certificate !== undefined, 'the signature names a certificate');
    assert.deepEqual(sig.certificate.principals, ['alice@x']);
    assert.deepEqual(sig.certificate.signatureKey, publicBlob(ca));
    assert.deepEqual(sig.key.blob, publicBlob(user));
    verifySshSignatureOver(sig, MESSAGE);
  });

  void it('refuses armor that is not canonical base64 (another commit id for the same signature)', () => {
    const lines = honest.split('\n');
    const end = lines.findIndex((line) => line.startsWith('-----END'));
    const last = lines[end - 1] ?? '';
    assert.ok(last.endsWith('='), 'an ssh-keygen signature ends in padding');
    // To Node both decode to the same blob: the armor with text after its padding is another commit.
    const afterPadding = [...lines.slice(0, end - 1), `${last}AAAA`, ...lines.slice(end)].join(
      '\n',
    );
    assert.deepEqual(
      Buffer.from(afterPadding.split('\n').slice(1, end).join(''), 'base64'),
      Buffer.from(lines.slice(1, end).join(''), 'base64'),
    );
    assert.throws(
      () => parseSshSignature(afterPadding),
      (error: unknown) =>
        error instanceof SathosError &&
        error.code === 'SIGNATURE_INVALID' &&
        /not canonical base64/.test(error.message),
    );
    verifySshSignatureOver(parseSshSignature(honest), MESSAGE);
  });

  void it('refuses a signature over another message (does not verify)', () => {
    const sig = parseSshSignature(honest);
    assert.throws(
      () => {
        verifySshSignatureOver(sig, Buffer.concat([MESSAGE, Buffer.from('x')]));
      },
      invalid(/does not verify/),
    );
  });

  void it('refuses a signature made for another namespace (not for a commit)', () => {
    const sig = parseSshSignature(sign(ed25519, 'file'));
    assert.throws(
      () => {
        verifySshSignatureOver(sig, MESSAGE);
      },
      invalid(/namespace "file"/),
    );
  });

  void it('refuses a signature whose bytes were flipped', () => {
    const parsed = parseSshSignature(honest);
    const flipped = Buffer.from(parsed.signature);
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1;
    const sig = parseSshSignature(sshsig({ publicKey: parsed.publicKey, signature: flipped }));
    assert.throws(
      () => {
        verifySshSignatureOver(sig, MESSAGE);
      },
      invalid(/does not verify/),
    );
  });

  const parts = parseSshSignature(honest);
  const malformed: [string, () => string, RegExp][] = [
    ['no armor', () => blobOf(honest).toString('base64'), /armor is malformed/],
    ['a PGP armor', () => honest.replaceAll('SSH SIGNATURE', 'PGP SIGNATURE'), /armor/],
    ['a truncated blob', () => armor(blobOf(honest).subarray(0, 60)), /is truncated/],
    [
      'trailing bytes',
      () => armor(Buffer.concat([blobOf(honest), Buffer.from([0])])),
      /trailing bytes/,
    ],
    ['another magic', () => sshsig({ ...parts, magic: 'SSHSIH' }), /no SSHSIG magic/],
    ['version 2', () => sshsig({ ...parts, version: 2 }), /version 2, not 1/],
    ['a SHA-1 hash', () => sshsig({ ...parts, hash: 'sha1' }), /hash algorithm "sha1"/],
    [
      'a length past the end',
      () => armor(Buffer.concat([Buffer.from('SSHSIG'), u32(1), u32(0xffff_fff0)])),
      /is truncated/,
    ],
    [
      'an unsupported key type',
      () => sshsig({ ...parts, publicKey: field('ssh-dss') }),
      /ssh-dss is not supported/,
    ],
  ];
  for (const [name, build, pattern] of malformed) {
    void it(`refuses ${name} as SIGNATURE_INVALID`, () => {
      assert.throws(() => parseSshSignature(build()), invalid(pattern));
    });
  }
});

void describe('SSH keys', () => {
  void it('fingerprints a key as ssh-keygen -l prints it', () => {
    const printed = execFileSync('ssh-keygen', ['-l', '-f', `${ed25519}.pub`], {
      encoding: 'utf8',
    });
    assert.equal(printed.split(' ')[1], sshFingerprint(publicBlob(ed25519)));
  });

  void it('refuses an Ed25519 key that is not 32 bytes', () => {
    const short = Buffer.concat([field('ssh-ed25519'), field(Buffer.alloc(31))]);
    assert.throws(() => parseSshKey(short, 'key'), invalid(/not 32 bytes/));
  });

  void it('refuses an ECDSA key whose curve contradicts its type', () => {
    const blob = publicBlob(keygen('p256', '-t', 'ecdsa', '-b', '256'));
    // The type says P-256; the curve field after it says P-384; the point stays P-256's.
    const swapped = Buffer.concat([
      field('ecdsa-sha2-nistp256'),
      field('nistp384'),
      blob.subarray(field('ecdsa-sha2-nistp256').length + field('nistp256').length),
    ]);
    assert.throws(() => parseSshKey(swapped, 'key'), invalid(/curve that contradicts/));
  });

  void it('refuses a signature by an RSA key shorter than 2048 bits', () => {
    const weak = keygen('rsa1024', '-t', 'rsa', '-b', '1024');
    const sig = parseSshSignature(sign(weak));
    assert.throws(
      () => {
        verifySshSignatureOver(sig, MESSAGE);
      },
      invalid(/1024 bits is too short/),
    );
  });

  void it('refuses an ssh-rsa (SHA-1) signature from an RSA key', () => {
    const rsa = keygen('rsa-sha1', '-t', 'rsa', '-b', '2048');
    const sig = parseSshSignature(sign(rsa));
    const inner = sig.signature.subarray(4 + 12); // after the "rsa-sha2-512" format name
    const sha1 = Buffer.concat([field('ssh-rsa'), inner]);
    const downgraded = parseSshSignature(sshsig({ publicKey: sig.publicKey, signature: sha1 }));
    assert.throws(
      () => {
        verifySshSignatureOver(downgraded, MESSAGE);
      },
      invalid(/SHA-1 signatures are refused/),
    );
  });
});
