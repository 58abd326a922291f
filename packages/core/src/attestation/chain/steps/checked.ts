// What the chain verifier's steps share: a bundle once verified, a transition record among them,
// and the error each step throws (named after the step).
import { SathosError } from '../../../errors.js';
import type { SignerIdentity } from '../../../identity/signers/signer-identity.js';
import type { Statement } from '../../record/statement.js';
import type { TransitionStatement } from '../../record/transition.js';

export interface Checked {
  readonly where: string;
  /** The bundle's media type (verified: the bundle verifier accepted the bundle as that version). */
  readonly mediaType: unknown;
  readonly digest: string;
  readonly signer: SignerIdentity;
  readonly statement: Statement;
}

export const stepError =
  (step: string, code: ConstructorParameters<typeof SathosError>[0]) =>
  (message: string, where?: string, cause?: unknown): SathosError =>
    new SathosError(code, `${step}: ${message}`, {
      ...(where === undefined ? {} : { where }),
      ...(cause === undefined ? {} : { cause }),
    });

export type Record_ = Checked & { readonly statement: TransitionStatement };
