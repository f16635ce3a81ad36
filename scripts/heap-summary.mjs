#!/usr/bin/env node
// Summarises V8 heap snapshots by constructor: count, self size and retained size (dominator
// tree, weak edges ignored), and with two snapshots the difference, largest growth first.
//   node scripts/heap-summary.mjs after.heapsnapshot [before.heapsnapshot] [--top 40] [--paths Name]
// `--paths Name` prints a retainer path from the root for the largest few objects named Name.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const top = Number(opt('--top', 40));
const pathsFor = opt('--paths', null);
const [afterFile, beforeFile] = args;
if (!afterFile) {
  console.error('usage: heap-summary.mjs after.heapsnapshot [before.heapsnapshot] [--top N] [--paths Name]');
  process.exit(2);
}

function load(file) {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const meta = s.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const N = s.nodes.length / nf;
  const iType = meta.node_fields.indexOf('type');
  const iName = meta.node_fields.indexOf('name');
  const iSize = meta.node_fields.indexOf('self_size');
  const iEdges = meta.node_fields.indexOf('edge_count');
  const eType = meta.edge_fields.indexOf('type');
  const eName = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const weak = edgeTypes.indexOf('weak');
  const shortcut = edgeTypes.indexOf('shortcut');
  const firstEdge = new Uint32Array(N + 1);
  for (let i = 0, e = 0; i < N; i++) {
    firstEdge[i] = e;
    e += s.nodes[i * nf + iEdges] * ef;
  }
  firstEdge[N] = s.edges.length;
  // Label: objects by constructor name, the rest by their type (strings, code, arrays…).
  const label = (i) => {
    const t = nodeTypes[s.nodes[i * nf + iType]];
    if (t === 'object' || t === 'native' || t === 'closure') return `${t === 'object' ? '' : `(${t}) `}${s.strings[s.nodes[i * nf + iName]]}`;
    return `(${t})`;
  };
  const selfSize = (i) => s.nodes[i * nf + iSize];
  const edges = function* (i) {
    for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += ef) {
      const t = s.edges[e + eType];
      yield { type: edgeTypes[t], weak: t === weak || t === shortcut, name: s.edges[e + eName], to: s.edges[e + eTo] / nf };
    }
  };
  return { s, N, label, selfSize, edges, edgeTypes, firstEdge, nf, ef, eType, eTo, weak, shortcut };
}

