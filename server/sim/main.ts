import { startSimServer } from './sim-server';

/** `npm run sim`: the simulator on its own, e.g. to point another Flint or a benchmark at it. */
const sim = await startSimServer({
  host: process.env.SIM_HOST ?? '127.0.0.1',
  port: Number(process.env.SIM_PORT ?? 4010),
  tokensPerSecond: Number(process.env.SIM_TPS ?? 1000),
  ttftMs: Number(process.env.SIM_TTFT_MS ?? 0),
  apiKey: process.env.SIM_API_KEY,
});
console.log(`fast-tier simulator on ${sim.url}/v1 (${process.env.SIM_TPS ?? 1000} tok/s)`);
const stop = () => sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
