// The anomaly layer's I/O: the step supervisor, the egress gateway and the network sandbox.
export {
  exitStatusOf,
  supervise,
  type Halt,
  type HaltCause,
  type SupervisionReport,
  type SuperviseOptions,
  type SupervisorEvent,
} from './supervise.js';
export {
  startGateway,
  type ClientIdentifier,
  type ClientPorts,
  type Gateway,
  type GatewayOptions,
  type GatewayRefusal,
} from './gateway.js';
export { DEFAULT_GATEWAY_LIMITS, gatewayLimits, type GatewayLimits } from './limits.js';
export { normalizeHost, systemResolver, type Resolver } from './hosts.js';
export { chooseSandbox, type SandboxChoice, type SandboxRequest } from './sandbox.js';
export { prepareSandbox, type PreparedSandbox } from './prepared-sandbox.js';
export { supervisorIsolation } from './isolation.js';
export type { ContainmentKind } from './process-tree.js';
export type { StepOutput } from './step.js';
export { abortOnSignals, supervisedRun, supervisionReportFields } from './run-report.js';
export {
  superviseScript,
  superviseStep,
  type StepSupervision,
  type SupervisedScript,
  type SupervisedStep,
} from './supervise-step.js';
