// Verifies a chain of custody (docs/spec.md §5, steps 2–7 and 9): every bundle, every link, the run,
// the genesis, the stages in order, the terminal record, and that the artifacts are what was built.
import { BUNDLE_V03_MEDIA_TYPE, type Bundle } from '@sigstore/bundle';
import { SathosError } from '../../errors.js';
import type { IdentityRule } from '../../identity/signers/identity-rule.js';
import { describeRule, signerMatchesRule } from '../../identity/signers/identity-rule.js';
import type { SignerIdentity } from '../../identity/signers/signer-identity.js';
import { describeSigner } from '../../identity/signers/signer-identity.js';
import { bundleFromDocument } from '../verify/bundle-input.js';
import type { ChainLine } from './chain.js';
import type { Digest } from '../../digest.js';
import { digestSetNames, sha256Hex } from '../../digest.js';
import type { ActorClaims, RunBinding, TransitionStatement } from '../record/transition.js';
import { TRANSITION_PREDICATE_TYPE, assertTransitionStatement } from '../record/transition.js';
import type { ResourceDescriptor, Statement } from '../record/statement.js';

/** What the chain verifier needs of a bundle verifier (attestation/verify-bundle.ts provides it). */
export interface CheckedBundle {
  readonly signer: SignerIdentity;
  readonly statement?: Statement;
  /** SHA-256 hex of the exact DSSE payload bytes. */
  readonly payloadSha256?: string;
}
export interface BundleChecker {
  verify(bundle: unknown, expectation: { readonly where?: string }): CheckedBundle;
}

export interface ChainRequirements {
  /** Required stages, in order; the first is the genesis stage. No other stage is accepted. */
  readonly stages: readonly string[];
  /**
   * Who may sign each stage. Required: a stage with no rules can be signed by nobody, so a caller
   * cannot trust every certified signer by forgetting to say who.
   */
  readonly identities: Readonly<Record<string, readonly IdentityRule[]>>;
  /** A complete chain ends in a terminal record. Default: true when the last stage is `deploy`. */
  readonly requireTerminal?: boolean;
  /**
   * The environment the chain must have deployed to: the chain holds a deploy record, and every
   * deploy record names exactly this environment (`observations.environment`).
   */
  readonly environment?: string;
}

export interface ArtifactInput {
  readonly name: string;
  readonly digests: readonly Digest[];
}

declare const verifiedBrand: unique symbol;

/** A record whose signature, signer, links and place in the chain were all checked. */
export interface VerifiedRecord {
  readonly [verifiedBrand]: true;
  readonly digest: string;
  readonly where: string;
  readonly stage: string;
  readonly sequence: number;
  readonly signer: SignerIdentity;
  readonly statement: TransitionStatement;
  readonly evidence: readonly VerifiedEvidence[];
}

export interface VerifiedEvidence {
  readonly digest: string;
  readonly predicateType: string;
  readonly where: string;
}

export interface ChainVerification {
  readonly run: RunBinding;
  readonly genesis: VerifiedRecord;
  readonly head: VerifiedRecord;
  /** Every record, ordered by sequence then stage then digest. */
  readonly records: readonly VerifiedRecord[];
  readonly complete: boolean;
  /** The artifacts given, each bound: named by a subject of at least one verified record. */
  readonly artifacts: readonly ArtifactInput[];
}

/** What continuity may copy or merge at most (digests), so a chain of many forks stays bounded. */
export const CONTINUITY_LIMITS = { maxCopiedDigests: 8 * 1024 * 1024 } as const;

/** Only this module makes VerifiedRecords: the brand exists in types alone and cannot be forged. */
function seal(fields: Omit<VerifiedRecord, typeof verifiedBrand>): VerifiedRecord {
  return fields as unknown as VerifiedRecord;
}

interface Checked {
  readonly where: string;
  /** The bundle's media type (verified: the bundle verifier accepted the bundle as that version). */
  readonly mediaType: unknown;
  readonly digest: string;
  readonly signer: SignerIdentity;
  readonly statement: Statement;
}

const stepError =
  (step: string, code: ConstructorParameters<typeof SathosError>[0]) =>
  (message: string, where?: string, cause?: unknown): SathosError =>
    new SathosError(code, `${step}: ${message}`, {
      ...(where === undefined ? {} : { where }),
      ...(cause === undefined ? {} : { cause }),
    });

