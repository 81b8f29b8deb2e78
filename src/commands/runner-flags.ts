// generate-script/submit flags -> runner options and resources; a flag the runner does not use is
// an error rather than silently ignored.
import { usageError } from '../errors.js';
import type { Resources } from '../plan/model.js';
import type { Runner, RunnerOptions } from '../runners/runner.js';
import { durationFlag, parseTimeLimit } from '../spec/duration.js';
import { optionalPositiveInt } from './args.js';

export interface RunnerFlags {
  runner: string;
  nprocs?: string;
  batchplanCommand?: string;
  jobs?: string;
  time?: string;
  cpusPerTask?: string;
  mem?: string;
  gpusPerTask?: string;
  gpus?: string;
  nodes?: string;
  account?: string;
  partition?: string;
  qos?: string;
  constraint?: string;
  sbatchArg: string[];
  qsubArg: string[];
  bsubArg: string[];
  flavor?: 'pro' | 'torque';
  pe?: string;
  image?: string;
  namespace?: string;
  volume?: string;
  mountPath?: string;
  instanceType?: string;
  scale?: string;
  spot?: boolean;
  recipe?: string;
  sync: string[];
  sharedPath?: string;
  maxRunning?: string;
  maxArraySize?: string;
  signalGrace: string;
  layout: 'arrays' | 'allocation';
}

const RESOURCE_FLAGS = [
  'time',
  'cpusPerTask',
  'mem',
  'gpusPerTask',
  'gpus',
  'nodes',
  'account',
  'partition',
  'qos',
  'constraint',
] as const;

function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function parseRunnerFlags(
  runner: Runner,
  f: RunnerFlags,
): { options: RunnerOptions; resources: Resources } {
  const accepts = (what: string) => (runner.options as string[]).includes(what);
  const refuse = (flag: string) => {
    throw usageError(
      `${flag} does not apply to runner '${runner.name}'`,
      `Runner '${runner.name}' takes: ${runner.options.join(', ')}.`,
    );
  };
  const options: RunnerOptions = {};
  const nprocs = optionalPositiveInt('--nprocs', f.nprocs);
  if (nprocs !== undefined) options.nprocs = nprocs;
  if (f.jobs !== undefined) {
    if (!accepts('jobs')) refuse('--jobs');
    options.jobs = optionalPositiveInt('--jobs', f.jobs);
  }
  if (f.maxRunning !== undefined) {
    if (!accepts('maxRunning')) refuse('--max-running');
    options.maxRunning = optionalPositiveInt('--max-running', f.maxRunning);
  }
  if (f.maxArraySize !== undefined) {
    if (!accepts('maxArraySize')) refuse('--max-array-size');
    options.maxArraySize = optionalPositiveInt('--max-array-size', f.maxArraySize);
  }
  if (accepts('signalGrace')) options.signalGrace = Math.ceil(durationFlag('--signal-grace', f.signalGrace));
  if (f.layout !== 'arrays') {
    if (!accepts('layout')) refuse('--layout');
  }
  if (accepts('layout')) options.layout = f.layout;

  for (const key of [
    'flavor',
    'pe',
    'image',
    'namespace',
    'volume',
    'mountPath',
    'instanceType',
    'recipe',
    'sharedPath',
  ] as const) {
    if (f[key] === undefined) continue;
    if (!accepts(key)) refuse(flagName(key));
    Object.assign(options, { [key]: f[key] });
  }
  if (f.scale !== undefined) {
    if (!accepts('scale')) refuse('--scale');
    options.scale = optionalPositiveInt('--scale', f.scale);
  }
  if (f.spot) {
    if (!accepts('spot')) refuse('--spot');
    options.spot = true;
  }
  if (f.sync.length) {
    if (!accepts('sync')) refuse('--sync');
    options.sync = f.sync;
  }

  const resources: Resources = {};
  const given = RESOURCE_FLAGS.filter((k) => f[k] !== undefined);
  if (given.length && !accepts('resources')) refuse(flagName(given[0]!));
  const unhonoured = given.find((k) => runner.resourceKeys && !runner.resourceKeys.includes(k));
  if (unhonoured) refuse(flagName(unhonoured));
  for (const [flag, key] of [
    ['sbatchArg', 'sbatchArgs'],
    ['qsubArg', 'qsubArgs'],
    ['bsubArg', 'bsubArgs'],
  ] as const) {
    if (!f[flag].length) continue;
    if (!accepts(flag)) refuse(flagName(flag));
    resources[key] = f[flag];
  }
  if (f.time !== undefined) {
    const secs = parseTimeLimit(f.time);
    if (secs === undefined)
      throw usageError(
        `--time: '${f.time}' is not a time limit`,
        'Use minutes (90), or e.g. 2:00:00, 1-12:00:00, 90m, 2h.',
      );
    resources.time = secs;
  }
  for (const key of ['cpusPerTask', 'gpusPerTask', 'gpus', 'nodes'] as const) {
    const n = optionalPositiveInt(flagName(key), f[key]);
    if (n !== undefined) resources[key] = n;
  }
  if (f.mem !== undefined) {
    if (!/^\d+(\.\d+)?[KMGT]?B?$/i.test(f.mem))
      throw usageError(`--mem: '${f.mem}' is not a size (e.g. 16G, 500M)`);
    resources.mem = f.mem;
  }
  for (const key of ['account', 'partition', 'qos', 'constraint'] as const)
    if (f[key] !== undefined) resources[key] = f[key];
  return { options, resources };
}
