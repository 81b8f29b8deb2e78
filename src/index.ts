// The public TypeScript API: re-exports only.
export { BatchplanError, SpecError, EXIT_CODES, type ErrorCode } from './errors.js';
export { specSchema, saturnBatchSchema, type Spec, type StageSpec, type TaskSpec } from './spec/schema.js';
export { loadSpecFile, type LoadedSpec, type SpecFormat } from './spec/load.js';
export { SpecSource } from './spec/source.js';
export { compile, type CompiledPlan, type CompiledStage } from './plan/compile.js';
export { writePlanDir } from './plan/write.js';
export { readPlan, readTasks, findStage, type Plan } from './plan/read.js';
export { partitionSlice, actualPartitions } from './plan/partition.js';
export type { PlanStage, TaskRecord, StageSettings } from './plan/model.js';
export { runPartition, type PartitionResult, type RunPartitionOptions } from './exec/run-partition.js';
export { StopSignal } from './exec/stop-signal.js';
export { loadStageStatus } from './status/load.js';
export { loadPlanStatus, summarize } from './status/plan-status.js';
export { TASK_STATES, type TaskState } from './status/aggregate.js';
export { RUNNERS, getRunner } from './runners/registry.js';
export type { Runner, RunnerCapabilities, RenderContext, RenderedFile } from './runners/runner.js';
