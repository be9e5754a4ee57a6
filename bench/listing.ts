/**
 * Listing Vertex AI endpoints across 12 regions, each call answered after 150 ms of injected
 * latency by the local emulator: ServeLens's concurrent listing (listAcrossRegions + listAll over
 * VertexClient) against Google's own Node client (@google-cloud/aiplatform v6, REST fallback)
 * listing the regions one after another, as a script or an extension using it would. Same emulator,
 * same run, same answers (checked).
 *
 *   npm run bench:listing [-- --runs=N --latency=MS --write]   (--write updates bench/RESULTS.md)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { EndpointServiceClient } from '@google-cloud/aiplatform';
import { OAuth2Client } from 'google-auth-library';
import { FixedTokenSource } from '../src/core/cloud/auth';
import type { VertexEndpoint } from '../src/core/cloud/contract';
import { HttpClient } from '../src/core/cloud/http';
import { listAcrossRegions, listAll } from '../src/core/cloud/paging';
import { VertexClient } from '../src/core/cloud/vertex';
import { LIST_CONCURRENCY } from '../src/cli/cloud';
import { startEmulator } from '../test/emulator/server';
import type { EmulatorState, LocationState } from '../test/emulator/types';

const REGIONS = [
  'us-central1', 'us-east1', 'us-east4', 'us-west1', 'europe-west1', 'europe-west2',
  'europe-west3', 'europe-west4', 'asia-east1', 'asia-northeast1', 'asia-southeast1', 'australia-southeast1',
];
const PROJECT = 'bench-project';
const TOKEN = 'ya29.servelens-bench-token';

function state(): EmulatorState {
  const locations: Record<string, LocationState> = {};
  REGIONS.forEach((r, i) => (locations[r] = { generate: { endpoints: 3 + (i % 4) } }));
  return { auth: { required: true, acceptedTokens: [TOKEN] }, projects: { [PROJECT]: { number: '987654321098', locations } } };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  const runs = Number(args.runs ?? 5);
  const latency = Number(args.latency ?? 150);
  const emu = await startEmulator({ state: state() });
  try {
    emu.faults.add({ path: /\/locations\/[^/]+\/endpoints$/, kind: 'latency', ms: latency });

    const http = new HttpClient({ credentials: new FixedTokenSource(TOKEN) });
    const vertex = new VertexClient({ http, apiEndpoint: emu.url });
    const servelens = async (concurrency: number): Promise<VertexEndpoint[]> => {
      const results = await listAcrossRegions(PROJECT, REGIONS, (region, signal) => listAll((pageToken, s) => vertex.listEndpoints(PROJECT, region, { pageSize: 100, ...(pageToken ? { pageToken } : {}), ...((s ?? signal) ? { signal: s ?? signal } : {}) })), { concurrency });
      const failed = results.find((r) => r.error);
      if (failed) throw failed.error;
      return results.flatMap((r) => r.value!.items);
    };

    // google-gax carries its own copy of google-auth-library (10.5), whose class types differ from ours: hence the cast.
    const authClient = new OAuth2Client();
    authClient.setCredentials({ access_token: TOKEN, expiry_date: Date.now() + 3_600_000 });
    const official = new EndpointServiceClient({ apiEndpoint: '127.0.0.1', port: emu.port, protocol: 'http', fallback: true, authClient } as unknown as ConstructorParameters<typeof EndpointServiceClient>[0]);
    const sequential = async (): Promise<{ name?: string | null }[]> => {
      const out: { name?: string | null }[] = [];
      for (const region of REGIONS) {
        const [endpoints] = await official.listEndpoints({ parent: `projects/${PROJECT}/locations/${region}` });
        out.push(...endpoints);
      }
      return out;
    };

    // Warm-up (module loading, connections), and the same answers from both.
    const a = (await servelens(LIST_CONCURRENCY)).map((e) => e.name).sort();
    const b = (await sequential()).map((e) => e.name ?? '').sort();
    if (a.length === 0 || JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`the two listings differ: ${a.length} vs ${b.length} endpoints`);

    const times: Record<string, number[]> = { [`servelens-${LIST_CONCURRENCY}`]: [], 'servelens-6': [], official: [] };
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      await servelens(LIST_CONCURRENCY);
      times[`servelens-${LIST_CONCURRENCY}`]!.push(performance.now() - t);
      t = performance.now();
      await servelens(6);
      times['servelens-6']!.push(performance.now() - t);
      t = performance.now();
      await sequential();
      times.official!.push(performance.now() - t);
    }
    await official.close();

    const off = median(times.official!);
    const ours = median(times[`servelens-${LIST_CONCURRENCY}`]!);
    const six = median(times['servelens-6']!);
    const fmt = (xs: number[]) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
    const lines = [
      `| listing | calls in flight | median of ${runs} runs | vs official |`,
      '| --- | ---: | ---: | ---: |',
      `| ServeLens, as \`servelens endpoints list --region …\` runs it | ${LIST_CONCURRENCY} | ${fmt(times[`servelens-${LIST_CONCURRENCY}`]!)} | **${(off / ours).toFixed(1)}× faster** |`,
      `| ServeLens, listAcrossRegions at its default concurrency | 6 | ${fmt(times['servelens-6']!)} | ${(off / six).toFixed(1)}× faster |`,
      `| @google-cloud/aiplatform v6 (REST fallback), regions one after another | 1 | ${fmt(times.official!)} | 1× |`,
    ];
    const notes = [
      '',
      `${REGIONS.length} regions, ${a.length} endpoints in all (one page per region), ${latency} ms injected latency on every list call, the emulator on 127.0.0.1 (test/emulator), Node ${process.version}, ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}.`,
      'Official client: `EndpointServiceClient({ apiEndpoint: \'127.0.0.1\', port, protocol: \'http\', fallback: true })`, `listEndpoints({ parent })` (auto-paginating) for each region in turn.',
      `Lower bound: ${REGIONS.length} × ${latency} ms = ${REGIONS.length * latency} ms one after another, ${latency} ms with all ${REGIONS.length} in flight, ${Math.ceil(REGIONS.length / 6) * latency} ms at 6.`,
      'Both sides warmed up first (modules loaded, connections open) and checked to return the same endpoint names.',
    ];
    process.stdout.write(`${lines.join('\n')}\n${notes.join('\n')}\n`);
    const goal = off / ours >= 8;
    process.stdout.write(`\nratio ${(off / ours).toFixed(1)}× (goal ≥ 8×): ${goal ? 'met' : 'NOT met'}\n`);

    if ('write' in args) {
      const path = resolve(__dirname, '..', '..', 'bench', 'RESULTS.md');
      const begin = '<!-- listing:begin -->';
      const end = '<!-- listing:end -->';
      const section = [begin, ...lines, ...notes, end].join('\n');
      let text = await readFile(path, 'utf8');
      if (text.includes(begin) && text.includes(end)) text = text.slice(0, text.indexOf(begin)) + section + text.slice(text.indexOf(end) + end.length);
      else text = `${text.trimEnd()}\n\n## Listing Vertex AI endpoints across 12 regions (bench/listing.ts)\n\n${section}\n`;
      await writeFile(path, text);
    }
    if (!goal) process.exitCode = 1;
  } finally {
    await emu.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:listing: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
