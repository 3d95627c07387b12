/**
 * A small WebAssembly assembler: enough to write one module of a few functions by hand in
 * TypeScript (typed locals, structured control flow with named labels, loads/stores,
 * integer arithmetic) and encode it to the binary format (WebAssembly core spec §5).
 *
 * Why not a .wasm file built by a toolchain: the project has one such module (the CTF
 * counting interpreter, src/ctf/decode/wasm-count/), a few hundred instructions, and
 * writing it here keeps the build TypeScript-only and the source reviewable next to the
 * code that feeds it.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;

/** Unsigned LEB128. */
function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

/** Signed LEB128 of a bigint (i32/i64 constants). */
function sleb(v: bigint, out: number[]): void {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return;
  }
}

function name(s: string, out: number[]): void {
  const bytes = Buffer.from(s, 'utf8');
  uleb(bytes.length, out);
  out.push(...bytes);
}

/** The body of one function: its locals and instructions. Labels name enclosing blocks/loops. */
export class FunctionBody {
  readonly code: number[] = [];
  private readonly labels: string[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[],
  ) {}

  /** Declares a local (after the parameters) and returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  // ---- control ----
  block(label: string, body: () => void): this {
    return this.structured(0x02, label, body);
  }
  loop(label: string, body: () => void): this {
    return this.structured(0x03, label, body);
  }
  /** `if` on the i32 on the stack, with an optional `else`. */
  if(then: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    this.labels.push('');
    then();
    if (otherwise) {
      this.op(0x05);
      otherwise();
    }
    this.labels.pop();
    return this.op(0x0b);
  }
  private structured(opcode: number, label: string, body: () => void): this {
    this.op(opcode, 0x40);
    this.labels.push(label);
    body();
    this.labels.pop();
    return this.op(0x0b);
  }
  private depth(label: string): number {
    const i = this.labels.lastIndexOf(label);
    if (i < 0) throw new Error(`wasm assembler: no enclosing label ${label}`);
    return this.labels.length - 1 - i;
  }
  br(label: string): this {
    this.op(0x0c);
    uleb(this.depth(label), this.code);
    return this;
  }
  brIf(label: string): this {
    this.op(0x0d);
    uleb(this.depth(label), this.code);
    return this;
  }
  brTable(labels: readonly string[], dflt: string): this {
    this.op(0x0e);
    uleb(labels.length, this.code);
    for (const l of labels) uleb(this.depth(l), this.code);
    uleb(this.depth(dflt), this.code);
    return this;
  }
  return(): this {
    return this.op(0x0f);
  }

  // ---- locals and constants ----
  get(l: number): this {
    this.op(0x20);
    uleb(l, this.code);
    return this;
  }
  set(l: number): this {
    this.op(0x21);
    uleb(l, this.code);
    return this;
  }
  tee(l: number): this {
    this.op(0x22);
    uleb(l, this.code);
    return this;
  }
  i32(n: number): this {
    this.op(0x41);
    sleb(BigInt(n | 0), this.code);
    return this;
  }
  i64(n: bigint | number): this {
    this.op(0x42);
    sleb(BigInt.asIntN(64, BigInt(n)), this.code);
    return this;
  }

  // ---- memory (offset in bytes; natural alignment hints) ----
  private mem(opcode: number, alignLog2: number, offset: number): this {
    this.op(opcode, alignLog2);
    uleb(offset, this.code);
    return this;
  }
  i32Load(offset = 0): this {
    return this.mem(0x28, 2, offset);
  }
  i64Load(offset = 0): this {
    return this.mem(0x29, 3, offset);
  }
  i32Load8u(offset = 0): this {
    return this.mem(0x2d, 0, offset);
  }
  i64Load8u(offset = 0): this {
    return this.mem(0x31, 0, offset);
  }
  i32Store(offset = 0): this {
    return this.mem(0x36, 2, offset);
  }
  i64Store(offset = 0): this {
    return this.mem(0x37, 3, offset);
  }

