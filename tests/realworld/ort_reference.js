#!/usr/bin/env node
// Computes the reference outputs of tests/realworld with onnxruntime-node (CPU EP).
//
// usage: node tests/realworld/ort_reference.js MANIFEST_DIR
//
// For every model and input set in MANIFEST_DIR/manifest.json (written by make_models.py) runs
// the model and writes each output to <set dir>/reference.<name>.npy (characters other than
// A-Z a-z 0-9 . _ - in <name> become _), records those files in the manifest under each set's
// "reference", and the ORT version under "reference_runtime". Run it from the repository root
// (or with NODE_PATH) so that require() finds node_modules/onnxruntime-node.
'use strict';

const fs = require('fs');
const path = require('path');

const { loadOrt, readNpy, writeNpy } = require('../ort_npy.js');

function fileName(name) {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: ort_reference.js MANIFEST_DIR');
    process.exit(2);
  }
  const ort = loadOrt();
  const manifestPath = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  manifest.reference_runtime = `onnxruntime-node ${ort.env.versions.node} (CPU EP)`;
  let failed = false;
  for (const [name, model] of Object.entries(manifest.models)) {
    let session;
    try {
      session = await ort.InferenceSession.create(path.join(dir, model.file), {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: 1,
        ...(model.ort_options || {}),  // QDQ graphs: the graph's own semantics, not fusions
      });
    } catch (e) {
      console.error(`ort_reference: ${name}: ORT rejects the model: ${e.message}`);
      failed = true;
      continue;
    }
    for (const [setName, set] of Object.entries(model.sets)) {
      const feeds = {};
      for (const [input, file] of Object.entries(set.inputs)) {
        const { type, dims, data } = readNpy(path.join(dir, file));
        feeds[input] = new ort.Tensor(type, data, dims);
      }
      let results;
      try {
        results = await session.run(feeds);
      } catch (e) {
        console.error(`ort_reference: ${name}/${setName}: ORT run failed: ${e.message}`);
        failed = true;
        continue;
      }
      set.reference = {};
      for (const output of model.outputs) {
        const t = results[output];
        const file = path.join(path.dirname(Object.values(set.inputs)[0]),
                               `reference.${fileName(output)}.npy`);
        writeNpy(path.join(dir, file), t.type, t.dims, t.data);
        set.reference[output] = file;
      }
    }
    await session.release();
  }
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 1));
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`ort_reference: ${e.stack || e}`);
  process.exit(1);
});
