import { writeFile } from 'node:fs/promises';

/**
 * Writes a tiny, valid llama-architecture GGUF (v3, alignment 32, F32 tensors) with seeded random
 * weights, for testing the local provider without downloading a model. Its output is noise, but
 * loading, tokenizing, streaming and aborting are the real node-llama-cpp paths.
 *
 * Layout (GGUF v3): magic "GGUF", version, tensor count, metadata count, metadata key/values,
 * tensor infos (name, dims with ne[0] innermost, type, offset), padding to 32, tensor data with
 * each tensor's offset the running sum of the previous sizes padded to 32.
 */

export interface TinyGgufOptions {
  embedding?: number;
  layers?: number;
  heads?: number;
  feedForward?: number;
  contextLength?: number;
  seed?: number;
}

const ALIGN = 32;
const T = { U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;

class Writer {
  private chunks: Buffer[] = [];
  size = 0;
  push(b: Buffer) {
    this.chunks.push(b);
    this.size += b.length;
  }
  u32(v: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  pad() {
    const n = (ALIGN - (this.size % ALIGN)) % ALIGN;
    if (n) this.push(Buffer.alloc(n));
  }
  buffer() {
    return Buffer.concat(this.chunks);
  }
}

type Meta =
  | { t: 'u32'; v: number }
  | { t: 'f32'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'str'; v: string }
  | { t: 'strs'; v: string[] }
  | { t: 'f32s'; v: number[] }
  | { t: 'i32s'; v: number[] };

function writeMeta(w: Writer, key: string, m: Meta) {
  w.str(key);
  switch (m.t) {
    case 'u32': w.u32(T.U32); w.u32(m.v); break;
    case 'f32': w.u32(T.F32); w.f32(m.v); break;
    case 'bool': w.u32(T.BOOL); w.push(Buffer.from([m.v ? 1 : 0])); break;
    case 'str': w.u32(T.STRING); w.str(m.v); break;
    case 'strs': w.u32(T.ARRAY); w.u32(T.STRING); w.u64(m.v.length); m.v.forEach((s) => w.str(s)); break;
    case 'f32s': w.u32(T.ARRAY); w.u32(T.F32); w.u64(m.v.length); m.v.forEach((x) => w.f32(x)); break;
    case 'i32s': w.u32(T.ARRAY); w.u32(T.I32); w.u64(m.v.length); m.v.forEach((x) => w.i32(x)); break;
  }
}

/** A small SentencePiece-like vocabulary: control tokens, the 256 byte tokens, "▁" and some code pieces. */
function vocabulary() {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let i = 0; i < 256; i++) {
    tokens.push(`<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const pieces = ['▁', ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''), '(', ')', '{', '}', ';', '=', '.', ',', ':',
    '▁const', '▁let', '▁function', '▁return', '▁if', '▁else', '▁for', '▁export', '▁import', '▁x', '▁y', '▁value', '▁total', '▁=', '▁+', '▁{', '▁}'];
  for (const p of pieces) {
    tokens.push(p);
    types.push(1);
  }
  const scores = tokens.map((t, i) => (types[i] === 1 ? -i / 10 : 0));
  return { tokens, types, scores };
}

/** Returns the GGUF file's bytes. */
export function tinyGguf(opts: TinyGgufOptions = {}): Buffer {
  const nEmbd = opts.embedding ?? 64;
  const nLayer = opts.layers ?? 2;
  const nHead = opts.heads ?? 4;
  const nFf = opts.feedForward ?? 128;
  const nCtx = opts.contextLength ?? 512;
  const headDim = nEmbd / nHead;
  const { tokens, types, scores } = vocabulary();
  const nVocab = tokens.length;

  let seed = opts.seed ?? 42;
  const random = () => {
    // mulberry32: deterministic weights, so every run of a test sees the same model
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  const tensors: Array<{ name: string; dims: number[]; fill: 'random' | 'ones' }> = [
    { name: 'token_embd.weight', dims: [nEmbd, nVocab], fill: 'random' },
    { name: 'output_norm.weight', dims: [nEmbd], fill: 'ones' },
    { name: 'output.weight', dims: [nEmbd, nVocab], fill: 'random' },
  ];
  for (let l = 0; l < nLayer; l++) {
    const b = `blk.${l}`;
    tensors.push(
      { name: `${b}.attn_norm.weight`, dims: [nEmbd], fill: 'ones' },
      { name: `${b}.attn_q.weight`, dims: [nEmbd, nEmbd], fill: 'random' },
      { name: `${b}.attn_k.weight`, dims: [nEmbd, nEmbd], fill: 'random' },
      { name: `${b}.attn_v.weight`, dims: [nEmbd, nEmbd], fill: 'random' },
      { name: `${b}.attn_output.weight`, dims: [nEmbd, nEmbd], fill: 'random' },
      { name: `${b}.ffn_norm.weight`, dims: [nEmbd], fill: 'ones' },
      { name: `${b}.ffn_gate.weight`, dims: [nEmbd, nFf], fill: 'random' },
      { name: `${b}.ffn_up.weight`, dims: [nEmbd, nFf], fill: 'random' },
      { name: `${b}.ffn_down.weight`, dims: [nFf, nEmbd], fill: 'random' },
    );
  }

  const meta: Array<[string, Meta]> = [
    ['general.architecture', { t: 'str', v: 'llama' }],
    ['general.name', { t: 'str', v: 'flint-tiny-random' }],
    ['general.alignment', { t: 'u32', v: ALIGN }],
    ['llama.context_length', { t: 'u32', v: nCtx }],
    ['llama.embedding_length', { t: 'u32', v: nEmbd }],
    ['llama.block_count', { t: 'u32', v: nLayer }],
    ['llama.feed_forward_length', { t: 'u32', v: nFf }],
    ['llama.attention.head_count', { t: 'u32', v: nHead }],
    ['llama.attention.head_count_kv', { t: 'u32', v: nHead }],
    ['llama.rope.dimension_count', { t: 'u32', v: headDim }],
    ['llama.vocab_size', { t: 'u32', v: nVocab }],
    ['llama.rope.freq_base', { t: 'f32', v: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { t: 'f32', v: 1e-5 }],
    ['tokenizer.ggml.model', { t: 'str', v: 'llama' }],
    ['tokenizer.ggml.tokens', { t: 'strs', v: tokens }],
    ['tokenizer.ggml.scores', { t: 'f32s', v: scores }],
    ['tokenizer.ggml.token_type', { t: 'i32s', v: types }],
    ['tokenizer.ggml.bos_token_id', { t: 'u32', v: 1 }],
    ['tokenizer.ggml.eos_token_id', { t: 'u32', v: 2 }],
    ['tokenizer.ggml.unknown_token_id', { t: 'u32', v: 0 }],
    ['tokenizer.ggml.add_bos_token', { t: 'bool', v: true }],
  ];

  const w = new Writer();
  w.push(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(meta.length);
  for (const [k, m] of meta) writeMeta(w, k, m);
  let offset = 0;
  const sizes = tensors.map((t) => t.dims.reduce((a, b) => a * b, 1) * 4);
  tensors.forEach((t, i) => {
    w.str(t.name);
    w.u32(t.dims.length);
    t.dims.forEach((d) => w.u64(d));
    w.u32(0); // GGML_TYPE_F32
    w.u64(offset);
    offset += Math.ceil(sizes[i] / ALIGN) * ALIGN;
  });
  w.pad();
  tensors.forEach((t, i) => {
    const data = Buffer.alloc(sizes[i]);
    for (let j = 0; j < sizes[i] / 4; j++) data.writeFloatLE(t.fill === 'ones' ? 1 : (random() - 0.5) * 0.2, j * 4);
    w.push(data);
    w.pad();
  });
  return w.buffer();
}

export async function writeTinyGguf(path: string, opts?: TinyGgufOptions): Promise<string> {
  await writeFile(path, tinyGguf(opts));
  return path;
}
