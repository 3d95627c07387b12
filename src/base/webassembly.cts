/**
 * The part of the WebAssembly JavaScript API tracewire uses (TypeScript's ES2022 library
 * without the DOM does not declare it). CommonJS, like content-hash.cts, which uses it in
 * the fast start.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Whether WebAssembly runs here (not under `node --jitless`). */
export const wasmAvailable = api !== undefined;

/** Compiles and instantiates a module without imports; its exports, or null without WebAssembly. */
export function instantiate(bytes: Uint8Array): Record<string, unknown> | null {
  return api === undefined ? null : new api.Instance(new api.Module(bytes)).exports;
}
