/**
 * Redis names of one answer. Keys share a `{answerId}` hash tag so the Lua
 * publish script (which touches several of them) also runs on Redis Cluster.
 */
export function answerKeys(prefix: string, answerId: string) {
  const base = `${prefix}:answer:{${answerId}}`;
  return {
    /** hash: state, repo, question, result, error, timestamps */
    meta: `${base}:meta`,
    /** INCR counter: the last sequence number handed out */
    seq: `${base}:seq`,
    /** capped stream of every event, entry id `<seq>-0`, field `m` = the published JSON */
    stream: `${base}:events`,
    /** set when someone asked to cancel (a worker that starts later still sees it) */
    cancel: `${base}:cancel`,
    /** SETNX claim by the worker that runs it: a second run of the same answer is refused */
    claim: `${base}:claim`,
    /** SSE clients attached across all API processes */
    watchers: `${base}:watchers`,
    /** pub/sub channel carrying the same JSON as the stream */
    channel: `${prefix}:answer-events:${answerId}`,
  };
}

export type AnswerKeys = ReturnType<typeof answerKeys>;

/** Control channel the answer workers listen on; messages are answer ids to cancel. */
export const cancelChannel = (prefix: string) => `${prefix}:answer-cancel`;

export const sessionKey = (prefix: string, sessionId: string) => `${prefix}:session:{${sessionId}}`;

/** Answer ids are UUIDs minted by the API; anything else is unknown (404), never a key. */
export const ANSWER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
