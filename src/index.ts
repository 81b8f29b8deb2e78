// The public TypeScript API: re-exports only.
export { BatchplanError, SpecError, EXIT_CODES, type ErrorCode } from './errors.js';
export {
  specSchema,
  saturnBatchSchema,
  type Spec,
  type StageSpec,
  type TaskSpec,
  type RequirementSpec,
} from './spec/schema.js';
export { loadSpecFile, type LoadedSpec, type SpecFormat } from './spec/load.js';
export { SpecSource } from './spec/source.js';
export { compile, type CompiledPlan, type CompiledStage } from './plan/compile.js';
export { writePlanDir } from './plan/write.js';
export { addToPlan, type AddResult } from './plan/add.js';
export { readPlan, readTasks, findStage, type Plan } from './plan/read.js';
export { partitionSlice, actualPartitions } from './plan/partition.js';
export type { PlanStage, TaskRecord, StageSettings } from './plan/model.js';
export { runPartition, type PartitionResult, type RunPartitionOptions } from './exec/run-partition.js';
export { StopSignal } from './exec/stop-signal.js';
export { loadStageStatus } from './status/load.js';
export { loadPlanStatus, summarize } from './status/plan-status.js';
export { TASK_STATES, type TaskState } from './status/aggregate.js';
export { RUNNERS, getRunner, loadRunner } from './runners/registry.js';
export type { RunnerDescriptor } from './runners/descriptor.js';
export type { Runner, RunnerCapabilities, RenderContext, RenderedFile } from './runners/runner.js';
export { submit, type SubmitOptions, type SubmitOutcome } from './submit/submit-plan.js';
export { waitForPlan, type WaitOptions, type WaitResult } from './submit/wait.js';
export { cancelPlan } from './submit/cancel.js';
export { planStatus, type PlanStatus } from './submit/status.js';
export { localTransport, type Transport, type CommandResult } from './submit/transport.js';
export { openTransport, type RemoteFlags } from './remote/remote-flags.js';
export type { RemoteTransport } from './remote/remote-transport.js';
