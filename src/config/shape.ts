/**
 * A section's value with each property that may be undefined made optional (`url?: string`),
 * the way the settings read to their users: "not configured" rather than "a key holding undefined".
 * Types only: an object whose key holds undefined already is such a value.
 */
export type OptionalWhenUnset<T> = Flat<
  { [K in keyof T as undefined extends T[K] ? K : never]?: T[K] } & { [K in keyof T as undefined extends T[K] ? never : K]: T[K] }
>;

type Flat<T> = { [K in keyof T]: T[K] };

export const optionalWhenUnset = <T extends object>(value: T): OptionalWhenUnset<T> => value;
