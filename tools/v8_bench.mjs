// `make bench`: runs the criterion micro-benchmarks (benches/hot_path.rs) compiled to
// wasm32-wasip1 in V8, the engine Envoy runs the filter in. Natively, SHA-256 runs on the
// CPU's SHA extensions; in Wasm it is plain code, so these are the numbers that count.
// The proxy-wasm host functions the library imports are stubbed (never called here).
// Usage: node tools/v8_bench.mjs HOT_PATH_WASM [criterion args...]
//   (`make bench` passes the executable `cargo bench --no-run --message-format=json` reports.)
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv, env, exit } from 'node:process';

const file = argv[2];
if (!file || !file.endsWith('.wasm')) {
  console.error('usage: node tools/v8_bench.mjs HOT_PATH_WASM [criterion args...]');
  exit(2);
}

// Criterion keeps its reports (and the previous run, for comparison) apart from the native ones.
const wasi = new WASI({
  version: 'preview1',
  args: ['hot_path', '--bench', ...argv.slice(3)],
  env: { ...env, CRITERION_HOME: 'target/criterion-v8' },
  preopens: { '.': '.' },
});
const module = await WebAssembly.compile(await readFile(file));
const imports = wasi.getImportObject();
imports.env = {};
for (const imp of WebAssembly.Module.imports(module)) {
  if (imp.module === 'env') imports.env[imp.name] = () => 0;
}
const instance = await WebAssembly.instantiate(module, imports);
// The library is also a cdylib and exports `_initialize`; node's WASI wants a command only.
wasi.start({ exports: { memory: instance.exports.memory, _start: instance.exports._start } });
