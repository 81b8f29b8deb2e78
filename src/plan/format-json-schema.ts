// Generated from format-schema.ts by `npm run gen:schemas`: do not edit.
import type { JsonSchema } from '../util/json-check.js';

export const PLAN_FILE_JSON_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    format: {
      type: 'string',
      const: 'batchplan-plan',
    },
    version: {
      type: 'number',
      enum: [2, 3, 4, 5],
    },
    batchplanVersion: {
      type: 'string',
    },
    createdAt: {
      type: 'string',
    },
    source: {
      type: 'object',
      properties: {
        file: {
          type: 'string',
        },
        format: {
          type: 'string',
          enum: ['spec', 'commands', 'saturn'],
        },
        sha256: {
          type: 'string',
        },
      },
      required: ['file', 'format', 'sha256'],
      additionalProperties: false,
    },
    defaults: {
      type: 'object',
      properties: {
        nprocs: {
          type: 'integer',
          exclusiveMinimum: 0,
          maximum: 9007199254740991,
        },
        gpusPerSlot: {
          type: 'object',
          properties: {
            gpus: {
              type: 'integer',
              exclusiveMinimum: 0,
              maximum: 9007199254740991,
            },
            slots: {
              type: 'integer',
              exclusiveMinimum: 0,
              maximum: 9007199254740991,
            },
          },
          required: ['gpus', 'slots'],
          additionalProperties: false,
        },
        retries: {
          type: 'integer',
          minimum: 0,
          maximum: 9007199254740991,
        },
        timeout: {
          type: 'number',
          exclusiveMinimum: 0,
        },
        backoff: {
          type: 'number',
          minimum: 0,
        },
        env: {
          type: 'object',
          propertyNames: {
            type: 'string',
          },
          additionalProperties: {
            type: 'string',
          },
        },
        cwd: {
          type: 'string',
        },
        shell: {
          type: 'string',
        },
        maxFails: {
          type: 'integer',
          exclusiveMinimum: 0,
          maximum: 9007199254740991,
        },
        balance: {
          type: 'boolean',
        },
        backup: {
          type: 'number',
          minimum: 1,
        },
        skipFailures: {
          type: 'boolean',
          const: true,
        },
        resources: {
          type: 'object',
          properties: {
            time: {
              type: 'number',
              exclusiveMinimum: 0,
            },
            cpusPerTask: {
              type: 'integer',
              exclusiveMinimum: 0,
              maximum: 9007199254740991,
            },
            mem: {
              type: 'string',
            },
            gpusPerTask: {
              type: 'integer',
              exclusiveMinimum: 0,
              maximum: 9007199254740991,
            },
            gpus: {
              type: 'integer',
              exclusiveMinimum: 0,
              maximum: 9007199254740991,
            },
            nodes: {
              type: 'integer',
              exclusiveMinimum: 0,
              maximum: 9007199254740991,
            },
            account: {
              type: 'string',
            },
            partition: {
              type: 'string',
            },
            qos: {
              type: 'string',
            },
            constraint: {
              type: 'string',
            },
            runners: {
              type: 'object',
              properties: {
                flux: {
                  type: 'object',
                  properties: {
                    args: {
                      type: 'array',
                      items: {
                        type: 'string',
                      },
                    },
                  },
                  additionalProperties: false,
                },
                lsf: {
                  type: 'object',
                  properties: {
                    args: {
                      type: 'array',
                      items: {
                        type: 'string',
                      },
                    },
                  },
                  additionalProperties: false,
                },
                pbs: {
                  type: 'object',
                  properties: {
                    args: {
                      type: 'array',
                      items: {
                        type: 'string',
                      },
                    },
                  },
                  additionalProperties: false,
                },
                sge: {
                  type: 'object',
                  properties: {
                    args: {
                      type: 'array',
                      items: {
                        type: 'string',
                      },
                    },
                  },
                  additionalProperties: false,
                },
                slurm: {
                  type: 'object',
                  properties: {
                    args: {
                      type: 'array',
                      items: {
                        type: 'string',
                      },
                    },
                  },
                  additionalProperties: false,
                },
              },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
      },
      required: ['retries', 'backoff', 'env', 'shell', 'resources'],
      additionalProperties: false,
    },
    totalTasks: {
      type: 'integer',
      minimum: 0,
      maximum: 9007199254740991,
    },
    stages: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: {
            type: 'string',
          },
          after: {
            type: 'array',
            items: {
              type: 'string',
            },
          },
          requires: {
            type: 'array',
            items: {
              type: 'string',
            },
          },
          urgent: {
            type: 'integer',
            exclusiveMinimum: 0,
            maximum: 9007199254740991,
          },
          partitions: {
            type: 'integer',
            exclusiveMinimum: 0,
            maximum: 9007199254740991,
          },
          tasks: {
            type: 'integer',
            minimum: 0,
            maximum: 9007199254740991,
          },
          firstTask: {
            type: 'integer',
            minimum: 0,
            maximum: 9007199254740991,
          },
          generation: {
            type: 'integer',
            exclusiveMinimum: 0,
            maximum: 9007199254740991,
          },
          resources: {
            type: 'object',
            properties: {
              time: {
                type: 'number',
                exclusiveMinimum: 0,
              },
              cpusPerTask: {
                type: 'integer',
                exclusiveMinimum: 0,
                maximum: 9007199254740991,
              },
              mem: {
                type: 'string',
              },
              gpusPerTask: {
                type: 'integer',
                exclusiveMinimum: 0,
                maximum: 9007199254740991,
              },
              gpus: {
                type: 'integer',
                exclusiveMinimum: 0,
                maximum: 9007199254740991,
              },
              nodes: {
                type: 'integer',
                exclusiveMinimum: 0,
                maximum: 9007199254740991,
              },
              account: {
                type: 'string',
              },
              partition: {
                type: 'string',
              },
              qos: {
                type: 'string',
              },
              constraint: {
                type: 'string',
              },
              runners: {
                type: 'object',
                properties: {
                  flux: {
                    type: 'object',
                    properties: {
                      args: {
                        type: 'array',
                        items: {
                          type: 'string',
                        },
                      },
                    },
                    additionalProperties: false,
                  },
                  lsf: {
                    type: 'object',
                    properties: {
                      args: {
                        type: 'array',
                        items: {
                          type: 'string',
                        },
                      },
                    },
                    additionalProperties: false,
                  },
                  pbs: {
                    type: 'object',
                    properties: {
                      args: {
                        type: 'array',
                        items: {
                          type: 'string',
                        },
                      },
                    },
                    additionalProperties: false,
                  },
                  sge: {
                    type: 'object',
                    properties: {
                      args: {
                        type: 'array',
                        items: {
                          type: 'string',
                        },
                      },
                    },
                    additionalProperties: false,
                  },
                  slurm: {
                    type: 'object',
                    properties: {
                      args: {
                        type: 'array',
                        items: {
                          type: 'string',
                        },
                      },
                    },
                    additionalProperties: false,
                  },
                },
                additionalProperties: false,
              },
            },
            additionalProperties: false,
          },
          nprocs: {
            type: 'integer',
            exclusiveMinimum: 0,
            maximum: 9007199254740991,
          },
          gpusPerSlot: {
            type: 'object',
            properties: {
              gpus: {
                type: 'integer',
                exclusiveMinimum: 0,
                maximum: 9007199254740991,
              },
              slots: {
                type: 'integer',
                exclusiveMinimum: 0,
                maximum: 9007199254740991,
              },
            },
            required: ['gpus', 'slots'],
            additionalProperties: false,
          },
          retries: {
            type: 'integer',
            minimum: 0,
            maximum: 9007199254740991,
          },
          timeout: {
            type: 'number',
            exclusiveMinimum: 0,
          },
          backoff: {
            type: 'number',
            minimum: 0,
          },
          env: {
            type: 'object',
            propertyNames: {
              type: 'string',
            },
            additionalProperties: {
              type: 'string',
            },
          },
          cwd: {
            type: 'string',
          },
          shell: {
            type: 'string',
          },
          maxFails: {
            type: 'integer',
            exclusiveMinimum: 0,
            maximum: 9007199254740991,
          },
          balance: {
            type: 'boolean',
          },
          backup: {
            type: 'number',
            minimum: 1,
          },
          skipFailures: {
            type: 'boolean',
            const: true,
          },
        },
        required: ['name', 'after', 'tasks', 'firstTask', 'resources', 'retries', 'backoff', 'env', 'shell'],
        additionalProperties: false,
      },
    },
    generations: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          generation: {
            type: 'integer',
            exclusiveMinimum: 0,
            maximum: 9007199254740991,
          },
          createdAt: {
            type: 'string',
          },
          batchplanVersion: {
            type: 'string',
          },
          source: {
            type: 'object',
            properties: {
              file: {
                type: 'string',
              },
              format: {
                type: 'string',
                enum: ['spec', 'commands', 'saturn'],
              },
              sha256: {
                type: 'string',
              },
            },
            required: ['file', 'format', 'sha256'],
            additionalProperties: false,
          },
          firstTask: {
            type: 'integer',
            minimum: 0,
            maximum: 9007199254740991,
          },
          tasks: {
            type: 'integer',
            minimum: 0,
            maximum: 9007199254740991,
          },
        },
        required: ['generation', 'createdAt', 'batchplanVersion', 'source', 'firstTask', 'tasks'],
        additionalProperties: false,
      },
    },
  },
  required: [
    'format',
    'version',
    'batchplanVersion',
    'createdAt',
    'source',
    'defaults',
    'totalTasks',
    'stages',
  ],
  additionalProperties: false,
};

export const TASK_RECORD_JSON_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    id: {
      type: 'string',
    },
    cmd: {
      type: 'string',
    },
    env: {
      type: 'object',
      propertyNames: {
        type: 'string',
      },
      additionalProperties: {
        type: 'string',
      },
    },
    cwd: {
      type: 'string',
    },
    retries: {
      type: 'integer',
      minimum: 0,
      maximum: 9007199254740991,
    },
    timeout: {
      type: 'number',
      exclusiveMinimum: 0,
    },
    backoff: {
      type: 'number',
      minimum: 0,
    },
    output: {
      type: 'string',
    },
  },
  required: ['id', 'cmd'],
  additionalProperties: false,
};
