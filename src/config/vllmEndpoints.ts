import { z } from 'zod';

/**
 * Which vLLM endpoint a process embeds with (VLLM_ENDPOINTS):
 * - `shared`: one endpoint for every GPU worker (VLLM_URL), e.g. one vLLM
 *   server spanning several GPUs (`--data-parallel-size`), which schedules
 *   across its devices itself;
 * - `per-gpu`: one vLLM server per device; VLLM_URLS lists them in device
 *   order and a worker pinned with `--gpu N` (GPU_DEVICE=N) uses entry N.
 *   Every process of the fleet can share the same environment. A process
 *   pinned to no device (the API, for queries) uses the first entry.
 */
export type VllmEndpointMode = 'shared' | 'per-gpu';

export function resolveVllmEndpoint(
  e: { mode: VllmEndpointMode; url: string | undefined; urls: string[]; device: number },
  ctx: z.RefinementCtx,
): string | undefined {
  const issue = (path: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
  if (e.mode === 'shared') {
    if (e.url) return e.url;
    if (e.urls.length > 1) issue('VLLM_URLS', `lists ${e.urls.length} endpoints but VLLM_ENDPOINTS=shared uses one: set VLLM_URL, or VLLM_ENDPOINTS=per-gpu for one endpoint per GPU`);
    return e.urls[0];
  }
  if (e.urls.length === 0) {
    issue('VLLM_URLS', 'must list one endpoint per GPU (comma-separated, device order) when VLLM_ENDPOINTS=per-gpu');
    return undefined;
  }
  if (e.device >= e.urls.length) {
    issue('VLLM_URLS', `lists ${e.urls.length} endpoint(s), so GPU ${e.device} (--gpu / GPU_DEVICE) has none; VLLM_ENDPOINTS=per-gpu needs one per device`);
    return undefined;
  }
  return e.urls[Math.max(0, e.device)];
}
