#!/usr/bin/env node
// Runs single models with onnxruntime-node (CPU EP) to compute reference outputs for the
// conformance case generators (extra_cases_contrib.py): those ops' meaning is ONNX Runtime's.
//
// usage: node tests/conformance/ort_run.js JOB_DIR
//
// JOB_DIR/jobs.json is a list of {"model": file, "inputs": {name: npy file}, "outputs":
// [name, ...]}; output k of job j goes to JOB_DIR/<j>.out<k>.npy. The .npy reader/writer is
// tests/realworld/ort_reference.js's (format 1.0-3.0, C order, little endian).
'use strict';

const fs = require('fs');
const path = require('path');

function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    return require(path.join(__dirname, '..', '..', 'node_modules', 'onnxruntime-node'));
  }
}

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
  const bytes =
    type === 'bool'
      ? Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)))
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), bytes]));
}

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
