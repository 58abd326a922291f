// The SATHOS transition record: the in-toto predicate that every pipeline step signs, binding the
// step to its predecessors by digest. The exact format is specified in docs/spec.md.
import type { CertificateClaims, SignerIdentity } from '../../identity/signers/signer-identity.js';
import type { ResourceDescriptor, Statement } from './statement.js';
import { STATEMENT_TYPE } from './statement.js';
import { assertTransitionStatement } from './transition-checks.js';
import { TRANSITION_PREDICATE_TYPE } from './transition-format.js';

export { assertTransitionStatement, transitionPredicateProblems } from './transition-checks.js';
export {
  BUILTIN_STAGES,
  RECORD_LIMITS,
  STAGE_PATTERN,
  TRANSITION_PREDICATE_TYPE,
  type BuiltinStage,
} from './transition-format.js';

/** The run every record of one chain belongs to; identical across the chain. */
export interface RunBinding {
  readonly repository: string;
  readonly workflowRef: string;
  readonly runId: string;
  readonly runAttempt: number;
  /** The commit the run builds: 40 (SHA-1) or 64 (SHA-256) hex digits. */
  readonly commit: string;
}

/** A link to a predecessor: SHA-256 of its exact DSSE payload bytes. */
export interface LinkRef {
  readonly digest: { readonly sha256: string };
}

/** What the signer claims to be; the verifier checks every claim against the verified signer. */
export type ActorClaims =
  | { readonly kind: 'key'; readonly keyId: string }
  | {
      readonly kind: 'certificate';
      readonly issuer: string;
      readonly subject: string;
      readonly claims?: CertificateClaims;
    };

export type PolicyVerdict = 'allow' | 'deny';

export interface PolicyDecisionRef {
  readonly uri: string;
  readonly digest: { readonly sha256: string };
  readonly decision: PolicyVerdict;
  readonly reasons: readonly string[];
}

/** A standard attestation this step also produced, kept in the chain beside the record. */
export interface EvidenceRef {
  readonly predicateType: string;
  readonly digest: { readonly sha256: string };
  readonly uri?: string;
}

export interface TransitionPredicate {
  readonly stage: string;
  readonly run: RunBinding;
  readonly sequence: number;
  /** Link digest of record 0; absent on record 0 itself. */
  readonly genesis?: { readonly sha256: string };
  readonly previous: readonly LinkRef[];
  readonly actor: ActorClaims;
  readonly policy?: PolicyDecisionRef;
  readonly observations?: Readonly<Record<string, unknown>>;
  readonly evidence: readonly EvidenceRef[];
  readonly terminal?: boolean;
}

export type TransitionStatement = Statement<TransitionPredicate>;

/** The actor claims a signer should put in its records. */
export function actorFor(signer: SignerIdentity): ActorClaims {
  return signer.kind === 'key'
    ? { kind: 'key', keyId: signer.keyId }
    : {
        kind: 'certificate',
        issuer: signer.issuer,
        subject: signer.subject,
        claims: signer.claims,
      };
}

/** The signer an actor claims to be: what a step's record will be verified against. */
export function signerFromActor(actor: ActorClaims): SignerIdentity {
  return actor.kind === 'key'
    ? { kind: 'key', keyId: actor.keyId }
    : {
        kind: 'certificate',
        issuer: actor.issuer,
        subject: actor.subject,
        claims: actor.claims ?? {},
      };
}

export interface TransitionInput {
  readonly stage: string;
  readonly subjects: readonly ResourceDescriptor[];
  readonly run: RunBinding;
  readonly link: NextLink;
  readonly actor: ActorClaims;
  readonly policy?: PolicyDecisionRef;
  readonly observations?: Readonly<Record<string, unknown>>;
  readonly evidence?: readonly EvidenceRef[];
  readonly terminal?: boolean;
}

/** Where a new record attaches: computed from the chain so far by `nextLink` in chain.ts. */
export interface NextLink {
  readonly sequence: number;
  readonly genesis?: { readonly sha256: string };
  readonly previous: readonly LinkRef[];
}

/** Builds (and validates) the statement of a transition record. */
export function buildTransitionStatement(input: TransitionInput): TransitionStatement {
  const predicate: TransitionPredicate = {
    stage: input.stage,
    run: input.run,
    sequence: input.link.sequence,
    ...(input.link.genesis === undefined ? {} : { genesis: input.link.genesis }),
    previous: input.link.previous,
    actor: input.actor,
    ...(input.policy === undefined ? {} : { policy: input.policy }),
    ...(input.observations === undefined ? {} : { observations: input.observations }),
    evidence: input.evidence ?? [],
    ...(input.terminal === true ? { terminal: true } : {}),
  };
  const statement = {
    _type: STATEMENT_TYPE,
    subject: input.subjects,
    predicateType: TRANSITION_PREDICATE_TYPE,
    predicate,
  } as const;
  assertTransitionStatement(statement, `new ${input.stage} record`);
  return statement;
}