/** Immediate dominators (Cooper, Harvey & Kennedy), over strong edges from the root (node 0). */
function dominators(h) {
  const { N, s, firstEdge, ef, eType, eTo, nf, weak, shortcut } = h;
  const order = new Int32Array(N).fill(-1); // postorder number
  const post = new Uint32Array(N);
  let count = 0;
  const stack = [0];
  const iter = new Uint32Array(N);
  const seen = new Uint8Array(N);
  seen[0] = 1;
  for (let i = 0; i < N; i++) iter[i] = firstEdge[i];
  while (stack.length) {
    const v = stack[stack.length - 1];
    let pushed = false;
    while (iter[v] < firstEdge[v + 1]) {
      const e = iter[v];
      iter[v] += ef;
      const t = s.edges[e + eType];
      if (t === weak || t === shortcut) continue;
      const w = s.edges[e + eTo] / nf;
      if (!seen[w]) {
        seen[w] = 1;
        stack.push(w);
        pushed = true;
        break;
      }
    }
    if (!pushed) {
      stack.pop();
      order[v] = count;
      post[count++] = v;
    }
  }
  // Predecessors (strong edges, reachable nodes only).
  const predCount = new Uint32Array(N + 1);
  for (let v = 0; v < N; v++) {
    if (order[v] < 0) continue;
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += ef) {
      const t = s.edges[e + eType];
      if (t === weak || t === shortcut) continue;
      predCount[s.edges[e + eTo] / nf + 1]++;
    }
  }
  for (let i = 0; i < N; i++) predCount[i + 1] += predCount[i];
  const preds = new Uint32Array(predCount[N]);
  const fill = predCount.slice();
  for (let v = 0; v < N; v++) {
    if (order[v] < 0) continue;
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += ef) {
      const t = s.edges[e + eType];
      if (t === weak || t === shortcut) continue;
      const w = s.edges[e + eTo] / nf;
      preds[fill[w]++] = v;
    }
  }
  const idom = new Int32Array(N).fill(-1);
  idom[0] = 0;
  const intersect = (a, b) => {
    while (a !== b) {
      while (order[a] < order[b]) a = idom[a];
      while (order[b] < order[a]) b = idom[b];
    }
    return a;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (let k = count - 2; k >= 0; k--) {
      const v = post[k];
      let nd = -1;
      for (let p = predCount[v]; p < predCount[v + 1]; p++) {
        const u = preds[p];
        if (idom[u] < 0) continue;
        nd = nd < 0 ? u : intersect(u, nd);
      }
      if (nd >= 0 && idom[v] !== nd) {
        idom[v] = nd;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(N);
  for (let k = 0; k < count; k++) {
    const v = post[k];
    retained[v] += h.selfSize(v);
    if (v !== 0) retained[idom[v]] += retained[v];
  }
  return { idom, retained, reachable: (v) => order[v] >= 0 };
}

function summary(h) {
  const { retained, idom, reachable } = dominators(h);
  const by = new Map();
  for (let i = 0; i < h.N; i++) {
    if (!reachable(i)) continue;
    const l = h.label(i);
    let r = by.get(l);
    if (!r) by.set(l, (r = { count: 0, self: 0, retained: 0 }));
    r.count++;
    r.self += h.selfSize(i);
    // Retained by this constructor = objects of it not dominated by another object of it.
    let d = idom[i];
    let nested = false;
    for (let k = 0; d !== 0 && k < 64; k++, d = idom[d]) if (h.label(d) === l) { nested = true; break; }
    if (!nested) r.retained += retained[i];
  }
  return { by, retained, idom, reachable };
}

const mib = (b) => (b / 2 ** 20).toFixed(2);
const after = load(afterFile);
const a = summary(after);
let total = 0;
for (const r of a.by.values()) total += r.self;
console.log(`${afterFile}: ${after.N} nodes, ${mib(total)} MiB reachable self size`);
if (beforeFile) {
  const before = load(beforeFile);
  const b = summary(before);
  let totalB = 0;
  for (const r of b.by.values()) totalB += r.self;
  console.log(`${beforeFile}: ${before.N} nodes, ${mib(totalB)} MiB reachable self size; growth ${mib(total - totalB)} MiB`);
  const rows = [...new Set([...a.by.keys(), ...b.by.keys()])].map((k) => {
    const x = a.by.get(k) ?? { count: 0, self: 0, retained: 0 };
    const y = b.by.get(k) ?? { count: 0, self: 0, retained: 0 };
    return { k, dCount: x.count - y.count, dSelf: x.self - y.self, selfBefore: y.self, selfAfter: x.self, retBefore: y.retained, retAfter: x.retained };
  });
  rows.sort((p, q) => q.dSelf - p.dSelf);
  console.log('constructor | count Δ | self before → after MiB (Δ) | retained before → after MiB');
  for (const r of rows.slice(0, top)) console.log(`${r.k.slice(0, 60)} | ${r.dCount} | ${mib(r.selfBefore)} → ${mib(r.selfAfter)} (${mib(r.dSelf)}) | ${mib(r.retBefore)} → ${mib(r.retAfter)}`);
} else {
  const rows = [...a.by.entries()].sort((p, q) => q[1].retained - p[1].retained);
  console.log('constructor | count | self MiB | retained MiB');
  for (const [k, r] of rows.slice(0, top)) console.log(`${k.slice(0, 60)} | ${r.count} | ${mib(r.self)} | ${mib(r.retained)}`);
}
if (pathsFor) {
  const candidates = [];
  for (let i = 0; i < after.N; i++) if (a.reachable(i) && after.label(i) === pathsFor) candidates.push(i);
  candidates.sort((x, y) => a.retained[y] - a.retained[x]);
  // Dominator chain, with the edge names from each dominator's path.
  for (const c of candidates.slice(0, 5)) {
    const chain = [];
    for (let d = c, k = 0; d !== 0 && k < 40; d = a.idom[d], k++) chain.push(`${after.label(d)} [${mib(a.retained[d])} MiB]`);
    console.log(`\n${pathsFor} #${c} retains ${mib(a.retained[c])} MiB; dominators:\n  ${chain.join('\n  ← ')}`);
  }
}
