// Stage order: Kahn's algorithm, ties broken by the order stages were written in.

export function topologicalOrder(
  nodes: { name: string; after: string[] }[],
): { order: number[] } | { cycle: string[] } {
  const index = new Map(nodes.map((n, i) => [n.name, i]));
  const indegree = nodes.map((n) => new Set(n.after).size);
  const dependants = nodes.map(() => [] as number[]);
  nodes.forEach((n, i) => new Set(n.after).forEach((dep) => dependants[index.get(dep)!]!.push(i)));
  const ready = nodes.map((_, i) => i).filter((i) => indegree[i] === 0);
  const order: number[] = [];
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(i);
    for (const d of dependants[i]!) if (--indegree[d]! === 0) ready.push(d);
  }
  if (order.length === nodes.length) return { order };
  return { cycle: findCycle(nodes, index, new Set(order)) };
}

/** A concrete cycle among the stages Kahn's algorithm could not order, for the error message. */
function findCycle(
  nodes: { name: string; after: string[] }[],
  index: Map<string, number>,
  done: Set<number>,
): string[] {
  let i = nodes.findIndex((_, k) => !done.has(k));
  const seen: number[] = [];
  while (!seen.includes(i)) {
    seen.push(i);
    i = index.get(nodes[i]!.after.find((d) => !done.has(index.get(d)!))!)!;
  }
  return seen.slice(seen.indexOf(i)).map((k) => nodes[k]!.name);
}
