/**
 * Busy time of real vLLM servers, read from what they publish: each
 * endpoint's Prometheus `/metrics` (at the server root) is sampled every
 * `intervalMs`; a device counts as busy for a sample's interval when
 * `vllm:num_requests_running` > 0 (its engine has a step to run). Chunks a
 * device served are the growth of `vllm:request_success_total` (vLLM counts
 * every input of an embeddings request as one request) and its tokens the
 * growth of `vllm:prompt_tokens_total`. No nvidia-smi needed; on a GPU the
 * figure is the engine's view of busy, which is what keeping it fed means.
 */

export interface SampledGpuStats {
  busyMs: number;
  /** wall clock of the first and last sample in which this device was busy */
  firstBusyAt: number | null;
  lastBusyAt: number | null;
  sequences: number;
  tokens: number;
  samples: number;
}

const metricsUrl = (baseUrl: string) => `${new URL(baseUrl).origin}/metrics`;

/** Sum of every series of one metric in a Prometheus text exposition. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue; // another metric with this prefix
    const value = Number(line.trim().split(/\s+/).at(-1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

export function startVllmMetricsSampler(urls: string[], intervalMs = 50) {
  const start = urls.map(() => ({ sequences: 0, tokens: 0 }));
  const stats: SampledGpuStats[] = urls.map(() => ({ busyMs: 0, firstBusyAt: null, lastBusyAt: null, sequences: 0, tokens: 0, samples: 0 }));
  const last = urls.map(() => 0);
  let stopped = false;

  async function read(i: number) {
    const text = await (await fetch(metricsUrl(urls[i]))).text();
    return {
      running: metricSum(text, 'vllm:num_requests_running'),
      sequences: metricSum(text, 'vllm:request_success_total'),
      tokens: metricSum(text, 'vllm:prompt_tokens_total'),
    };
  }

  const loops = urls.map(async (_, i) => {
    while (!stopped) {
      const at = Date.now();
      const m = await read(i).catch(() => undefined);
      if (m) {
        const s = stats[i];
        if (s.samples === 0) start[i] = { sequences: m.sequences, tokens: m.tokens };
        s.samples++;
        if (m.running > 0) {
          s.busyMs += last[i] ? at - last[i] : 0;
          s.firstBusyAt ??= at;
          s.lastBusyAt = at;
        }
        s.sequences = m.sequences - start[i].sequences;
        s.tokens = m.tokens - start[i].tokens;
      }
      last[i] = at;
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - at))));
    }
  });

  return {
    async stop(): Promise<SampledGpuStats[]> {
      stopped = true;
      await Promise.all(loops);
      return stats;
    },
  };
}
