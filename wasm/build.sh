#!/usr/bin/env bash
# Builds the WASM package: wasm/pkg/web (ES module for browsers and bundlers) and
# wasm/pkg/node (CommonJS for Node), each with TypeScript declarations.
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen CLI 0.2.130 (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p bagdar-wasm --target wasm32-unknown-unknown --release
wasm=target/wasm32-unknown-unknown/release/bagdar_wasm.wasm
wasm-bindgen --target web --out-dir wasm/pkg/web "$wasm"
wasm-bindgen --target nodejs --out-dir wasm/pkg/node "$wasm"
ls -l wasm/pkg/web/*.wasm
printf 'gzipped .wasm: %s bytes\n' "$(gzip -9 -c wasm/pkg/web/bagdar_wasm_bg.wasm | wc -c)"