/**
 * What a bundle's verdict rests on: its version, the signed payload and its type, the signature and
 * the signer's certificate or key hint. Bundles that agree on these differ only in their witnesses
 * (log entries, timestamps): once one copy's witnesses verified, another copy proves nothing new.
 * Undefined for what is not a DSSE bundle (the verifier then says why).
 */
function signatureKey(json: unknown): string | undefined {
  let bundle: Bundle;
  try {
    bundle = bundleFromDocument(json);
  } catch {
    return undefined;
  }
  const material = bundle.verificationMaterial.content as
    Bundle['verificationMaterial']['content'] | undefined;
  if (bundle.content.$case !== 'dsseEnvelope' || material === undefined) return undefined;
  const { payloadType, payload, signatures } = bundle.content.dsseEnvelope;
  const signer =
    material.$case === 'publicKey'
      ? Buffer.from(`hint:${material.publicKey.hint}`)
      : material.$case === 'certificate'
        ? material.certificate.rawBytes
        : material.x509CertificateChain.certificates[0]?.rawBytes;
  const sig = signatures[0]?.sig;
  if (signer === undefined || sig === undefined) return undefined;
  const parts = [bundle.mediaType, payloadType, ...[payload, sig, signer].map(sha256Hex)];
  return sha256Hex(JSON.stringify(parts));
}

/**
 * Step 2: verify every bundle; a chain holding one bad bundle is rejected whole. A bundle repeating
 * one verified before (joined chains repeat their common records) is not verified again: one valid
 * public-good bundle copied into a 256 MiB chain, each copy padded to differ, cost 25,000
 * verifications of 16 ms each.
 */
function checkBundles(
  lines: readonly ChainLine[],
  checker: BundleChecker,
  source: string,
): Checked[] {
  const checked: Checked[] = [];
  const seen = new Map<string, Omit<Checked, 'where'>>();
  for (const { line, bundle } of lines) {
    const where = `${source} line ${line}`;
    // A message signature would make the bundle verifier ask for artifact bytes (a usage error).
    if (typeof bundle === 'object' && bundle !== null && 'messageSignature' in bundle) {
      throw new SathosError(
        'UNSUPPORTED_BUNDLE',
        'chain bundles must be DSSE in-toto statements, not message signatures; remove it from the chain',
        { where },
      );
    }
    const id = signatureKey(bundle);
    const known = id === undefined ? undefined : seen.get(id);
    if (known !== undefined) {
      checked.push({ ...known, where });
      continue;
    }
    const result = checker.verify(bundle, { where });
    if (result.statement === undefined || result.payloadSha256 === undefined) {
      throw new SathosError(
        'UNSUPPORTED_BUNDLE',
        'chain bundles must be DSSE in-toto statements; remove anything else from the chain',
        { where },
      );
    }
    const item = {
      mediaType: (bundle as { mediaType?: unknown }).mediaType,
      digest: result.payloadSha256,
      signer: result.signer,
      statement: result.statement,
    };
    if (id !== undefined) seen.set(id, item);
    checked.push({ ...item, where });
  }
  return checked;
}

/** The same payload may appear more than once when parallel chains are concatenated. */
function dedupe(items: readonly Checked[]): Map<string, Checked> {
  const byDigest = new Map<string, Checked>();
  for (const item of items) if (!byDigest.has(item.digest)) byDigest.set(item.digest, item);
  return byDigest;
}

/** Field by field: two signers are the same identity, not merely described alike. */
function sameSigner(a: SignerIdentity, b: SignerIdentity): boolean {
  if (a.kind === 'key' || b.kind === 'key') {
    return a.kind === 'key' && b.kind === 'key' && a.keyId === b.keyId;
  }
  return a.issuer === b.issuer && a.subject === b.subject;
}

function actorMatches(actor: ActorClaims, signer: SignerIdentity): boolean {
  if (actor.kind === 'key' || signer.kind === 'key') {
    return actor.kind === 'key' && signer.kind === 'key' && actor.keyId === signer.keyId;
  }
  if (actor.issuer !== signer.issuer || actor.subject !== signer.subject) return false;
  const claimed = actor.claims ?? {};
  const actual = signer.claims as Readonly<Record<string, string | undefined>>;
  return Object.entries(claimed).every(([key, value]) => actual[key] === value);
}

