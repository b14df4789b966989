/**
 * A fleet of simulated GPUs in its own process, so the engines' timers are
 * not delayed by the indexing work of the bench process. Prints one JSON line
 * `{"urls":[...]}` (one VLLM_URL per GPU) on stdout, then serves until stdin
 * closes or SIGTERM.
 *
 * Usage: tsx bench/support/gpuFleetProcess.ts <gpus> <dim> <timeScale>
 */
import { startSimulatedGpu, type SimulatedGpu } from '../../test/support/simulatedGpuServer.js';
import { QWEN3_EMBEDDING_8B_H100, scaledModel } from '../../test/support/simulatedGpuEngine.js';

const [gpus, dim, timeScale] = process.argv.slice(2).map(Number);
if (!(Number.isInteger(gpus) && gpus >= 1 && Number.isInteger(dim) && dim >= 1 && timeScale > 0)) {
  process.stderr.write('usage: gpuFleetProcess <gpus ≥ 1> <dim ≥ 1> <timeScale > 0>\n');
  process.exit(2);
}
const model = scaledModel(QWEN3_EMBEDDING_8B_H100, timeScale);
const fleet: SimulatedGpu[] = [];
for (let i = 0; i < gpus; i++) fleet.push(await startSimulatedGpu({ model, dim }));
process.stdout.write(`${JSON.stringify({ urls: fleet.map((g) => g.baseUrl) })}\n`);

const stop = async () => {
  await Promise.all(fleet.map((g) => g.close()));
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
