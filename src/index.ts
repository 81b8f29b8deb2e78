// The public TypeScript API (docs/api.md): re-exports only. First the API a program uses (build a
// spec from objects, plan it, run it, submit it, read its status, tasks and logs); then, under
// "internals", the pieces the CLI is built from: importable, but not promised to stay the same.

// ---- The API ----
export { defineSpec, loadSpec, type BatchSpec, type SpecOptions } from './api/spec.js';
export {
  createPlan,
  openPlan,
  BatchPlan,
  type CreatePlanOptions,
  type PartitionOptions,
  type RetrySelection,
  type RerunSelection,
  type AddedStages,
} from './api/plan.js';
export type { SubmitOptions, SubmitOptionsFor, SubmitRunner, ResourceOptions } from './api/submit-options.js';
export type { ResetResult, RetryState, RerunState } from './status/reset-tasks.js';
export type { TaskInfo, TaskInfoState, TaskLog, TaskQuery } from './api/tasks.js';
export type { RunPlanOptions, RunPlanResult, StageOutcome } from './exec/run-plan.js';
export type { PartitionResult, PartitionProgress } from './exec/run-partition.js';
export { StopSignal } from './exec/stop-signal.js';
export type { PlanStatus } from './submit/status.js';
export type { StageWithJobs, StageJobs, JobProblem } from './submit/overlay.js';
export type { SubmitOutcome } from './submit/submit-plan.js';
export type { WaitResult } from './submit/wait.js';
export { localTransport, type Transport, type CommandResult } from './submit/transport.js';
export { openTransport, type RemoteFlags } from './remote/remote-flags.js';
export {
  BatchplanError,
  SpecError,
  isBatchplanError,
  EXIT_CODES,
  EXIT_CODE_MEANINGS,
  type ErrorCode,
  type SpecLocation,
} from './errors.js';
export { TASK_STATES, type TaskState } from './status/aggregate.js';
export type {
  Spec,
  StageSpec,
  TaskSpec,
  Defaults,
  Matrix,
  ParamsRow,
  ResourcesSpec,
  RequirementSpec,
} from './spec/schema.js';

// ---- Internals (what the CLI is made of; may change between versions) ----
/** @internal */ export { specSchema, saturnBatchSchema } from './spec/schema.js';
/** @internal */ export { loadSpecFile, type LoadedSpec, type SpecFormat } from './spec/load.js';
/** @internal */ export { SpecSource } from './spec/source.js';
/** @internal */ export { compile, type CompiledPlan, type CompiledStage } from './plan/compile.js';
/** @internal */ export { writePlanDir } from './plan/write.js';
/** @internal */ export { addToPlan, type AddResult } from './plan/add.js';
/** @internal */ export { readPlan, readTasks, findStage, type Plan } from './plan/read.js';
/** @internal */ export { partitionSlice, actualPartitions } from './plan/partition.js';
/** @internal */ export type { PlanStage, TaskRecord, StageSettings } from './plan/model.js';
/** @internal */ export { runPartition, type RunPartitionOptions } from './exec/run-partition.js';
/** @internal */ export { runPlan } from './exec/run-plan.js';
/** @internal */ export { loadStageStatus } from './status/load.js';
/** @internal */ export { loadPlanStatus, summarize } from './status/plan-status.js';
/** @internal */ export { RUNNERS, getRunner, loadRunner } from './runners/registry.js';
/** @internal */ export type { RunnerDescriptor } from './runners/descriptor.js';
/** @internal */ export type {
  Runner,
  RunnerCapabilities,
  RenderContext,
  RenderedFile,
} from './runners/runner.js';
/** @internal */ export { submit, type SubmitOptions as SubmitPlanOptions } from './submit/submit-plan.js';
/** @internal */ export {
  resetTasks,
  RETRY_STATES,
  RERUN_STATES,
  type ResetSelection,
} from './status/reset-tasks.js';
/** @internal */ export { waitForPlan, type WaitOptions } from './submit/wait.js';
/** @internal */ export { cancelPlan } from './submit/cancel.js';
/** @internal */ export { planStatus } from './submit/status.js';
/** @internal */ export type { RemoteTransport } from './remote/remote-transport.js';
