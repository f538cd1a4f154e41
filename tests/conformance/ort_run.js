#!/usr/bin/env node
// Runs single models with onnxruntime-node (CPU EP) to compute reference outputs for the
// conformance case generators (extra_cases_contrib.py): those ops' meaning is ONNX Runtime's.
//
// usage: node tests/conformance/ort_run.js JOB_DIR
//
// JOB_DIR/jobs.json is a list of {"model": file, "inputs": {name: npy file}, "outputs":
// [name, ...]}; output k of job j goes to JOB_DIR/<j>.out<k>.npy. The .npy reader/writer is
// tests/ort_npy.js.
'use strict';

const fs = require('fs');
const path = require('path');

const { loadOrt, readNpy, writeNpy } = require('../ort_npy.js');

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: ort_run.js JOB_DIR');
    process.exit(2);
  }
  const ort = loadOrt();
  const jobs = JSON.parse(fs.readFileSync(path.join(dir, 'jobs.json'), 'utf8'));
  let failed = false;
  for (let j = 0; j < jobs.length; ++j) {
    const job = jobs[j];
    try {
      const session = await ort.InferenceSession.create(path.join(dir, job.model), {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'disabled',
        intraOpNumThreads: 1,
      });
      const feeds = {};
      for (const [name, file] of Object.entries(job.inputs)) {
        const { type, dims, data } = readNpy(path.join(dir, file));
        feeds[name] = new ort.Tensor(type, data, dims);
      }
      const results = await session.run(feeds);
      job.outputs.forEach((name, k) => {
        const t = results[name];
        writeNpy(path.join(dir, `${j}.out${k}.npy`), t.type, t.dims, t.data);
      });
    } catch (e) {
      console.error(`ort_run: ${job.model}: ${e.message}`);
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}

main();
