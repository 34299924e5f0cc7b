// The configurations every gateway security suite runs under: both HTTP engines, one process and two
// workers (a worker has its own parser state, pools and limits, so each attack is tried against both).
export const GATEWAY_MATRIX = [
  { engine: 'lean', workers: 1 },
  { engine: 'node', workers: 1 },
  { engine: 'lean', workers: 2 },
  { engine: 'node', workers: 2 },
] as const;
