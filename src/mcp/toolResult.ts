import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { z } from 'zod';
import { REPO_NAME_PATTERN } from '../contracts/names.js';
import { toolErrorMessage } from './errors.js';

/** What every tool shares: its result shapes, progress notifications and the repo argument. */

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export const repoArg = z.string().regex(REPO_NAME_PATTERN, 'must be an indexed repo name (list_repositories gives them)');

export const ok = (text: string, structured?: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text }],
  ...(structured ? { structuredContent: structured } : {}),
});

/** A failure as a tool result (isError), never a protocol error: the agent reads what to do next. */
export const fail = (err: unknown): CallToolResult => ({ content: [{ type: 'text', text: toolErrorMessage(err) }], isError: true });

/** A progress notification, when the client asked for them (sent a progressToken); never fails the tool. */
export async function progress(extra: Extra, value: number, message: string, total?: number): Promise<void> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return;
  await extra
    .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: value, ...(total ? { total } : {}), message } })
    .catch(() => {});
}
