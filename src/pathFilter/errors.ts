/** A path glob that cannot be parsed. The message names the glob, so an API can return it as-is in a 400. */
export class PathGlobError extends Error {
  constructor(
    readonly glob: string,
    readonly reason: string,
  ) {
    super(`path glob ${JSON.stringify(glob.length > 80 ? `${glob.slice(0, 80)}…` : glob)}: ${reason}`);
    this.name = 'PathGlobError';
  }
}
