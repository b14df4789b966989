/**
 * A process-wide bound on the FAISS inverted-list pages searches leave mapped
 * (IVF indexes read with mmap). Those pages are clean page cache, but while
 * mapped they count in the process's RSS, and with enough distinct queries
 * they grow to the whole file. Each search reports the most it can have
 * mapped (its index's `perSearchBytes`); once the searches since the last
 * release may have mapped more than `limitBytes`, every index searched since
 * is released (madvise MADV_DONTNEED). So the mapped pages stay within
 * `limitBytes` plus what the searches still running map.
 */
export interface MappedPagesIndex {
  releaseMapped(): void;
}

export interface MappedPagesBudget {
  /** a search of `index` that can have mapped up to `bytes` finished */
  searched(index: MappedPagesIndex, bytes: number): void;
  /** the index is being freed: do not release it later */
  forget(index: MappedPagesIndex): void;
  /** releases so far (for tests and logs) */
  readonly releases: number;
}

export function createMappedPagesBudget(limitBytes: number): MappedPagesBudget {
  const touchedSince = new Set<MappedPagesIndex>();
  let bytesSince = 0;
  let releases = 0;
  return {
    searched(index, bytes) {
      touchedSince.add(index);
      bytesSince += bytes;
      if (bytesSince <= limitBytes) return;
      for (const ix of touchedSince) ix.releaseMapped();
      touchedSince.clear();
      bytesSince = 0;
      releases++;
    },
    forget(index) {
      touchedSince.delete(index);
    },
    get releases() {
      return releases;
    },
  };
}
