/**
 * The service-time model of one simulated GPU running an embedding model
 * under vLLM: requests wait in a queue; the engine runs one step at a time
 * and each step takes as many waiting sequences (inputs) as fit a token
 * budget, as vLLM's scheduler does with max_num_batched_tokens. A step costs
 * a fixed overhead plus a cost per token. The engine is busy only while a
 * step runs, and it adds up that busy time.
 *
 * Steps are scheduled on a logical clock: when work was already waiting, the
 * next step starts where the previous one logically ended, not when Node's
 * timer happened to fire, so timer jitter on a loaded machine does not show
 * up as GPU idle time that the pipeline did not cause.
 */

export interface GpuServiceModel {
  /** Fixed cost of one engine step (scheduling, kernel launches, pooling), ms. */
  stepMs: number;
  /** Cost of one token of prefill, ms. */
  perTokenMs: number;
  /** Tokens one step may hold (vLLM's max_num_batched_tokens). */
  maxBatchTokens: number;
  /** How the simulator counts tokens without the model's tokenizer. */
  charsPerToken: number;
}

/**
 * Qwen3-Embedding-8B on one H100-class GPU, bf16, under vLLM. No trustworthy
 * published throughput figure for this model on this hardware exists that
 * we know of (the model card and the vLLM docs give none), so this is a
 * stated assumption derived from first principles: a forward pass costs
 * ≈ 2 × 8e9 FLOP per token = 16 GFLOP; an H100 SXM gives ≈ 990 TFLOPS dense
 * bf16 and a prefill-only workload reaches ≈ 40 % of that, ≈ 400 TFLOPS,
 * so ≈ 25,000 tokens/s, i.e. 0.04 ms per token. A step's fixed cost (Python
 * scheduler, launches, pooling, output copy) is taken as 8 ms, and the token
 * budget as 16,384. A 400-token chunk then costs 16 ms at full batches,
 * ≈ 3,700 chunks/min/GPU, above the seeds' 1,000 chunks/min/GPU.
 */
export const QWEN3_EMBEDDING_8B_H100: GpuServiceModel = { stepMs: 8, perTokenMs: 0.04, maxBatchTokens: 16_384, charsPerToken: 4 };

/**
 * A SPLADE model (BERT-base size, ≈ 110 M parameters, e.g. naver/splade-v3)
 * on the same GPU, derived the same way: ≈ 0.22 GFLOP per token plus the
 * MLM head over a 30k vocabulary (≈ 2 × 768 × 30,522 ≈ 0.05 GFLOP per token),
 * ≈ 0.27 GFLOP per token; at a lower utilisation for a small model (≈ 25 %,
 * ≈ 250 TFLOPS) ≈ 900,000 tokens/s, 0.0011 ms per token. Fixed step cost
 * 3 ms; inputs are capped at 512 tokens, budget 32,768 tokens.
 */
export const SPLADE_BERT_BASE_H100: GpuServiceModel = { stepMs: 3, perTokenMs: 0.0011, maxBatchTokens: 32_768, charsPerToken: 4 };

/** The same model with every duration multiplied by `factor` (a slower simulated device). */
export function scaledModel(model: GpuServiceModel, factor: number): GpuServiceModel {
  return { ...model, stepMs: model.stepMs * factor, perTokenMs: model.perTokenMs * factor };
}

/** Token-count estimate the simulator charges for one input. */
export function simulatedTokens(model: GpuServiceModel, text: string): number {
  return Math.max(1, Math.ceil(text.length / model.charsPerToken));
}

/** Chunks per minute the model serves with zero idle time, for inputs of `tokensPerChunk` tokens. */
export function idealChunksPerMinute(model: GpuServiceModel, tokensPerChunk: number): number {
  const perStep = Math.max(1, Math.floor(model.maxBatchTokens / tokensPerChunk));
  const stepMs = model.stepMs + perStep * tokensPerChunk * model.perTokenMs;
  return (perStep / stepMs) * 60_000;
}

export interface EngineStats {
  busyMs: number;
  steps: number;
  sequences: number;
  tokens: number;
  requests: number;
  /** Wall clock (performance.timeOrigin + now) of the first request received and the last step's logical end. */
  firstArrivalAt: number | null;
  lastStepEndAt: number | null;
}

interface Sequence {
  tokens: number;
  arrivedAt: number;
  request: number;
  done: () => void;
}

const wallNow = () => performance.timeOrigin + performance.now();

export class SimulatedEngine {
  private readonly waiting: Sequence[] = [];
  private running = false;
  private nextRequest = 0;
  /** requests with a sequence in the step now running, and requests with sequences waiting (vLLM's two scheduler gauges) */
  runningRequests = 0;
  get waitingRequests(): number {
    return new Set(this.waiting.map((s) => s.request)).size;
  }
  private logicalEnd = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Multiplies every step's duration: > 1 simulates a device that turned slow. */
  slowdown = 1;
  stats: EngineStats = SimulatedEngine.emptyStats();

  constructor(public model: GpuServiceModel) {
    if (!(model.stepMs >= 0 && model.perTokenMs >= 0 && model.maxBatchTokens >= 1 && model.charsPerToken > 0)) {
      throw new Error(`invalid GPU service model ${JSON.stringify(model)}`);
    }
  }

  static emptyStats(): EngineStats {
    return { busyMs: 0, steps: 0, sequences: 0, tokens: 0, requests: 0, firstArrivalAt: null, lastStepEndAt: null };
  }

  /** Run one request of sequences with the given token counts; resolves when the last of them has been computed. */
  submit(tokenCounts: number[]): Promise<void> {
    const arrivedAt = wallNow();
    this.stats.requests++;
    this.stats.firstArrivalAt ??= arrivedAt;
    if (tokenCounts.length === 0) return Promise.resolve();
    let left = tokenCounts.length;
    const request = this.nextRequest++;
    const finished = new Promise<void>((resolve) => {
      for (const tokens of tokenCounts) {
        // one input longer than the budget runs alone in its own step, as vLLM does up to max_model_len
        this.waiting.push({ tokens, arrivedAt, request, done: () => --left === 0 && resolve() });
      }
    });
    this.kick();
    return finished;
  }

  /** Forget the counters (between bench points). */
  resetStats(): void {
    this.stats = SimulatedEngine.emptyStats();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private kick(): void {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    const batch: Sequence[] = [];
    let tokens = 0;
    while (this.waiting.length && (batch.length === 0 || tokens + this.waiting[0].tokens <= this.model.maxBatchTokens)) {
      const s = this.waiting.shift()!;
      batch.push(s);
      tokens += s.tokens;
    }
    this.runningRequests = new Set(batch.map((s) => s.request)).size;
    const duration = (this.model.stepMs + tokens * this.model.perTokenMs) * this.slowdown;
    // work that was waiting when the last step ended starts at that logical end
    const start = Math.max(this.logicalEnd, ...batch.map((s) => s.arrivedAt));
    const end = start + duration;
    this.logicalEnd = end;
    this.stats.busyMs += duration;
    this.stats.steps++;
    this.stats.sequences += batch.length;
    this.stats.tokens += tokens;
    const finish = () => {
      // libuv's cached loop time can make a timer fire a little early: never answer before the step's end
      const early = end - wallNow();
      if (early > 0) {
        this.timer = setTimeout(finish, Math.ceil(early));
        return;
      }
      this.timer = undefined;
      this.stats.lastStepEndAt = end;
      for (const s of batch) s.done();
      this.running = false;
      this.runningRequests = 0;
      this.kick();
    };
    this.timer = setTimeout(finish, Math.max(0, end - wallNow()));
  }
}