/** Step 4: the signer is one the requirements allow for the stage, and the actor claims are true. */
function checkSigner(
  record: Checked & { statement: TransitionStatement },
  req: ChainRequirements,
): void {
  const { stage, actor } = record.statement.predicate;
  const fail = stepError('identity', 'UNTRUSTED_SIGNER');
  const rules = (Object.hasOwn(req.identities, stage) ? req.identities[stage] : undefined) ?? [];
  if (!rules.some((rule) => signerMatchesRule(record.signer, rule))) {
    const allowed = rules.length === 0 ? 'nobody' : rules.map(describeRule).join(' or ');
    throw fail(
      `${stage} record signed by ${describeSigner(record.signer)}, but only ${allowed} may sign ${stage}`,
      record.where,
    );
  }
  if (!actorMatches(actor, record.signer)) {
    throw stepError('identity', 'ACTOR_MISMATCH')(
      `record claims an actor its signature does not prove (signed by ${describeSigner(record.signer)})`,
      record.where,
    );
  }
  // A step that recorded a denial was not allowed to act: no chain holding it is trustworthy,
  // with or without a policy to re-evaluate.
  const recorded = record.statement.predicate.policy;
  if (recorded?.decision === 'deny') {
    throw stepError('identity', 'POLICY_DENIED')(
      `the ${stage} step recorded a deny decision under ${recorded.uri}: ${recorded.reasons.join('; ') || 'no reason given'}`,
      record.where,
    );
  }
}

function sameRun(a: RunBinding, b: RunBinding): boolean {
  return (
    a.repository === b.repository &&
    a.workflowRef === b.workflowRef &&
    a.runId === b.runId &&
    a.runAttempt === b.runAttempt &&
    a.commit === b.commit
  );
}

type Record_ = Checked & { readonly statement: TransitionStatement };

/** Step 5: one genesis bound to the commit, every link resolves within one run, one head, no cycle. */
function checkGraph(
  records: ReadonlyMap<string, Record_>,
  req: ChainRequirements,
): { genesis: Record_; head: Record_ } {
  const graph = stepError('graph', 'CHAIN_BROKEN');
  const geneses = [...records.values()].filter((r) => r.statement.predicate.sequence === 0);
  const genesis = geneses[0];
  if (genesis === undefined) {
    throw stepError(
      'graph',
      'INCOMPLETE_CHAIN',
    )('no genesis record (sequence 0): the chain has lost its start');
  }
  if (geneses.length > 1) {
    throw stepError('graph', 'GENESIS_INVALID')(
      `${geneses.length} genesis records; a chain has exactly one`,
      geneses[1]?.where,
    );
  }
  const g = genesis.statement;
  const firstStage = req.stages[0];
  if (firstStage !== undefined && g.predicate.stage !== firstStage) {
    throw stepError('graph', 'GENESIS_INVALID')(
      `genesis record is a ${g.predicate.stage} record; the chain must start with ${firstStage}`,
      genesis.where,
    );
  }
  const commit = g.predicate.run.commit;
  if (!g.subject.some((s) => s.digest?.gitCommit === commit)) {
    throw stepError('graph', 'GENESIS_INVALID')(
      `genesis subject is not the run's commit ${commit}`,
      genesis.where,
    );
  }
  const referenced = new Set<string>();
  for (const record of records.values()) {
    const p = record.statement.predicate;
    if (!sameRun(p.run, g.predicate.run)) {
      throw stepError('graph', 'RUN_MISMATCH')(
        `record belongs to run ${p.run.repository}#${p.run.runId}.${p.run.runAttempt}, not ${g.predicate.run.repository}#${g.predicate.run.runId}.${g.predicate.run.runAttempt}`,
        record.where,
      );
    }
    if (p.sequence === 0) continue;
    if (p.genesis?.sha256 !== genesis.digest) {
      throw stepError('graph', 'GENESIS_INVALID')(
        `record names genesis sha256:${p.genesis?.sha256 ?? '?'}, but this chain's genesis is sha256:${genesis.digest}`,
        record.where,
      );
    }
    let highest = -1;
    for (const link of p.previous) {
      const prev = records.get(link.digest.sha256);
      if (prev === undefined) {
        throw graph(
          `previous record sha256:${link.digest.sha256} is not in the chain`,
          record.where,
        );
      }
      if (prev.statement.predicate.terminal === true) {
        throw graph(
          `record follows the terminal record ${prev.where}; nothing may follow it`,
          record.where,
        );
      }
      referenced.add(link.digest.sha256);
      highest = Math.max(highest, prev.statement.predicate.sequence);
    }
    // Sequences strictly rise along every link, so the graph can hold no cycle.
    if (p.sequence !== highest + 1) {
      throw graph(
        `sequence ${p.sequence} does not follow its previous (expected ${highest + 1})`,
        record.where,
      );
    }
  }
  const heads = [...records.values()].filter((r) => !referenced.has(r.digest));
  const head = heads[0];
  if (head === undefined || heads.length > 1) {
    throw stepError(
      'graph',
      'CHAIN_FORK',
    )(
      `chain has ${heads.length} heads (${heads.map((h) => h.where).join(', ')}); parallel branches must join before the chain ends`,
    );
  }
  return { genesis, head };
}

