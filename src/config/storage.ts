import { z } from 'zod';
import { directory } from './parsers.js';

/** The data directory every role shares: manifests, Parquet parts, FAISS files, staged batches, clones. */
export const storageSection = z
  .object({
    DATA_DIR: directory('.data'),
  })
  .transform((e) => ({ dataDir: e.DATA_DIR }));
