import type { PartFactory } from '../server/part.ts';

/**
 * Local mode's stand-in for the sample apps' health endpoints: the embedded config probes
 * http://127.0.0.1:3000/sample-probe/{region}/web between the batches of an upgrade, and the
 * sample workloads on the local control plane (kwok) serve nothing. Always healthy.
 */
export const sampleProbePart: PartFactory = (ctx) => {
  if (ctx.config.mode !== 'local') return undefined;
  return {
    name: 'sample-probe',
    routes: {
      'GET /sample-probe/*': (req, res) => {
        const what = (req.url ?? '').split('?')[0]?.slice('/sample-probe/'.length) ?? '';
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`ok ${what.replace(/[^A-Za-z0-9/._-]/g, '')}\n`);
      },
    },
  };
};