/** Step 6: every required stage present, each after the ones before it; a terminal end if required. */
function checkCompleteness(
  records: ReadonlyMap<string, Record_>,
  head: Record_,
  req: ChainRequirements,
): boolean {
  const rank = new Map(req.stages.map((s, i) => [s, i]));
  const ancestors = new Map<string, Set<string>>();
  const ordered = [...records.values()].sort(
    (a, b) => a.statement.predicate.sequence - b.statement.predicate.sequence,
  );
  for (const record of ordered) {
    const { stage, previous } = record.statement.predicate;
    const r = rank.get(stage);
    if (r === undefined) {
      throw stepError('completeness', 'STAGE_ORDER')(
        `stage "${stage}" is not one the requirements declare (${req.stages.join(', ')})`,
        record.where,
      );
    }
    const seen = new Set<string>();
    for (const link of previous) {
      const prev = records.get(link.digest.sha256);
      for (const s of ancestors.get(link.digest.sha256) ?? []) seen.add(s);
      if (prev !== undefined) seen.add(prev.statement.predicate.stage);
    }
    const missing = req.stages.slice(0, r).filter((s) => !seen.has(s));
    if (missing.length > 0) {
      throw stepError('completeness', 'STAGE_ORDER')(
        `${stage} record comes before any ${missing.join(', ')} record; stages must run in order`,
        record.where,
      );
    }
    const later = req.stages.slice(r + 1).filter((s) => seen.has(s));
    if (later.length > 0) {
      throw stepError('completeness', 'STAGE_ORDER')(
        `${stage} record comes after a ${later.join(', ')} record; stages must run in order`,
        record.where,
      );
    }
    ancestors.set(record.digest, seen);
  }
  const reached = new Set([...(ancestors.get(head.digest) ?? []), head.statement.predicate.stage]);
  const absent = req.stages.filter((s) => !reached.has(s));
  if (absent.length > 0) {
    throw stepError(
      'completeness',
      'INCOMPLETE_CHAIN',
    )(
      `chain ends at ${head.where} (${head.statement.predicate.stage}) without ${absent.join(', ')}: it was cut short`,
    );
  }
  const terminal = head.statement.predicate.terminal === true;
  const requireTerminal = req.requireTerminal ?? req.stages.at(-1) === 'deploy';
  if (requireTerminal && !terminal) {
    throw stepError(
      'completeness',
      'INCOMPLETE_CHAIN',
    )(`chain ends at ${head.where} with no terminal record: the deployment record is missing`);
  }
  return terminal;
}

function namesDigest(subjects: readonly ResourceDescriptor[], digests: readonly Digest[]): boolean {
  return subjects.some((s) => s.digest !== undefined && digestSetNames(s.digest, digests));
}

function subjectDigests(subject: ResourceDescriptor): Digest[] {
  return Object.entries(subject.digest ?? {}).flatMap(([algorithm, hex]) =>
    algorithm === 'gitCommit' ? [] : [{ algorithm, hex: hex.toLowerCase() } as Digest],
  );
}

