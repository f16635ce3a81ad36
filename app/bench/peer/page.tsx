import { notFound } from 'next/navigation';
import { connection } from 'next/server';
import { PeerBench } from './peer-bench';

/** The benchmark's peer harness page (see api/route.ts); 404 unless FLINT_BENCH=1. */
export default async function PeerBenchPage() {
  await connection(); // read the environment per request, not at build time
  if (process.env.FLINT_BENCH !== '1') notFound();
  return <PeerBench />;
}