  // ---- numeric (each named after its instruction) ----
  i32Eqz = () => this.op(0x45);
  i32Eq = () => this.op(0x46);
  i32Ne = () => this.op(0x47);
  i32LtS = () => this.op(0x48);
  i32LtU = () => this.op(0x49);
  i32GtS = () => this.op(0x4a);
  i32GtU = () => this.op(0x4b);
  i32GeS = () => this.op(0x4e);
  i32GeU = () => this.op(0x4f);
  i64Eqz = () => this.op(0x50);
  i64Ne = () => this.op(0x52);
  i64LtS = () => this.op(0x53);
  i64LtU = () => this.op(0x54);
  i64GtS = () => this.op(0x55);
  i64GtU = () => this.op(0x56);
  i64LeS = () => this.op(0x57);
  i64LeU = () => this.op(0x58);
  i64GeS = () => this.op(0x59);
  i64GeU = () => this.op(0x5a);
  i32Add = () => this.op(0x6a);
  i32Sub = () => this.op(0x6b);
  i32Mul = () => this.op(0x6c);
  i32And = () => this.op(0x71);
  i32Or = () => this.op(0x72);
  i32Shl = () => this.op(0x74);
  i32ShrU = () => this.op(0x76);
  i64Ctz = () => this.op(0x7a);
  i64Add = () => this.op(0x7c);
  i64Sub = () => this.op(0x7d);
  i64Mul = () => this.op(0x7e);
  i64And = () => this.op(0x83);
  i64Or = () => this.op(0x84);
  i64Xor = () => this.op(0x85);
  i64Shl = () => this.op(0x86);
  i64ShrS = () => this.op(0x87);
  i64ShrU = () => this.op(0x88);
  i64Rotl = () => this.op(0x89);
  i32WrapI64 = () => this.op(0xa7);
  i64ExtendI32S = () => this.op(0xac);
  i64ExtendI32U = () => this.op(0xad);
  drop = () => this.op(0x1a);
  /** Of the two values under an i32 condition, the first when it is non-zero. */
  select = () => this.op(0x1b);

  /** The function's code entry (locals + expression), without its size prefix. */
  encode(): number[] {
    const out: number[] = [];
    const groups: Array<[number, ValType]> = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(groups.length, out);
    for (const [n, t] of groups) {
      uleb(n, out);
      out.push(t);
    }
    out.push(...this.code, 0x0b);
    return out;
  }
}

export interface ModuleSpec {
  /** Exported functions, by export name. */
  readonly functions: ReadonlyArray<{ readonly name: string; readonly body: FunctionBody }>;
  /** The module's own memory: initial size in 64 KiB pages, exported under `memoryName`. */
  readonly memoryPages: number;
  readonly memoryName: string;
}

function section(id: number, content: number[], out: number[]): void {
  out.push(id);
  uleb(content.length, out);
  out.push(...content);
}

/** Encodes a module: one type per function, one memory, the exports. */
export function assembleModule(spec: ModuleSpec): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(spec.functions.length, types);
  for (const { body } of spec.functions) {
    types.push(0x60);
    uleb(body.params.length, types);
    types.push(...body.params);
    uleb(body.results.length, types);
    types.push(...body.results);
  }
  section(1, types, out);
  const funcs: number[] = [];
  uleb(spec.functions.length, funcs);
  spec.functions.forEach((_f, i) => uleb(i, funcs));
  section(3, funcs, out);
  const memory: number[] = [1, 0x00];
  uleb(spec.memoryPages, memory);
  section(5, memory, out);
  const exports: number[] = [];
  uleb(spec.functions.length + 1, exports);
  spec.functions.forEach((f, i) => {
    name(f.name, exports);
    exports.push(0x00);
    uleb(i, exports);
  });
  name(spec.memoryName, exports);
  exports.push(0x02, 0x00);
  section(7, exports, out);
  const code: number[] = [];
  uleb(spec.functions.length, code);
  for (const { body } of spec.functions) {
    const entry = body.encode();
    uleb(entry.length, code);
    code.push(...entry);
  }
  section(10, code, out);
  return Uint8Array.from(out);
}