/**
 * The digests continuity matches a subject by. SHA-1 only when the subject names nothing stronger:
 * a deploy of `{sha256: twin, sha1: same}` must not continue a build of `{sha256: built, sha1: same}`
 * (SHA-1 collisions can be made), as `digestSetNames` refuses the same for artifacts.
 */
function digestKeys(subject: ResourceDescriptor): string[] {
  const digests = subjectDigests(subject);
  const strong = digests.filter((d) => d.algorithm !== 'sha1');
  return (strong.length > 0 ? strong : digests).map((d) => `${d.algorithm}:${d.hex}`);
}

/**
 * The digests each stage named on a record's ancestry (itself included), as interned ids. Sets are
 * shared between records by reference; `owned` holds the sets only this record may still change.
 */
interface Named {
  readonly sets: Map<string, Set<number>>;
  readonly owned: Set<Set<number>>;
}

/** Counts the digests continuity copies and refuses a chain that would make it copy too many. */
class CopyMeter {
  private copied = 0;
  spend(n: number): void {
    this.copied += n;
    if (this.copied > CONTINUITY_LIMITS.maxCopiedDigests) {
      throw stepError(
        'continuity',
        'TOO_LARGE',
      )(
        `the chain forks and joins so often that checking continuity would copy more than ${CONTINUITY_LIMITS.maxCopiedDigests} digests; join parallel branches sooner`,
      );
    }
  }
}

/** A predecessor's sets for one child: the last child takes them over, earlier ones share them. */
function inherit(from: Named, last: boolean): Named {
  if (last) return from;
  from.owned.clear();
  return { sets: new Map(from.sets), owned: new Set() };
}

/** The set of `stage` in `named`, made safe to change (copied once if it is shared). */
function writable(named: Named, stage: string, meter: CopyMeter): Set<number> {
  const current = named.sets.get(stage);
  if (current !== undefined && named.owned.has(current)) return current;
  if (current !== undefined) meter.spend(current.size);
  const set = new Set(current);
  named.sets.set(stage, set);
  named.owned.add(set);
  return set;
}

/** Joins the predecessors' sets into the largest one; identical (shared) sets cost nothing. */
function joinNamed(parts: readonly Named[], meter: CopyMeter): Named {
  const size = (n: Named): number => [...n.sets.values()].reduce((t, s) => t + s.size, 0);
  const [base, ...rest] = [...parts].sort((a, b) => size(b) - size(a));
  if (base === undefined) return { sets: new Map(), owned: new Set() };
  for (const other of rest) {
    for (const [stage, set] of other.sets) {
      const mine = base.sets.get(stage);
      if (mine === set) continue;
      if (mine === undefined) {
        base.sets.set(stage, set);
        if (other.owned.has(set)) base.owned.add(set);
        continue;
      }
      const into = writable(base, stage, meter);
      meter.spend(set.size);
      for (const id of set) into.add(id);
    }
  }
  return base;
}

/** How many records name each record as previous: its last child may take its sets over. */
function childCounts(records: ReadonlyMap<string, Record_>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records.values()) {
    for (const d of new Set(record.statement.predicate.previous.map((l) => l.digest.sha256)))
      counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  return counts;
}

/**
 * Step 7: continuity along the graph, not just across the chain. Every subject a later stage names
 * must have been named, on that record's own ancestry, by a record of every required stage from
 * the build up to its own — so a deploy cannot name an artifact a parallel branch built but never
 * tested. Linear in the chain: a record shares its predecessor's digest sets (copying only where
 * the chain forks), and digests are interned to small ids.
 */
