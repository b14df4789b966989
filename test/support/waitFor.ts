/** Poll `check` every `everyMs` until it holds (a throwing check counts as not yet); past `timeoutMs`, fail naming `what`. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
