import type { z } from 'zod';

export interface ConfigProblem {
  variable: string;
  message: string;
  /** the variable's value as set, shown next to the message */
  value?: string;
}

/** A bad configuration: one error naming every bad variable, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      'Invalid configuration:\n' +
        problems
          .map((p) => `  ${p.variable}${p.value !== undefined ? `=${JSON.stringify(p.value)}` : ''}: ${p.message}`)
          .join('\n'),
    );
    this.name = 'ConfigError';
  }

  /**
   * Every issue is keyed by its variable (the first path element). A rule may ask not to print
   * the value (`params.showValue: false`), as for "must be set" where there is none worth showing.
   */
  static fromIssues(issues: readonly z.ZodIssue[], env: NodeJS.ProcessEnv): ConfigError {
    return new ConfigError(
      issues.map((issue) => {
        const variable = String(issue.path[0]);
        const showValue = !(issue.code === 'custom' && issue.params?.showValue === false);
        return { variable, message: issue.message, value: showValue ? env[variable] : undefined };
      }),
    );
  }
}
