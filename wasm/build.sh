#!/usr/bin/env bash
# Builds the WASM package: wasm/pkg/web (ES module for browsers and bundlers) and
# wasm/pkg/node (CommonJS for Node), each with TypeScript declarations.
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen CLI 0.2.130 (see .ci/run), and
# for the size optimization `npm ci --prefix wasm` (binaryen's wasm-opt).
set -euo pipefail
cd "$(dirname "$0")/.."
# sha2's compact software SHA-256 (the same digests; about 2.4 KB less gzipped than the
# unrolled one, and the instrument checksum is computed once per load).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-} --cfg sha2_backend_soft=\"compact\""
cargo build -p bagdar-wasm --target wasm32-unknown-unknown --profile wasm-release
wasm=target/wasm32-unknown-unknown/wasm-release/bagdar_wasm.wasm
wasm-bindgen --target web --out-dir wasm/pkg/web "$wasm"
wasm-bindgen --target nodejs --out-dir wasm/pkg/node "$wasm"
# wasm-opt from the npm package binaryen (wasm/package.json; `npm ci --prefix wasm`).
# --low-memory-unused: the first 1 KiB of linear memory holds nothing a Rust pointer
# computation can wrap around into, so constant offsets fold into loads and stores
# (about 2.3 KB less gzipped; see bench/RESULTS.md, "WASM size").
# --flatten --rereloop first (control flow rebuilt from flat code), -Oz, then
# --merge-similar-functions (functions differing only in constants share one body) and
# -Oz repeated until nothing shrinks (--converge): about 4 KB less gzipped than one -Oz,
# at about a minute per file. All are semantics-preserving passes. --strip-producers and
# --strip-target-features drop two custom sections no browser reads.
opt=wasm/node_modules/.bin/wasm-opt
if [ -x "$opt" ]; then
  for f in wasm/pkg/web/bagdar_wasm_bg.wasm wasm/pkg/node/bagdar_wasm_bg.wasm; do
    "$opt" --flatten --rereloop -Oz --merge-similar-functions -Oz --converge --low-memory-unused \
      --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals "$f" -o "$f.opt" && mv "$f.opt" "$f"
  done
else
  echo "wasm-opt not installed (npm ci --prefix wasm): package left unoptimized"
fi
ls -l wasm/pkg/web/*.wasm
printf 'gzipped .wasm: %s bytes\n' "$(gzip -9 -c wasm/pkg/web/bagdar_wasm_bg.wasm | wc -c)"
