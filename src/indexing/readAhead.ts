/**
 * Yield each path with its content (or the read error) in order, keeping up
 * to `depth` reads in flight so chunking never waits on the disk.
 */
export async function* readAhead(paths: string[], read: (p: string) => Promise<string>, depth: number): AsyncGenerator<[string, string | Error]> {
  const inFlight: Promise<string | Error>[] = [];
  let next = 0;
  const start = () => {
    const p = paths[next++];
    inFlight.push(read(p).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
  };
  while (next < paths.length && inFlight.length < depth) start();
  for (let i = 0; i < paths.length; i++) {
    const text = await inFlight.shift()!;
    if (next < paths.length) start();
    yield [paths[i], text];
  }
}
