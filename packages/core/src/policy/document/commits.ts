// `commits`: who may sign the commits a pipeline builds (the contract in identity/commit-policy.ts).
// Checked for shape here; the keys themselves are parsed by commit verification.
import type {
  CommitPolicy,
  CommitSignerSet,
  ProtectedPaths,
  SignatureTime,
} from '../../identity/commits/signer-rules.js';
import type { IdentityRule } from '../../identity/signers/identity-rule.js';
import { identityRuleProblems } from '../../identity/signers/identity-rule.js';
import type { PolicyPath, PolicyProblem } from './problem.js';
import { pathText, problem } from './problem.js';
import type { Json } from './fields.js';
import { isObject, isString, stringListProblems, unknownFields } from './fields.js';

const SIGNER_FIELDS = ['allowedSigners', 'pgpKeys', 'gitsign'];
const MAX_GITSIGN_RULES = 64;
const MAX_PROTECTED = 64;
const MAX_PATTERNS = 256;

function signerSetProblems(value: Json, path: PolicyPath): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const field of ['allowedSigners', 'pgpKeys'] as const) {
    const text = value[field];
    if (text !== undefined && (!isString(text) || text.trim() === ''))
      problems.push(
        problem([...path, field], `${pathText([...path, field])} must be non-empty text`),
      );
  }
  if (isString(value.pgpKeys) && !value.pgpKeys.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----'))
    problems.push(
      problem(
        [...path, 'pgpKeys'],
        `${pathText([...path, 'pgpKeys'])} must hold ASCII-armored OpenPGP public keys`,
      ),
    );
  const gitsign = value.gitsign;
  if (gitsign === undefined) return problems;
  const at = [...path, 'gitsign'];
  if (!Array.isArray(gitsign) || gitsign.length > MAX_GITSIGN_RULES)
    return [
      ...problems,
      problem(
        at,
        `${pathText(at)} must be a list of at most ${MAX_GITSIGN_RULES} {issuer, subject | subjectRegexp}`,
      ),
    ];
  gitsign.forEach((rule, i) => {
    const name = pathText([...at, i]);
    if (!isObject(rule) || Object.values(rule).some((v) => !isString(v))) {
      problems.push(
        problem(
          [...at, i],
          `${name} must be an object of strings {issuer, subject | subjectRegexp}`,
        ),
      );
      return;
    }
    problems.push(...unknownFields(rule, ['issuer', 'subject', 'subjectRegexp'], [...at, i]));
    problems.push(...identityRuleProblems(rule, name).map((m) => problem([...at, i], m)));
  });
  return problems;
}

function protectedProblems(value: unknown): PolicyProblem[] {
  const path = ['commits', 'protectedPaths'];
  if (!Array.isArray(value) || value.length > MAX_PROTECTED)
    return [
      problem(
        path,
        `commits.protectedPaths must be a list of at most ${MAX_PROTECTED} {paths, ...signers}`,
      ),
    ];
  return value.flatMap((entry, i) => {
    const at = [...path, i];
    if (!isObject(entry))
      return [
        problem(
          at,
          `${pathText(at)} must be an object {paths, allowedSigners | pgpKeys | gitsign}`,
        ),
      ];
    const problems = [
      ...unknownFields(entry, ['paths', ...SIGNER_FIELDS], at),
      ...signerSetProblems(entry, at),
    ];
    if (!Array.isArray(entry.paths) || entry.paths.length === 0)
      problems.push(
        problem(
          [...at, 'paths'],
          `${pathText(at)}.paths must be a non-empty list of glob patterns`,
        ),
      );
    else problems.push(...stringListProblems(entry.paths, [...at, 'paths'], MAX_PATTERNS));
    if (!SIGNER_FIELDS.some((f) => entry[f] !== undefined))
      problems.push(
        problem(at, `${pathText(at)} names no signer: add allowedSigners, pgpKeys or gitsign`),
      );
    return problems;
  });
}

export function commitsProblems(value: unknown): PolicyProblem[] {
  if (value === undefined) return [];
  const path = ['commits'];
  if (!isObject(value))
    return [
      problem(
        path,
        'commits must be an object {signers, protectedPaths, allowMergeCommits, allowWebFlow, signatureTime}',
      ),
    ];
  const problems = unknownFields(
    value,
    ['signers', 'protectedPaths', 'allowMergeCommits', 'allowWebFlow', 'signatureTime'],
    path,
  );
  if (value.signers !== undefined) {
    if (!isObject(value.signers))
      problems.push(problem([...path, 'signers'], 'commits.signers must be an object'));
    else
      problems.push(
        ...unknownFields(value.signers, SIGNER_FIELDS, [...path, 'signers']),
        ...signerSetProblems(value.signers, [...path, 'signers']),
      );
  }
  if (value.protectedPaths !== undefined) problems.push(...protectedProblems(value.protectedPaths));
  for (const flag of ['allowMergeCommits', 'allowWebFlow'] as const) {
    if (value[flag] !== undefined && typeof value[flag] !== 'boolean')
      problems.push(problem([...path, flag], `commits.${flag} must be true or false`));
  }
  if (value.signatureTime !== undefined && !isSignatureTime(value.signatureTime))
    problems.push(
      problem(
        [...path, 'signatureTime'],
        'commits.signatureTime must be trusted (keys judged at verification time; recommended) or committer',
      ),
    );
  return problems;
}

function isSignatureTime(value: unknown): value is SignatureTime {
  return value === 'trusted' || value === 'committer';
}

function signerSet(value: Json): CommitSignerSet {
  return {
    ...(isString(value.allowedSigners) ? { allowedSigners: value.allowedSigners } : {}),
    ...(isString(value.pgpKeys) ? { pgpKeys: value.pgpKeys } : {}),
    ...(Array.isArray(value.gitsign) ? { gitsign: value.gitsign as IdentityRule[] } : {}),
  };
}

/**
 * The commit policy of a valid `commits` section; merges and web-flow commits refused by default, and
 * signing keys judged at the trusted verification time unless `signatureTime: committer`.
 */
export function readCommits(value: unknown): CommitPolicy | undefined {
  if (!isObject(value)) return undefined;
  const protectedPaths: ProtectedPaths[] = Array.isArray(value.protectedPaths)
    ? (value.protectedPaths as Json[]).map((p) => ({ ...signerSet(p), paths: p.paths as string[] }))
    : [];
  return {
    signers: isObject(value.signers) ? signerSet(value.signers) : {},
    protectedPaths,
    allowMergeCommits: value.allowMergeCommits === true,
    allowWebFlow: value.allowWebFlow === true,
    signatureTime: value.signatureTime === 'committer' ? 'committer' : 'trusted',
  };
}