function checkContinuity(records: ReadonlyMap<string, Record_>, req: ChainRequirements): void {
  const [, producer] = req.stages;
  if (producer === undefined) return;
  const rank = new Map(req.stages.map((s, i) => [s, i]));
  const producerRank = 1;
  const ids = new Map<string, number>();
  const intern = (key: string): number => {
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  };
  const meter = new CopyMeter();
  const remaining = childCounts(records);
  const named = new Map<string, Named>();
  const take = (digest: string): Named | undefined => {
    const from = named.get(digest);
    if (from === undefined) return undefined;
    const left = (remaining.get(digest) ?? 1) - 1;
    remaining.set(digest, left);
    if (left <= 0) named.delete(digest);
    return inherit(from, left <= 0);
  };
  const ordered = [...records.values()].sort(
    (a, b) => a.statement.predicate.sequence - b.statement.predicate.sequence,
  );
  for (const record of ordered) {
    const { stage, previous } = record.statement.predicate;
    const parts = [...new Set(previous.map((l) => l.digest.sha256))].flatMap((d) => {
      const part = take(d);
      return part === undefined ? [] : [part];
    });
    const inherited =
      parts.length === 1 && parts[0] !== undefined ? parts[0] : joinNamed(parts, meter);
    const r = rank.get(stage) ?? 0;
    const own = record.statement.subject.map((subject) => ({
      subject,
      keys: digestKeys(subject).map(intern),
    }));
    if (r > producerRank) {
      const required = req.stages.slice(producerRank, r);
      for (const { subject, keys } of own) {
        const missing = required.filter(
          (t) => !keys.some((k) => inherited.sets.get(t)?.has(k) === true),
        );
        if (missing.length > 0) {
          throw stepError('continuity', 'SUBJECT_DISCONTINUITY')(
            `${stage} record names ${subject.name ?? 'a subject'} that no earlier ${missing.join(', ')} record on its path named: it is not what was ${missing[0] === producer ? 'built' : 'checked'}`,
            record.where,
          );
        }
      }
    }
    const mine = inherited.sets.get(stage);
    const added = own.flatMap((o) => o.keys).filter((k) => mine?.has(k) !== true);
    if (added.length > 0) {
      const into = writable(inherited, stage, meter);
      for (const k of added) into.add(k);
    }
    if ((remaining.get(record.digest) ?? 0) > 0) named.set(record.digest, inherited);
  }
}

/**
 * Step 3: every artifact given is bound — a subject of at least one verified record, whatever the
 * stages — and is a subject of a record of every stage after the genesis.
 */
function checkArtifacts(
  records: readonly Record_[],
  req: ChainRequirements,
  artifacts: readonly ArtifactInput[],
): void {
  const fail = stepError('subject', 'SUBJECT_MISMATCH');
  for (const artifact of artifacts) {
    const naming = records.filter((r) => namesDigest(r.statement.subject, artifact.digests));
    if (naming.length === 0) {
      throw fail(
        `artifact ${artifact.name} is not a subject of any record: the chain binds nothing to it`,
      );
    }
    for (const stage of req.stages.slice(1)) {
      if (!naming.some((r) => r.statement.predicate.stage === stage)) {
        throw fail(
          `artifact ${artifact.name} is not a subject of any ${stage} record: it is not what this chain built`,
        );
      }
    }
  }
}

