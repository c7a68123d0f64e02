/**
 * One regression tree of the histogram GBDT, grown best-first on gradients and hessians (LightGBM /
 * scikit-learn HistGradientBoosting style). Each node keeps a histogram of (Σgradient, Σhessian, count) per
 * feature and bin; a split's two children cost one histogram pass over the smaller child only, the larger being
 * the parent minus it (the subtraction trick). Rows are a permutation partitioned in place, so every leaf is a
 * contiguous range and the caller can update its predictions without walking the tree.
 */

export interface TreeParams {
  readonly maxLeaves: number;
  readonly minSamplesLeaf: number;
  /** L2 penalty on leaf values (λ in G²/(H+λ)). */
  readonly l2: number;
  /** Leaf values are −G/(H+λ) times this (the learning rate). */
  readonly shrinkage: number;
  /** A child needs at least this much hessian (scikit-learn's min_hessian_to_split). */
  readonly minHessian: number;
}

/** Flat node arrays; node 0 is the root and a node is a leaf when `feature` is −1. */
export interface Tree {
  readonly feature: Int16Array;
  /** Rows with bin ≤ this go left. */
  readonly bin: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

/** Per feature and bin ([columns × 256]): Σgradient, Σhessian and the row count. */
interface Histogram {
  readonly g: Float64Array;
  readonly h: Float64Array;
  readonly count: Int32Array;
}

/** The binned training matrix and per-tree scratch, allocated once per fit. */
export interface TreeWorkspace {
  /** Bin indices column by column ([columns, rows]): a histogram pass reads one column at a time. */
  readonly columnBins: Uint8Array;
  readonly rows: number;
  readonly columns: number;
  readonly binCounts: Uint16Array;
  /** A permutation of the rows; partitioned in place while growing. */
  readonly order: Uint32Array;
  readonly scratch: Uint32Array;
  /** A node's gradients and hessians gathered in `order`, so the per-feature loops read them sequentially. */
  readonly orderedG: Float32Array;
  readonly orderedH: Float32Array;
  /** Spare histograms, reused across nodes and trees. */
  readonly pool: Histogram[];
}

/** A workspace for `bins` ([rows, columns] row-major, as applyQuantileBins gives them). */
export function treeWorkspace(bins: Uint8Array, columns: number, binCounts: Uint16Array): TreeWorkspace {
  const rows = bins.length / columns;
  const columnBins = new Uint8Array(bins.length);
  for (let r = 0, o = 0; r < rows; r++) {
    for (let f = 0; f < columns; f++, o++) columnBins[f * rows + r] = bins[o];
  }
  return {
    columnBins,
    rows,
    columns,
    binCounts,
    order: new Uint32Array(rows),
    scratch: new Uint32Array(rows),
    orderedG: new Float32Array(rows),
    orderedH: new Float32Array(rows),
    pool: [],
  };
}

/** A grown tree and, per leaf, its range of `order` (rows of that leaf). */
export interface GrownTree {
  readonly tree: Tree;
  readonly leaves: readonly { readonly node: number; readonly start: number; readonly end: number }[];
}

interface Split {
  readonly gain: number;
  readonly feature: number;
  readonly bin: number;
  readonly leftG: number;
  readonly leftH: number;
  readonly leftCount: number;
}

interface Node {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  readonly sumG: number;
  readonly sumH: number;
  hist: Histogram | null;
  split: Split | null;
}

const STRIDE = 256;

function takeHistogram(ws: TreeWorkspace): Histogram {
  const h = ws.pool.pop();
  if (h) {
    h.g.fill(0);
    h.h.fill(0);
    h.count.fill(0);
    return h;
  }
  const size = ws.columns * STRIDE;
  return { g: new Float64Array(size), h: new Float64Array(size), count: new Int32Array(size) };
}

/** Fills `hist` from the rows order[start, end); the root (all rows, in order) reads everything sequentially. */
function buildHistogram(
  ws: TreeWorkspace,
  hist: Histogram,
  start: number,
  end: number,
  grad: Float32Array,
  hess: Float32Array,
): void {
  const { columnBins, rows, columns, order } = ws;
  const hg = hist.g, hh = hist.h, hc = hist.count;
  const m = end - start;
  if (m === rows) {
    // The root: `order` is still the identity, so rows are read in place.
    for (let f = 0; f < columns; f++) {
      const base = f * STRIDE, col = f * rows;
      for (let r = 0; r < rows; r++) {
        const j = base + columnBins[col + r];
        hg[j] += grad[r];
        hh[j] += hess[r];
        hc[j]++;
      }
    }
    return;
  }
  const og = ws.orderedG, oh = ws.orderedH;
  for (let k = 0; k < m; k++) {
    const r = order[start + k];
    og[k] = grad[r];
    oh[k] = hess[r];
  }
  for (let f = 0; f < columns; f++) {
    const base = f * STRIDE, col = f * rows;
    for (let k = 0; k < m; k++) {
      const j = base + columnBins[col + order[start + k]];
      hg[j] += og[k];
      hh[j] += oh[k];
      hc[j]++;
    }
  }
}

/** The best split of a node by G²/(H+λ) gain, or null when no split leaves both children big enough. */
function bestSplit(ws: TreeWorkspace, node: Node, p: TreeParams): Split | null {
  const { g: hg, h: hh, count: hc } = node.hist!;
  const count = node.end - node.start;
  if (count < 2 * p.minSamplesLeaf) return null;
  const { sumG, sumH } = node;
  const parent = (sumG * sumG) / (sumH + p.l2);
  let best: Split | null = null;
  let bestGain = 0;
  for (let f = 0; f < ws.columns; f++) {
    let gl = 0, hl = 0, cl = 0;
    const base = f * STRIDE;
    for (let b = 0; b < ws.binCounts[f] - 1; b++) {
      const j = base + b;
      gl += hg[j];
      hl += hh[j];
      cl += hc[j];
      if (cl < p.minSamplesLeaf) continue;
      if (count - cl < p.minSamplesLeaf) break;
      const hr = sumH - hl;
      if (hl < p.minHessian || hr < p.minHessian) continue;
      const gr = sumG - gl;
      const gain = (gl * gl) / (hl + p.l2) + (gr * gr) / (hr + p.l2) - parent;
      // Strictly greater: ties keep the first feature and bin, so growth is deterministic.
      if (gain > bestGain) {
        bestGain = gain;
        best = { gain, feature: f, bin: b, leftG: gl, leftH: hl, leftCount: cl };
      }
    }
  }
  return best;
}

/** Stable in-place partition of order[start, end) by the split; returns where the right child starts. */
function partition(ws: TreeWorkspace, node: Node, split: Split): number {
  const { columnBins, rows, order, scratch } = ws;
  const col = split.feature * rows;
  let l = node.start, k = 0;
  for (let i = node.start; i < node.end; i++) {
    const r = order[i];
    if (columnBins[col + r] <= split.bin) order[l++] = r;
    else scratch[k++] = r;
  }
  order.set(scratch.subarray(0, k), l);
  return l;
}

/** Grows one tree on all rows of the workspace. */
export function growTree(
  ws: TreeWorkspace,
  grad: Float32Array,
  hess: Float32Array,
  p: TreeParams,
): GrownTree {
  for (let i = 0; i < ws.rows; i++) ws.order[i] = i;
  let sumG = 0, sumH = 0;
  for (let i = 0; i < ws.rows; i++) {
    sumG += grad[i];
    sumH += hess[i];
  }
  const feature: number[] = [-1], bin: number[] = [0], left: number[] = [-1], right: number[] = [-1];
  const nodes: Node[] = [{ id: 0, start: 0, end: ws.rows, sumG, sumH, hist: null, split: null }];
  const root = nodes[0];
  if (ws.rows >= 2 * p.minSamplesLeaf) {
    root.hist = takeHistogram(ws);
    buildHistogram(ws, root.hist, 0, ws.rows, grad, hess);
    root.split = bestSplit(ws, root, p);
  }
  const release = (n: Node) => {
    if (n.hist) ws.pool.push(n.hist);
    n.hist = null;
  };
  let open: Node[] = [];
  if (root.split) open.push(root);
  else release(root);
  let leafCount = 1;
  while (leafCount < p.maxLeaves && open.length > 0) {
    let pick = open[0];
    for (const n of open) if (n.split!.gain > pick.split!.gain) pick = n;
    open = open.filter((n) => n !== pick);
    const s = pick.split!;
    const mid = partition(ws, pick, s);
    const make = (start: number, end: number, g: number, h: number): Node => {
      const id = feature.length;
      feature.push(-1), bin.push(0), left.push(-1), right.push(-1);
      const n: Node = { id, start, end, sumG: g, sumH: h, hist: null, split: null };
      nodes.push(n);
      return n;
    };
    const l = make(pick.start, mid, s.leftG, s.leftH);
    const r = make(mid, pick.end, pick.sumG - s.leftG, pick.sumH - s.leftH);
    feature[pick.id] = s.feature;
    bin[pick.id] = s.bin;
    left[pick.id] = l.id;
    right[pick.id] = r.id;
    leafCount++;
    const [small, large] = l.end - l.start <= r.end - r.start ? [l, r] : [r, l];
    if (large.end - large.start >= 2 * p.minSamplesLeaf) {
      // Subtraction trick: one pass over the smaller child, the larger one is what remains of the parent.
      small.hist = takeHistogram(ws);
      buildHistogram(ws, small.hist, small.start, small.end, grad, hess);
      large.hist = pick.hist!;
      pick.hist = null;
      const lh = large.hist, sh = small.hist;
      for (let j = 0; j < lh.g.length; j++) {
        lh.g[j] -= sh.g[j];
        lh.h[j] -= sh.h[j];
        lh.count[j] -= sh.count[j];
      }
      for (const c of [small, large]) {
        c.split = bestSplit(ws, c, p);
        if (c.split) open.push(c);
        else release(c);
      }
    }
    release(pick);
  }
  for (const n of open) release(n);

  const value = new Float64Array(feature.length);
  const leaves: { node: number; start: number; end: number }[] = [];
  for (const n of nodes) {
    if (feature[n.id] !== -1) continue;
    value[n.id] = -p.shrinkage * n.sumG / (n.sumH + p.l2);
    leaves.push({ node: n.id, start: n.start, end: n.end });
  }
  return {
    tree: {
      feature: Int16Array.from(feature),
      bin: Uint8Array.from(bin),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      value,
    },
    leaves,
  };
}

/** The tree's value for row `row` of a binned matrix. */
export function treeValue(tree: Tree, bins: Uint8Array, columns: number, row: number): number {
  let n = 0;
  const o = row * columns;
  while (tree.feature[n] !== -1) n = bins[o + tree.feature[n]] <= tree.bin[n] ? tree.left[n] : tree.right[n];
  return tree.value[n];
}
