// Times onnxruntime-node (npm, CPU execution provider) on one model: median ms of repeated runs
// after two warm-up runs, with 1 and with 2 intra-op threads, in one process.
//   usage: node ort_node_time.js MODEL.onnx NAME=INPUT.npy [NAME=INPUT.npy ...] [--repeat N]
// Prints one JSON line: {"threads1_ms": ..., "threads2_ms": ...}.
'use strict';

const { loadOrt, readNpy } = require('../tests/ort_npy.js');

async function median(session, feeds, repeat) {
  for (let i = 0; i < 2; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < repeat; ++i) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const n = times.length;
  return n % 2 ? times[(n - 1) / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
}

async function main() {
  const args = process.argv.slice(2);
  let repeat = 10;
  const feedsSpec = [];
  for (let i = 1; i < args.length; ++i) {
    if (args[i] === '--repeat') repeat = parseInt(args[++i], 10);
    else feedsSpec.push(args[i]);
  }
  const ort = loadOrt();
  const feeds = {};
  for (const spec of feedsSpec) {
    const [name, file] = spec.split('=');
    const { type, dims, data } = readNpy(file);
    feeds[name] = new ort.Tensor(type, data, dims);
  }
  const result = {};
  for (const threads of [1, 2]) {
    const session = await ort.InferenceSession.create(args[0], {
      executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1});
    result[`threads${threads}_ms`] = await median(session, feeds, repeat);
    await session.release();
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(`ort_node_time: ${e.message}`);
  process.exit(1);
});