/** The environment a deploy record names, or undefined when it names none. */
function deployEnvironment(record: Record_): string | undefined {
  const value = record.statement.predicate.observations?.environment;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The chain deployed, and every deploy record names exactly the environment the caller demands. */
function checkEnvironment(records: readonly Record_[], environment: string | undefined): void {
  if (environment === undefined) return;
  const fail = stepError('environment', 'ENVIRONMENT_MISMATCH');
  const deploys = records.filter((r) => r.statement.predicate.stage === 'deploy');
  if (deploys.length === 0)
    throw fail(`the chain holds no deploy record, so nothing was deployed to ${environment}`);
  for (const record of deploys) {
    const named = deployEnvironment(record);
    if (named !== environment) {
      throw fail(
        `the deploy record names ${named === undefined ? 'no environment' : `environment "${named}"`}, not "${environment}"`,
        record.where,
      );
    }
  }
}

/** Each evidence bundle's subject digests as `alg:hex`, computed once however many records point to it. */
function evidenceKeys(found: Checked, cache: Map<string, Set<string>>): Set<string> {
  let keys = cache.get(found.digest);
  if (keys === undefined) {
    keys = new Set(
      found.statement.subject.flatMap((s) =>
        Object.entries(s.digest ?? {}).map(([alg, hex]) => `${alg}:${hex}`),
      ),
    );
    cache.set(found.digest, keys);
  }
  return keys;
}

/** Evidence pointers resolve to verified standard attestations about the same subjects. */
function checkEvidence(
  record: Record_,
  evidence: ReadonlyMap<string, Checked>,
  cache: Map<string, Set<string>>,
): VerifiedEvidence[] {
  return record.statement.predicate.evidence.map((pointer) => {
    const fail = stepError('evidence', 'EVIDENCE_INVALID');
    const found = evidence.get(pointer.digest.sha256);
    if (found === undefined) {
      throw fail(
        `evidence sha256:${pointer.digest.sha256} (${pointer.predicateType}) is not in the chain`,
        record.where,
      );
    }
    if (found.statement.predicateType !== pointer.predicateType) {
      throw fail(
        `evidence at ${found.where} is ${found.statement.predicateType}, the record says ${pointer.predicateType}`,
        record.where,
      );
    }
    if (!sameSigner(found.signer, record.signer)) {
      throw fail(
        `evidence at ${found.where} was signed by ${describeSigner(found.signer)}, not by the record's signer`,
        record.where,
      );
    }
    const keys = evidenceKeys(found, cache);
    const shared = record.statement.subject.some((t) =>
      Object.entries(t.digest ?? {}).some(([alg, hex]) => keys.has(`${alg}:${hex}`)),
    );
    if (!shared)
      throw fail(
        `evidence at ${found.where} is about other subjects than the record`,
        record.where,
      );
    return { digest: found.digest, predicateType: pointer.predicateType, where: found.where };
  });
}

export interface VerifyChainInput {
  readonly lines: readonly ChainLine[];
  readonly checker: BundleChecker;
  readonly requirements: ChainRequirements;
  readonly artifacts: readonly ArtifactInput[];
  /** Names the chain in messages, e.g. its path. */
  readonly source?: string;
}

/** Verifies the whole chain or throws a SathosError naming the step, the record and the reason. */
export function verifyChain(input: VerifyChainInput): ChainVerification {
  const { requirements: req, source = 'chain' } = input;
  if (req.stages.length === 0)
    throw new SathosError('USAGE', 'no required stages given; name at least the genesis stage');
  if (input.lines.length === 0) {
    throw new SathosError('INCOMPLETE_CHAIN', 'chain is empty: no record to verify', {
      where: source,
    });
  }
  const unique = dedupe(checkBundles(input.lines, input.checker, source));
  const records = new Map<string, Record_>();
  const evidence = new Map<string, Checked>();
  for (const item of unique.values()) {
    if (item.statement.predicateType !== TRANSITION_PREDICATE_TYPE) {
      evidence.set(item.digest, item);
      continue;
    }
    // docs/spec.md §1: every transition record is a v0.3 bundle (evidence may be any version).
    if (item.mediaType !== BUNDLE_V03_MEDIA_TYPE) {
      throw new SathosError(
        'UNSUPPORTED_BUNDLE',
        `a transition record must be a Sigstore bundle v0.3 (${BUNDLE_V03_MEDIA_TYPE}), not ${JSON.stringify(item.mediaType)}`,
        { where: item.where },
      );
    }
    assertTransitionStatement(item.statement, item.where);
    const record = item as Record_;
    checkSigner(record, req);
    records.set(item.digest, record);
  }
  const { genesis, head } = checkGraph(records, req);
  const complete = checkCompleteness(records, head, req);
  const all = [...records.values()];
  checkContinuity(records, req);
  checkArtifacts(all, req, input.artifacts);
  checkEnvironment(all, req.environment);
  const verified = new Map<string, VerifiedRecord>();
  const evidenceCache = new Map<string, Set<string>>();
  for (const record of all) {
    const p = record.statement.predicate;
    verified.set(
      record.digest,
      seal({
        digest: record.digest,
        where: record.where,
        stage: p.stage,
        sequence: p.sequence,
        signer: record.signer,
        statement: record.statement,
        evidence: checkEvidence(record, evidence, evidenceCache),
      }),
    );
  }
  const ordered = [...verified.values()].sort(
    (a, b) =>
      a.sequence - b.sequence || a.stage.localeCompare(b.stage) || a.digest.localeCompare(b.digest),
  );
  const pick = (d: string): VerifiedRecord => verified.get(d) as VerifiedRecord;
  return {
    run: genesis.statement.predicate.run,
    genesis: pick(genesis.digest),
    head: pick(head.digest),
    records: ordered,
    complete,
    artifacts: input.artifacts,
  };
}
