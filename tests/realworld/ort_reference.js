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

function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    // Fall back to the repository's node_modules when run from elsewhere.
    return require(path.join(__dirname, '..', '..', 'node_modules', 'onnxruntime-node'));
  }
}

// --- a minimal .npy reader/writer (format 1.0/2.0/3.0, C order, little endian) ---

const DTYPES = {
  // npy descr -> [ORT type, TypedArray]
  '<f4': ['float32', Float32Array],
  '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array],
  '<i4': ['int32', Int32Array],
  '|b1': ['bool', Uint8Array],
  '|u1': ['uint8', Uint8Array],
  '|i1': ['int8', Int8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.readUInt32BE(0) !== 0x934e554d || buf.toString('latin1', 4, 6) !== 'PY') {
    throw new Error(`${file}: not a .npy file`);
  }
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const entry = DTYPES[descr];
  if (!entry) throw new Error(`${file}: unsupported dtype ${descr}`);
  const [type, Arr] = entry;
  const count = dims.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  // Copy into an aligned buffer: the data offset need not be a multiple of the element size.
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset + offset, count * Arr.BYTES_PER_ELEMENT);
  const data = new Arr(count);
  new Uint8Array(data.buffer).set(bytes);
  return { type, dims, data };
}

function npyDescr(type) {
  for (const [descr, [t]] of Object.entries(DTYPES)) if (t === type) return descr;
  throw new Error(`unsupported output type ${type}`);
}

function writeNpy(file, type, dims, data) {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${npyDescr(type)}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.writeUInt32BE(0x934e554d, 0);
  head.write('PY', 4, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  let bytes;
  if (type === 'bool') {
    bytes = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  } else {
    bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), bytes]));
}

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
