/** BullMQ queue names. Roles map onto them: a worker --role gpu consumes "gpu", and so on. */
export const QUEUES = {
  index: 'index',
  gpu: 'gpu',
  sink: 'sink',
  answer: 'answer',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export const ALL_QUEUES: QueueName[] = Object.values(QUEUES);

/** A worker role consumes the queue of the same name. */
export const ROLES = ['index', 'gpu', 'sink', 'answer'] as const satisfies readonly QueueName[];
export type Role = (typeof ROLES)[number];
