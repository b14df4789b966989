import { z } from 'zod';
import { bool, int } from './parsers.js';

/** In-process ONNX models (dense and SPLADE). */
export const onnxSection = z
  .object({
    /** intra-op threads; 0 = onnxruntime's choice */
    ONNX_THREADS: int(0, 0, 256),
    /** off by default: workers share CPUs, and spin-waiting threads would starve the others */
    ONNX_ALLOW_SPINNING: bool(false),
  })
  .transform((e) => ({ onnx: { threads: e.ONNX_THREADS, allowSpinning: e.ONNX_ALLOW_SPINNING } }));
